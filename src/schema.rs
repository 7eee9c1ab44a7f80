//! `--schema`: structured output. Loading a JSON Schema (a file or inline JSON), attaching it
//! to the request the way the protocol supports, and validating the answer locally, with one
//! more call when the answer is not JSON or does not match.

use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};

use crate::error::{Failure, Kind, usage};
use crate::message::{Message, Role};
use crate::provider::{self, Answer, ChatRequest, Endpoint, ProviderRef, Sink};

/// How many validation errors an error message lists.
const MAX_ERRORS: usize = 5;

/// A compiled JSON Schema and the name the provider is told.
pub struct Schema {
    pub name: String,
    pub value: Value,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").field("name", &self.name).finish()
    }
}

/// `--schema FILE|JSON`: text starting with `{` is the schema itself, anything else a path
/// relative to the working directory.
pub fn load(spec: &str, cwd: &Path) -> Result<Schema> {
    let (text, origin) = if spec.trim_start().starts_with('{') {
        (spec.to_string(), None)
    } else {
        let path = cwd.join(spec);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| usage(format!("cannot read schema {}: {e}", path.display())))?;
        (text, Some(path))
    };
    let what = origin
        .as_ref()
        .map_or("the --schema JSON".to_string(), |p| {
            format!("schema {}", p.display())
        });
    let value: Value =
        serde_json::from_str(&text).map_err(|e| usage(format!("{what} is not JSON: {e}")))?;
    let stem = origin
        .as_deref()
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().into_owned());
    let name = name_of(&value, stem.as_deref());
    compile(name, value).map_err(|e| anyhow::Error::new(usage(format!("{what}: {e}"))))
}

/// A schema the validator refuses, with its own message.
#[derive(Debug)]
pub struct InvalidSchema(jsonschema::ValidationError<'static>);

impl std::fmt::Display for InvalidSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a valid JSON Schema: {}", self.0)
    }
}

impl std::error::Error for InvalidSchema {}

/// Why an answer does not do for `--schema`.
#[derive(Debug)]
pub enum Mismatch {
    NotJson(serde_json::Error),
    /// The first validation errors (`at /path: message`), and whether there were more.
    Invalid {
        errors: Vec<String>,
        more: bool,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::NotJson(e) => write!(f, "the answer is not JSON: {e}"),
            Mismatch::Invalid { errors, more } => write!(
                f,
                "the answer does not match the schema: {}{}",
                errors.join("; "),
                if *more { " (and more)" } else { "" }
            ),
        }
    }
}

impl std::error::Error for Mismatch {}

/// Compiles a schema; the error is the validator's own message.
pub fn compile(name: String, value: Value) -> Result<Schema, InvalidSchema> {
    let validator = jsonschema::validator_for(&value).map_err(InvalidSchema)?;
    Ok(Schema {
        name,
        value,
        validator,
    })
}

/// The name OpenAI wants (`[A-Za-z0-9_-]{1,64}`): the schema's title, else the file's stem,
/// else `response`.
fn name_of(schema: &Value, stem: Option<&str>) -> String {
    let raw = schema.get("title").and_then(Value::as_str).or(stem);
    let name: String = raw
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.trim_matches('_').is_empty() {
        "response".into()
    } else {
        name
    }
}

impl Schema {
    /// The answer as JSON matching the schema, or a message saying why not. An answer that
    /// is one fenced block is accepted as the JSON inside it.
    pub fn check(&self, answer: &str) -> Result<Value, Mismatch> {
        let text = unfence(answer);
        let value: Value = serde_json::from_str(text).map_err(Mismatch::NotJson)?;
        let mut errors: Vec<String> = self
            .validator
            .iter_errors(&value)
            .take(MAX_ERRORS + 1)
            .map(|e| {
                let path = e.instance_path().to_string();
                let at = if path.is_empty() { "/".into() } else { path };
                format!("at {at}: {e}")
            })
            .collect();
        if errors.is_empty() {
            return Ok(value);
        }
        let more = errors.len() > MAX_ERRORS;
        errors.truncate(MAX_ERRORS);
        Err(Mismatch::Invalid { errors, more })
    }

