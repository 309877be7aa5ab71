//! List edges: filtering, cursor paging and projection of a list of nodes.

use serde_json::{Value, json};
use wamm_wire::paging::{Cursor, Slice, paginate};
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

/// [`page_built`] for a long list sorted ascending by `key`, of which `keep` says which items
/// the caller may see: with no `filtering` and no `before` cursor, items are checked only until
/// the page and whether anything visible lies on either side of it are known, and only the
/// page's nodes are built, so a page costs about its own length, not the list's. It answers
/// what [`page_built`] would for the kept items; `None` when the request pages otherwise.
pub async fn page_sorted<T, E, K, F, Fut>(
    req: &GraphRequest,
    items: &[T],
    key: impl Fn(&T) -> String,
    mut keep: K,
    build: F,
) -> Result<Option<Value>, E>
where
    E: From<GraphError>,
    T: Copy,
    K: FnMut(&T) -> Result<bool, E>,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<Node, E>>,
{
    let request = req.params.page()?;
    if request.before.is_some() || !req.params.filtering()?.is_empty() {
        return Ok(None);
    }
    let start = request.after.as_ref().map_or(0, |after| {
        items.partition_point(|i| key(i).as_str() <= after.as_str())
    });
    let mut page = Vec::new();
    let mut next = start;
    while next < items.len() && page.len() < request.limit {
        if keep(&items[next])? {
            page.push(items[next]);
        }
        next += 1;
    }
    let mut has_next = false;
    for item in &items[next..] {
        if keep(item)? {
            has_next = true;
            break;
        }
    }
    let mut has_previous = false;
    for item in items[..start].iter().rev() {
        if keep(item)? {
            has_previous = true;
            break;
        }
    }
    let keys: Vec<String> = page.iter().map(&key).collect();
    let mut nodes = Vec::with_capacity(page.len());
    for (k, item) in keys.iter().zip(page) {
        nodes.push((k.clone(), build(item).await?));
    }
    Ok(Some(render(
        req,
        &Slice {
            before: keys.first().map(|k| Cursor::for_key(k)),
            after: keys.last().map(|k| Cursor::for_key(k)),
            has_next,
            has_previous,
            items: nodes,
        },
    )?))
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
