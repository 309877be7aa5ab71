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

/// Cuts the requested page from `items` (any order) before their nodes are built: for long
/// unfiltered lists, where building every node to show a hundred would cost a page's worth of
/// reads per item.
pub fn slice<T>(
    req: &GraphRequest,
    mut items: Vec<(String, T)>,
) -> Result<Slice<(String, T)>, GraphError> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(paginate(items, &req.params.page()?, |(key, _)| key.clone()))
}

/// Renders one page of nodes, already cut, as `{"data": [...], "paging": {...}}`.
pub fn render(req: &GraphRequest, slice: &Slice<(String, Node)>) -> Result<Value, GraphError> {
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