    /// The system-prompt text for protocols without native structured output.
    pub fn instruction(&self) -> String {
        format!(
            "Answer with one JSON document and nothing else: no prose, no code fence. It must \
             validate against this JSON Schema:\n{}",
            serde_json::to_string_pretty(&self.value).unwrap_or_default()
        )
    }
}

/// The text inside one fenced block that is the whole answer; otherwise the answer, trimmed.
fn unfence(answer: &str) -> &str {
    let trimmed = answer.trim();
    let lines = crate::markdown::lines(trimmed);
    match crate::markdown::scan(trimmed).as_slice() {
        [only] if only.open == 0 && only.closed && only.next == lines.len() => {
            // the lines between the first and the last, as written
            let start = lines[0].len() + 1;
            let end = trimmed.len() - lines[lines.len() - 1].len();
            trimmed
                .get(start..end.max(start))
                .unwrap_or_default()
                .trim()
        }
        _ => trimmed,
    }
}

/// Puts the schema on the request: natively where the provider has structured output
/// (the `json_schema` capability: OpenAI's `response_format`, strict), else as an
/// instruction in a system message right after the persona's (a provider that takes one
/// system prompt gets it appended there).
pub fn attach(req: &mut ChatRequest, provider: ProviderRef, schema: &Schema) {
    if provider.model_capabilities(&req.model).json_schema {
        req.schema = Some(json!({"name": schema.name, "schema": schema.value, "strict": true}));
        return;
    }
    let at = req
        .messages
        .iter()
        .take_while(|m| m.role == Role::System)
        .count();
    req.messages
        .insert(at, Message::new(Role::System, schema.instruction()));
}

/// A validated answer: the answer (its text now the JSON alone) and the JSON value.
#[derive(Debug)]
pub struct Validated {
    pub answer: Answer,
    pub value: Value,
}

/// Calls the provider and validates the answer; a bad answer is asked for once more, with
/// the validation error, before it fails with exit 8. A truncated answer is returned as it
/// is, for the caller to report as truncated.
pub fn complete(
    req: &ChatRequest,
    endpoint: &Endpoint,
    schema: &Schema,
    sink: &mut dyn Sink,
) -> Result<Validated> {
    let first = provider::complete(req, endpoint, sink)?;
    if first.truncated {
        return Ok(Validated {
            answer: first,
            value: Value::Null,
        });
    }
    let error = match schema.check(&first.text) {
        Ok(value) => return Ok(validated(first, value)),
        Err(error) => error,
    };
    eprintln!("cellmage: warning: {error}; asking once more");
    let second = provider::complete(
        &retry_request(req, &first.text, &error.to_string()),
        endpoint,
        sink,
    )?;
    let usage = add_usage(first.usage, second.usage);
    if second.truncated {
        return Ok(Validated {
            answer: Answer { usage, ..second },
            value: Value::Null,
        });
    }
    match schema.check(&second.text) {
        Ok(value) => Ok(validated(
            Answer {
                usage,
                retries: first.retries + second.retries + 1,
                ..second
            },
            value,
        )),
        Err(error) => Err(
            Failure::new(Kind::Server, format!("{error} (after one retry)"))
                .hint("try another model, or check that the schema is what the answer should be")
                .into(),
        ),
    }
}

fn validated(mut answer: Answer, value: Value) -> Validated {
    answer.text = unfence(&answer.text).to_string();
    Validated { answer, value }
}

/// The retry: the conversation so far, the bad answer, and the validation error.
pub fn retry_request(req: &ChatRequest, answer: &str, error: &str) -> ChatRequest {
    let mut retry = req.clone();
    retry.messages.push(Message::new(Role::Assistant, answer));
    retry.messages.push(Message::new(
        Role::User,
        format!(
            "Your answer was rejected: {error}. Answer again with only the JSON document, \
             matching the schema exactly."
        ),
    ));
    retry
}

