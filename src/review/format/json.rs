//! `--format json`: the findings as one JSON object.

use serde_json::{Value, json};

use super::{Format, pretty};
use crate::review::findings::{Report, Severity};

pub const FORMAT: Format = Format {
    name: "json",
    help: "The findings as one JSON object",
    render: |report| pretty(&json_report(report)),
};

/// Everything, as one JSON object.
pub fn json_report(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(&c.finding).unwrap_or_default();
            v["outside_diff"] = json!(c.outside);
            v
        })
        .collect();
    let counts: serde_json::Map<String, Value> = Severity::ALL
        .iter()
        .map(|s| {
            let n = report.inside().filter(|f| f.severity == *s).count();
            (s.name().to_string(), json!(n))
        })
        .collect();
    json!({
        "summary": report.summary,
        "findings": findings,
        "counts": counts,
        "dropped": report.dropped,
        "model": report.model,
    })
}
