//! `--format sarif`: SARIF 2.1.0, for code-scanning upload.

use serde_json::{Value, json};

use super::{Format, fingerprints, one_line, pretty};
use crate::review::findings::{Checked, Report, Severity};

pub const FORMAT: Format = Format {
    name: "sarif",
    help: "SARIF 2.1.0, for code-scanning upload",
    render: |report| pretty(&sarif(report)),
};

fn sarif_level(c: &Checked) -> &'static str {
    match c.finding.severity {
        _ if c.outside => "none",
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A path as a URI reference: unreserved characters and `/` kept, the rest percent-encoded.
pub fn uri_of(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn sarif_result(c: &Checked, rule_index: usize, fingerprint: &str) -> Value {
    let f = &c.finding;
    let mut region = json!({"startLine": f.line.max(1)});
    if let Some(end) = f.end_line {
        region["endLine"] = json!(end);
    }
    let mut text = format!("{}: {}", one_line(&f.title), f.explanation.trim());
    if let Some(fix) = f.suggested_fix.as_deref().filter(|s| !s.trim().is_empty()) {
        text.push_str(&format!("\n\nSuggested fix:\n{}", fix.trim_end()));
    }
    let mut result = json!({
        "ruleId": format!("cellmage/{}", f.category),
        "ruleIndex": rule_index,
        "level": sarif_level(c),
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri_of(&f.file), "uriBaseId": "%SRCROOT%"},
            "region": region
        }}],
        "partialFingerprints": {"cellmage/v1": fingerprint},
        "properties": {
            "severity": f.severity.name(),
            "category": f.category,
            "title": f.title,
            "suggestedFix": f.suggested_fix,
            "outsideDiff": c.outside
        }
    });
    if c.outside {
        result["kind"] = json!("review");
    }
    result
}

/// SARIF 2.1.0, for code-scanning upload: one rule per category, one result per finding.
pub fn sarif(report: &Report) -> Value {
    let mut categories: Vec<&str> = report
        .findings
        .iter()
        .map(|c| c.finding.category.as_str())
        .collect();
    categories.sort_unstable();
    categories.dedup();
    let rules: Vec<Value> = categories
        .iter()
        .map(|c| {
            json!({"id": format!("cellmage/{c}"), "name": c,
                   "shortDescription": {"text": format!("cellmage review: {c}")},
                   "properties": {"tags": [c]}})
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .zip(fingerprints(report))
        .map(|(c, fp)| {
            let index = categories
                .iter()
                .position(|x| *x == c.finding.category)
                .unwrap_or(0);
            sarif_result(c, index, &fp)
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cellmage",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "results": results,
            "properties": {
                "summary": report.summary,
                "droppedFindings": report.dropped,
                "model": report.model
            }
        }]
    })
}
