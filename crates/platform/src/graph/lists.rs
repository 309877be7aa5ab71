//! List edges: filtering, cursor paging and projection of a list of nodes.

use serde_json::{Value, json};
use wamm_wire::paging::{Slice, paginate};
use wamm_wire::{Filter, GraphError};

use super::render::Node;
use super::request::GraphRequest;

/// A sort key for numeric IDs that orders like the numbers do.
pub fn id_key(id: u64) -> String {
    format!("{id:020}")
}

/// Renders `{"data": [...], "paging": {...}}` for `nodes`, each with its sort key.
pub fn page(
    req: &GraphRequest,
    nodes: Vec<(String, Node)>,
    filters: &[Filter],
) -> Result<Value, GraphError> {
    let selection = req.params.fields()?;
    if let Some((_, sample)) = nodes.first() {
        if let Some(bad) = filters.iter().find(|f| !sample.knows(&f.field)) {
            return Err(GraphError::invalid_parameter(format!(
                "Invalid filtering field '{}' on node type ({})",
                bad.field,
                sample.type_name()
            )));
        }
        // Validate the selection even when filtering leaves nothing to render.
        sample.check(selection.as_ref())?;
    }
    let mut kept: Vec<(String, Node)> = nodes
        .into_iter()
        .filter(|(_, node)| {
            filters
                .iter()
                .all(|f| node.text_of(&f.field).is_some_and(|v| f.matches(&v)))
        })
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let request = req.params.page()?;
    render(req, &paginate(kept, &request, |(key, _)| key.clone()))
}

/// [`page`] for items whose nodes cost reads to build: without `filtering` (which reads node
/// values) the requested page is cut from `items`, each with its sort key, before any node is
/// built, so a long list costs one page's worth of builds, not the whole list's.
pub async fn page_built<T, E, F, Fut>(
    req: &GraphRequest,
    mut items: Vec<(String, T)>,
    filters: &[Filter],
    build: F,
) -> Result<Value, E>
where
    E: From<GraphError>,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<Node, E>>,
{
    if !filters.is_empty() {
        let mut nodes = Vec::with_capacity(items.len());
        for (key, item) in items {
            nodes.push((key, build(item).await?));
        }
        return Ok(page(req, nodes, filters)?);
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let cut = paginate(items, &req.params.page()?, |(key, _)| key.clone());
    let mut nodes = Vec::with_capacity(cut.items.len());
    for (key, item) in cut.items {
        nodes.push((key, build(item).await?));
    }
    Ok(render(
        req,
        &Slice {
            items: nodes,
            before: cut.before,
            after: cut.after,
            has_next: cut.has_next,
            has_previous: cut.has_previous,
        },
    )?)
}

/// Renders one page of nodes, already cut, as `{"data": [...], "paging": {...}}`.
fn render(req: &GraphRequest, slice: &Slice<(String, Node)>) -> Result<Value, GraphError> {
    let selection = req.params.fields()?;
    if let Some((_, sample)) = slice.items.first() {
        sample.check(selection.as_ref())?;
    }
    let data = slice
        .items
        .iter()
        .map(|(_, node)| node.project(selection.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    if data.is_empty() {
        return Ok(json!({ "data": [] }));
    }
    let mut paging = json!({
        "cursors": {
            "before": slice.before.as_ref().map(|c| c.as_str()).unwrap_or_default(),
            "after": slice.after.as_ref().map(|c| c.as_str()).unwrap_or_default(),
        }
    });
    if let (true, Some(after)) = (slice.has_next, &slice.after) {
        paging["next"] = Value::String(req.page_url("after", after.as_str()));
    }
    if let (true, Some(before)) = (slice.has_previous, &slice.before) {
        paging["previous"] = Value::String(req.page_url("before", before.as_str()));
    }
    Ok(json!({ "data": data, "paging": paging }))
}
