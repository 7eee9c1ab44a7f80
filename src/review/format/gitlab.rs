//! `--format gitlab`: a GitLab Code Quality report (Code Climate issues).

use serde_json::{Value, json};

use super::{Format, fingerprints, one_line, pretty};
use crate::review::findings::{Checked, Report, Severity};

pub const FORMAT: Format = Format {
    name: "gitlab",
    help: "GitLab Code Quality report",
    render: |report| pretty(&gitlab(report)),
};

fn gitlab_severity(c: &Checked) -> &'static str {
    match c.finding.severity {
        _ if c.outside => "info",
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

/// A GitLab Code Quality report (a JSON array of Code Climate issues).
pub fn gitlab(report: &Report) -> Value {
    let issues: Vec<Value> = report
        .findings
        .iter()
        .zip(fingerprints(report))
        .map(|(c, fp)| {
            let f = &c.finding;
            let marker = if c.outside {
                "[outside the change] "
            } else {
                ""
            };
            let mut lines = json!({"begin": f.line.max(1)});
            if let Some(end) = f.end_line {
                lines["end"] = json!(end);
            }
            json!({
                "type": "issue",
                "description": format!("{marker}{}: {}", one_line(&f.title), one_line(&f.explanation)),
                "check_name": format!("cellmage/{}", f.category),
                "fingerprint": fp,
                "severity": gitlab_severity(c),
                "location": {"path": f.file, "lines": lines}
            })
        })
        .collect();
    Value::Array(issues)
}