fn add_usage(a: Option<provider::Usage>, b: Option<provider::Usage>) -> Option<provider::Usage> {
    match (a, b) {
        (Some(a), Some(b)) => Some(provider::Usage {
            input_tokens: a.input_tokens + b.input_tokens,
            output_tokens: a.output_tokens + b.output_tokens,
        }),
        (a, b) => b.or(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Schema {
        compile(
            "person".into(),
            json!({"type": "object", "required": ["name", "age"],
                   "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
                   "additionalProperties": false}),
        )
        .unwrap()
    }

    #[test]
    fn check_accepts_matching_json_and_explains_the_rest() {
        let s = person();
        let table: &[(&str, Result<(), &str>)] = &[
            (r#"{"name":"a","age":3}"#, Ok(())),
            ("```json\n{\"name\":\"a\",\"age\":3}\n```", Ok(())),
            ("  {\"name\":\"a\",\"age\":3}\n", Ok(())),
            ("not json", Err("the answer is not JSON")),
            (r#"{"name":"a"}"#, Err("\"age\" is a required property")),
            (r#"{"name":"a","age":-1}"#, Err("at /age:")),
            (r#"{"name":"a","age":1,"x":0}"#, Err("at /:")),
            ("```json\n{\"name\":1}\n``` and more", Err("not JSON")),
        ];
        for (answer, want) in table {
            match (s.check(answer), want) {
                (Ok(_), Ok(())) => {}
                (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{answer:?}: {e}"),
                (got, want) => panic!("{answer:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn unfence_takes_one_whole_fenced_block_only() {
        let table = [
            ("```json\n{\"a\": 1}\n```", "{\"a\": 1}"),
            ("  ~~~\n[1]\n~~~  \n", "[1]"),
            ("````\n```\n````", "```"),
            ("```\n```", ""),
            ("{\"a\": 1}", "{\"a\": 1}"),
            ("```json\n{}\n``` and more", "```json\n{}\n``` and more"),
            ("text\n```\n{}\n```", "text\n```\n{}\n```"),
            ("```\n{}\n```\n```\n[]\n```", "```\n{}\n```\n```\n[]\n```"),
        ];
        for (answer, want) in table {
            assert_eq!(unfence(answer), want, "{answer:?}");
        }
    }

    #[test]
    fn names_follow_openai_rules() {
        let table = [
            (json!({"title": "My Schema!"}), None, "My_Schema_"),
            (json!({}), Some("person.schema"), "person_schema"),
            (json!({}), None, "response"),
            (json!({"title": "…"}), None, "response"),
        ];
        for (schema, stem, want) in table {
            assert_eq!(name_of(&schema, stem), want);
        }
        let long = "x".repeat(100);
        assert_eq!(name_of(&json!({ "title": long }), None).len(), 64);
    }

    #[test]
    fn an_invalid_schema_is_refused() {
        let err = compile("x".into(), json!({"type": "no-such-type"})).unwrap_err();
        assert!(err.to_string().contains("not a valid JSON Schema"), "{err}");
    }

    #[test]
    fn attach_is_native_for_openai_and_an_instruction_otherwise() {
        let mut req = ChatRequest {
            model: "m".into(),
            messages: vec![
                Message::new(Role::System, "persona"),
                Message::new(Role::User, "u"),
            ],
            params: Default::default(),
            stream: false,
            schema: None,
        };
        let s = person();
        let mut openai = req.clone();
        attach(&mut openai, &provider::openai::OPENAI, &s);
        assert_eq!(openai.schema.as_ref().unwrap()["strict"], true);
        assert_eq!(openai.schema.as_ref().unwrap()["name"], "person");
        assert_eq!(openai.messages, req.messages);
        attach(&mut req, &provider::echo::Echo, &s);
        assert!(req.schema.is_none());
        assert_eq!(req.messages[1].role, Role::System);
        assert!(req.messages[1].content.contains("\"minimum\": 0"));
        assert_eq!(req.messages[2].content, "u");
    }

    #[test]
    fn the_retry_carries_the_answer_and_the_error() {
        let req = ChatRequest {
            model: "m".into(),
            messages: vec![Message::new(Role::User, "u")],
            params: Default::default(),
            stream: true,
            schema: None,
        };
        let retry = retry_request(&req, "oops", "the answer is not JSON");
        assert_eq!(retry.messages.len(), 3);
        assert_eq!(retry.messages[1], Message::new(Role::Assistant, "oops"));
        assert!(retry.messages[2].content.contains("the answer is not JSON"));
    }
}
