//! Rendering Graph nodes under a `fields=` selection.
//!
//! A handler builds a [`Node`]: its Graph type name, its default fields, and every field it
//! knows (nested nodes and edges included). Projection then returns exactly what was asked,
//! leaves out documented fields the object has no value for, refuses fields the node type does
//! not have the way Graph does, and always includes `id`.

use serde_json::{Map, Value};
use wamm_wire::{FieldSelection, GraphError};

use super::catalogue::{self, NodeType};

pub use wamm_wire::json::enum_text;

/// A field's content.
#[derive(Debug, Clone)]
pub enum Field {
    /// A plain value.
    Value(Value),
    /// A nested object with fields of its own.
    Node(Node),
    /// A list edge, rendered as `{"data": [...]}`.
    Edge(Vec<Node>),
    /// A known field with no value for this object: omitted, as Graph omits it.
    Absent,
}

/// A Graph object ready to be projected.
#[derive(Debug, Clone)]
pub struct Node {
    type_name: &'static str,
    defaults: &'static [&'static str],
    fields: Vec<(&'static str, Field)>,
}

impl Node {
    /// A node of `type_name` answering `defaults` when no `fields=` is given.
    pub fn new(type_name: &'static str, defaults: &'static [&'static str]) -> Self {
        Self {
            type_name,
            defaults,
            fields: Vec::new(),
        }
    }

    /// A node of a catalogued type, answering the type's default fields.
    pub fn of(node_type: &'static NodeType) -> Self {
        Self::new(node_type.name, node_type.defaults)
    }

    /// Adds a plain field.
    #[must_use]
    pub fn value(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.fields.push((name, Field::Value(value.into())));
        self
    }

    /// Adds a field that may be absent.
    #[must_use]
    pub fn maybe(mut self, name: &'static str, value: Option<impl Into<Value>>) -> Self {
        self.fields.push((
            name,
            value.map_or(Field::Absent, |v| Field::Value(v.into())),
        ));
        self
    }

    /// Adds a nested object.
    #[must_use]
    pub fn node(mut self, name: &'static str, node: Option<Node>) -> Self {
        self.fields
            .push((name, node.map_or(Field::Absent, Field::Node)));
        self
    }

    /// Adds a list edge; `None` means the edge is known but was not loaded (not selected).
    #[must_use]
    pub fn edge(mut self, name: &'static str, items: Option<Vec<Node>>) -> Self {
        self.fields
            .push((name, items.map_or(Field::Absent, Field::Edge)));
        self
    }

    /// The Graph type name, used in error messages.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
    }

    /// The text value of a plain field, for `filtering=`.
    pub fn text_of(&self, name: &str) -> Option<String> {
        match self.field(name)? {
            Field::Value(Value::String(s)) => Some(s.clone()),
            Field::Value(Value::Object(obj)) => {
                obj.get("status").and_then(Value::as_str).map(str::to_owned)
            }
            Field::Value(v) => Some(v.to_string()),
            _ => None,
        }
    }

    /// Whether the node knows a field.
    pub fn knows(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// The names of the fields the builder supplied, with or without a value.
    #[cfg(test)]
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|(n, _)| *n)
    }

    /// Checks a selection against the node without rendering (for edges with no items).
    pub fn check(&self, selection: Option<&FieldSelection>) -> Result<(), GraphError> {
        self.project(selection).map(|_| ())
    }

    /// Renders the node under `selection` (defaults when `None`).
    pub fn project(&self, selection: Option<&FieldSelection>) -> Result<Value, GraphError> {
        let default;
        let selection = match selection {
            Some(s) if !s.is_empty() => s,
            _ => {
                default = FieldSelection::of(self.defaults);
                &default
            }
        };
        let mut out = Map::new();
        for spec in &selection.fields {
            let Some(field) = self.field(&spec.name) else {
                // A field Meta documents but this object has no value for is left out, as
                // Graph does; only a field the node type does not have is refused.
                if catalogue::documents(self.type_name, &spec.name) {
                    continue;
                }
                return Err(GraphError::nonexisting_field(&spec.name, self.type_name));
            };
            let rendered = match field {
                Field::Absent => continue,
                Field::Value(v) => v.clone(),
                Field::Node(node) => node.project(spec.children.as_ref())?,
                Field::Edge(items) => {
                    let limit = spec
                        .modifier("limit")
                        .and_then(|l| l.parse::<usize>().ok())
                        .unwrap_or(wamm_wire::paging::DEFAULT_LIMIT);
                    let data = items
                        .iter()
                        .take(limit)
                        .map(|n| n.project(spec.children.as_ref()))
                        .collect::<Result<Vec<_>, _>>()?;
                    serde_json::json!({ "data": data })
                }
            };
            out.insert(spec.name.clone(), rendered);
        }
        // Graph always answers with the object's id, whatever was selected.
        if let Some(Field::Value(id)) = self.field("id") {
            out.entry("id").or_insert_with(|| id.clone());
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn waba() -> Node {
        Node::new("WhatsAppBusinessAccount", &["id", "name"])
            .value("id", "1")
            .value("name", "W")
            .maybe("solution_id", None::<String>)
            .node(
                "owner_business_info",
                Some(
                    Node::new("Business", &["id", "name"])
                        .value("id", "9")
                        .value("name", "B"),
                ),
            )
            .edge(
                "phone_numbers",
                Some(vec![
                    Node::new("WhatsAppBusinessPhoneNumber", &["id"]).value("id", "p1"),
                    Node::new("WhatsAppBusinessPhoneNumber", &["id"]).value("id", "p2"),
                ]),
            )
    }

    #[test]
    fn defaults_selection_nesting_and_limit() {
        let w = waba();
        assert_eq!(
            w.project(None).expect("defaults"),
            json!({"id": "1", "name": "W"})
        );
        let sel =
            FieldSelection::parse("owner_business_info{name},phone_numbers.limit(1),solution_id")
                .expect("sel");
        assert_eq!(
            w.project(Some(&sel)).expect("projected"),
            json!({"id": "1", "owner_business_info": {"id": "9", "name": "B"}, "phone_numbers": {"data": [{"id": "p1"}]}})
        );
    }

    #[test]
    fn unknown_fields_name_the_node_type() {
        let err = waba()
            .project(Some(&FieldSelection::parse("nope").expect("sel")))
            .expect_err("unknown");
        assert!(
            err.body
                .message
                .contains("(nope) on node type (WhatsAppBusinessAccount)")
        );
        let err = waba()
            .project(Some(
                &FieldSelection::parse("owner_business_info{nope}").expect("sel"),
            ))
            .expect_err("unknown nested");
        assert!(err.body.message.contains("on node type (Business)"));
    }
}
