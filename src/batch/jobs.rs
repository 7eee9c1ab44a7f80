//! The jobs file: JSON Lines, one job a line, each the same single call `cellmage` would
//! make from flags. Blank lines and lines starting with `#` are skipped. Errors name the
//! file and the line.
//!
//! ```json
//! {"id":"api","prompt":"Write tests","snippets":["src/api.py"],"persona":"coder",
//!  "extract":"python","output":"out/api_test.py"}
//! ```

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::usage;

/// The longest job id: both providers cap a batch request's `custom_id` at 64 characters
/// (OpenAI batch request input; Anthropic `^[a-zA-Z0-9_-]{1,64}$`).
pub const MAX_ID: usize = 64;

/// One job, as written in the file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Unique in the file; letters, digits, `-` and `_`; becomes the request's `custom_id`.
    pub id: String,
    pub prompt: String,
    /// Context specs, as `cellmage` takes them after the prompt (files, directories, globs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snippets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The `-x` selector: `first`, `last`, `all` or a language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<String>,
    /// Where the answer (or the extracted block) is written, as `-o`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<PathBuf>,
    /// A directory the answer's files are written into, as `--write-files`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_files: Option<PathBuf>,
    /// A conversation the exchange is recorded in (and whose history is sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// A JSON Schema: a file name, or the schema itself (a JSON object or its text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

impl Job {
    /// The schema as `--schema` takes it: a file name or the schema's text.
    pub fn schema_arg(&self) -> Option<String> {
        self.schema.as_ref().map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// What is wrong with this job on its own, if anything.
    fn problem(&self) -> Option<String> {
        if self.id.is_empty() || self.id.len() > MAX_ID {
            return Some(format!("\"id\" must be 1 to {MAX_ID} characters"));
        }
        if !self
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Some(format!(
                "\"id\" {:?} may hold only letters, digits, '-' and '_'",
                self.id
            ));
        }
        if self.prompt.trim().is_empty() {
            return Some("\"prompt\" is empty".into());
        }
        if self.output.is_some() && self.write_files.is_some() {
            return Some("\"output\" and \"write_files\" cannot both be given".into());
        }
        if self.extract.is_some() && self.write_files.is_some() {
            return Some("\"extract\" and \"write_files\" cannot both be given".into());
        }
        if let Some(t) = self.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Some(format!("\"temperature\" {t} is outside 0 to 2"));
        }
        if self.max_tokens == Some(0) {
            return Some("\"max_tokens\" must be at least 1".into());
        }
        if let Some(schema) = &self.schema
            && !(schema.is_object() || schema.is_string())
        {
            return Some("\"schema\" must be a file name or a JSON Schema object".into());
        }
        if let Some(name) = &self.conversation
            && let Err(e) = crate::conversation::store::validate_name(name)
        {
            return Some(format!("\"conversation\": {e}"));
        }
        None
    }
}

/// Parses and checks a jobs file; `source` names it in errors (`JOBS.jsonl:3: ...`).
/// Ids must be unique, and no two jobs may write the same output file.
pub fn parse(source: &str, text: &str) -> Result<Vec<Job>> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut ids = HashSet::new();
    let mut outputs = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let at = || format!("{source}:{}", index + 1);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let job: Job = serde_json::from_str(trimmed).map_err(|e| {
            usage(format!("{}: {}", at(), describe_json_error(&e)))
                .hint("one JSON object a line, with at least \"id\" and \"prompt\"")
        })?;
        if let Some(problem) = job.problem() {
            return Err(usage(format!("{}: {problem}", at())).into());
        }
        if !ids.insert(job.id.clone()) {
            return Err(usage(format!("{}: the id {:?} is used twice", at(), job.id)).into());
        }
        if let Some(out) = &job.output
            && !outputs.insert(out.clone())
        {
            return Err(usage(format!(
                "{}: {} is the output of an earlier job too",
                at(),
                out.display()
            ))
            .into());
        }
        jobs.push(job);
    }
    if jobs.is_empty() {
        return Err(usage(format!("{source}: no jobs in the file")).into());
    }
    Ok(jobs)
}

/// serde's message without its own "at line 1 column N" (the line is ours to name).
fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", parse("JOBS.jsonl", text).unwrap_err())
    }

    #[test]
    fn full_and_minimal_jobs() {
        let text = r#"
# nightly tests
{"id":"api","prompt":"Write tests","snippets":["src/api.py"],"persona":"coder","model":"gpt-4o-mini","extract":"python","output":"out/api_test.py"}

{"id":"db_2","prompt":"p","system":"s","write_files":"out/db","conversation":"db","schema":{"type":"object"},"max_tokens":100,"temperature":0.2}
{"id":"x","prompt":"p","schema":"schema.json"}
"#;
        let jobs = parse("J", text).unwrap();
        assert_eq!(jobs.len(), 3);
        assert_eq!(jobs[0].snippets, ["src/api.py"]);
        assert_eq!(
            jobs[0].output.as_deref(),
            Some(std::path::Path::new("out/api_test.py"))
        );
        assert_eq!(
            jobs[1].schema_arg().as_deref(),
            Some(r#"{"type":"object"}"#)
        );
        assert_eq!(jobs[2].schema_arg().as_deref(), Some("schema.json"));
        assert_eq!(jobs[1].temperature, Some(0.2));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "{\"id\":\"a\",\"prompt\":\"p\"}\n{\"id\":\"b\",\"promt\":\"p\"}",
                "JOBS.jsonl:2: unknown field `promt`",
            ),
            ("{\"id\":\"a\"}", "JOBS.jsonl:1: missing field `prompt`"),
            ("[1]", "JOBS.jsonl:1: invalid type"),
            ("{\"id\":\"a b\",\"prompt\":\"p\"}", "may hold only letters"),
            ("{\"id\":\"\",\"prompt\":\"p\"}", "\"id\" must be 1 to 64"),
            (
                "{\"id\":\"a\",\"prompt\":\"  \"}",
                "JOBS.jsonl:1: \"prompt\" is empty",
            ),
            (
                "{\"id\":\"a\",\"prompt\":\"p\"}\n\n{\"id\":\"a\",\"prompt\":\"q\"}",
                "JOBS.jsonl:3: the id \"a\" is used twice",
            ),
            (
                "{\"id\":\"a\",\"prompt\":\"p\",\"output\":\"o\"}\n{\"id\":\"b\",\"prompt\":\"p\",\"output\":\"o\"}",
                "JOBS.jsonl:2: o is the output of an earlier job too",
            ),
            (
                "{\"id\":\"a\",\"prompt\":\"p\",\"output\":\"o\",\"write_files\":\"d\"}",
                "cannot both",
            ),
            (
                "{\"id\":\"a\",\"prompt\":\"p\",\"temperature\":3}",
                "outside 0 to 2",
            ),
            (
                "{\"id\":\"a\",\"prompt\":\"p\",\"max_tokens\":0}",
                "at least 1",
            ),
            (
                "{\"id\":\"a\",\"prompt\":\"p\",\"schema\":3}",
                "\"schema\" must be",
            ),
            (
                "{\"id\":\"a\",\"prompt\":\"p\",\"conversation\":\"../x\"}",
                "invalid conversation name",
            ),
            ("# only a comment\n", "JOBS.jsonl: no jobs in the file"),
        ];
        for (text, want) in cases {
            let got = err(text);
            assert!(got.contains(want), "{text:?}: {got}");
        }
        assert_eq!(
            crate::error::classify(&parse("J", "x").unwrap_err()).0,
            crate::error::Kind::Usage
        );
    }
}
