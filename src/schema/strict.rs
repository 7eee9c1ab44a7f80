//! OpenAI's strict mode: a schema's strict form, when one keeps its meaning, and the way
//! back from an answer in that form to one the original schema reads.
//!
//! Strict mode (OpenAI's Structured Outputs, "Supported schemas") takes a subset of JSON
//! Schema: the root is an object; every object lists all its properties in `required` and
//! has `additionalProperties: false`; the keywords are the ones in [`KEYWORDS`]. An
//! optional property becomes a required one that may be `null`, and a `null` the original
//! schema would not allow there stands for the property being absent ([`drop_absent`]).
//! A schema that needs anything else (an open object, `oneOf`, `allOf`, `not`,
//! `if`/`then`, `patternProperties`, `minLength`…) has no strict form: it is sent with
//! `strict: false`.

use serde_json::{Map, Value, json};

/// The keywords strict mode accepts.
const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "$ref",
    "$defs",
    "definitions",
    "description",
    "title",
    "$schema",
    "$id",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

/// The strict form of a schema, or `None` when strict mode cannot say the same thing.
pub fn strict_form(schema: &Value) -> Option<Value> {
    if !is_object_schema(schema) {
        return None;
    }
    node(schema)
}

/// Whether a schema describes a JSON object at its root (what native structured output
/// and a tool's input take).
pub fn is_object_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
        || (schema.get("type").is_none() && schema.get("properties").is_some())
}

fn node(schema: &Value) -> Option<Value> {
    let map = schema.as_object()?;
    if map.keys().any(|k| !KEYWORDS.contains(&k.as_str())) {
        return None;
    }
    let mut out = map.clone();
    if let Some(props) = map.get("properties") {
        let props = props.as_object()?;
        if !matches!(
            map.get("additionalProperties"),
            None | Some(Value::Bool(false))
        ) {
            return None;
        }
        let required = required_of(schema);
        let mut strict = Map::new();
        for (name, sub) in props {
            let sub = node(sub)?;
            let sub = if required.contains(&name.as_str()) {
                sub
            } else {
                nullable(sub)
            };
            strict.insert(name.clone(), sub);
        }
        out.insert("required".into(), json!(props.keys().collect::<Vec<_>>()));
        out.insert("properties".into(), Value::Object(strict));
        out.insert("additionalProperties".into(), json!(false));
    } else if map.get("type").and_then(Value::as_str) == Some("object") {
        // an object with no properties is open: strict mode cannot express it
        return None;
    }
    if let Some(items) = map.get("items") {
        out.insert("items".into(), node(items)?);
    }
    if let Some(any) = map.get("anyOf") {
        let any: Option<Vec<Value>> = any.as_array()?.iter().map(node).collect();
        out.insert("anyOf".into(), Value::Array(any?));
    }
    for defs in ["$defs", "definitions"] {
        if let Some(d) = map.get(defs) {
            let mut strict = Map::new();
            for (name, sub) in d.as_object()? {
                strict.insert(name.clone(), node(sub)?);
            }
            out.insert(defs.into(), Value::Object(strict));
        }
    }
    Some(Value::Object(out))
}

fn required_of(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether a schema lets a value be `null`.
fn allows_null(schema: &Value) -> bool {
    let typed = match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    let listed =
        (schema.get("enum").and_then(Value::as_array)).is_some_and(|e| e.contains(&Value::Null));
    let any =
        (schema.get("anyOf").and_then(Value::as_array)).is_some_and(|a| a.iter().any(allows_null));
    typed || listed || any || schema.get("const") == Some(&Value::Null)
}

/// The schema, also allowing `null`.
fn nullable(mut schema: Value) -> Value {
    if allows_null(&schema) {
        return schema;
    }
    let simple = schema.get("anyOf").is_none() && schema.get("$ref").is_none();
    match schema.get("type").cloned() {
        Some(Value::String(t)) if simple => {
            schema["type"] = json!([t, "null"]);
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
            schema
        }
        Some(Value::Array(mut ts)) if simple => {
            ts.push(json!("null"));
            schema["type"] = Value::Array(ts);
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
            schema
        }
        _ => json!({"anyOf": [schema, {"type": "null"}]}),
    }
}

/// Takes out the `null`s that stand for absent optional properties: an optional property
/// whose schema does not allow `null`. Returns whether any was taken out.
pub fn drop_absent(value: &mut Value, schema: &Value) -> bool {
    walk(value, schema, schema)
}

fn walk(value: &mut Value, schema: &Value, root: &Value) -> bool {
    let schema = resolve(schema, root);
    let mut dropped = false;
    match value {
        Value::Object(fields) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return false;
            };
            let required = required_of(schema);
            for (name, sub) in props {
                let absent = fields.get(name) == Some(&Value::Null)
                    && !required.contains(&name.as_str())
                    && !allows_null(resolve(sub, root));
                if absent {
                    fields.remove(name);
                    dropped = true;
                } else if let Some(v) = fields.get_mut(name) {
                    dropped |= walk(v, sub, root);
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for item in items {
                    dropped |= walk(item, sub, root);
                }
            }
        }
        _ => {}
    }
    dropped
}

/// A local `$ref` (`#/$defs/X`, `#/definitions/X`) followed; anything else as it is.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or(schema),
        None => schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_properties_become_required_and_nullable() {
        let schema = json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "object",
                     "properties": {"k": {"type": "string", "enum": ["a", "b"]}}}},
            "kind": {"$ref": "#/$defs/kind"}},
            "required": ["name"],
            "$defs": {"kind": {"type": "string"}}});
        let strict = strict_form(&schema).unwrap();
        assert_eq!(
            strict,
            json!({"type": "object", "properties": {
                "name": {"type": "string"},
                "tags": {"type": ["array", "null"], "items": {"type": "object",
                         "properties": {"k": {"type": ["string", "null"], "enum": ["a", "b", null]}},
                         "required": ["k"], "additionalProperties": false}},
                "kind": {"anyOf": [{"$ref": "#/$defs/kind"}, {"type": "null"}]}},
                "required": ["name", "tags", "kind"], "additionalProperties": false,
                "$defs": {"kind": {"type": "string"}}})
        );
    }

    #[test]
    fn schemas_strict_mode_cannot_express_have_no_strict_form() {
        for schema in [
            json!({"type": "array", "items": {"type": "string"}}),
            json!({"type": "object"}),
            json!({"type": "object", "properties": {"a": {"type": "string"}},
                   "additionalProperties": true}),
            json!({"type": "object", "properties": {"a": {"type": "string", "minLength": 2}}}),
            json!({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}),
        ] {
            assert_eq!(strict_form(&schema), None, "{schema}");
        }
    }

    #[test]
    fn nulls_standing_for_absent_properties_are_dropped() {
        let schema = json!({"type": "object", "required": ["a"], "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"type": "string"},
            "c": {"type": ["string", "null"]},
            "d": {"type": "array", "items": {"$ref": "#/$defs/x"}}},
            "$defs": {"x": {"type": "object", "properties": {"y": {"type": "integer"}}}}});
        let mut v = json!({"a": null, "b": null, "c": null, "d": [{"y": null}, {"y": 1}]});
        assert!(drop_absent(&mut v, &schema));
        assert_eq!(v, json!({"a": null, "c": null, "d": [{}, {"y": 1}]}));
        assert!(!drop_absent(&mut v, &schema));
    }
}
