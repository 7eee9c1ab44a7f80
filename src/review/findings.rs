//! The built-in findings schema, the findings themselves, and their check against the diff:
//! a finding on a file or line the change does not show is never reported as if real.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::diff::Diff;
use crate::cli::FailOn;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// 0 is the most severe.
    pub fn rank(self) -> usize {
        self as usize
    }

    /// True when `--fail-on` counts this severity.
    pub fn fails(self, threshold: FailOn) -> bool {
        let limit = match threshold {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
            FailOn::Never => return false,
        };
        self.rank() <= limit.rank()
    }
}

/// The categories a finding may have.
pub const CATEGORIES: &[&str] = &[
    "security",
    "bug",
    "performance",
    "maintainability",
    "style",
    "documentation",
    "testing",
    "other",
];

/// One finding, as the model reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub file: String,
    pub line: u64,
    pub end_line: Option<u64>,
    pub severity: Severity,
    pub category: String,
    pub title: String,
    pub explanation: String,
    pub suggested_fix: Option<String>,
}

/// The whole answer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Answer {
    pub summary: String,
    pub findings: Vec<Finding>,
}

/// The findings JSON Schema sent with the request (strict-mode compatible: every property
/// required, nullable where optional, no additional properties).
pub fn schema() -> Value {
    let nullable_line = json!({"type": ["integer", "null"],
        "description": "last line of the finding in the new version; null for one line"});
    json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string",
                "description": "one-paragraph verdict: is the change safe to merge, what must change first"},
            "findings": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "description": "path as in the diff, without a/ or b/"},
                    "line": {"type": "integer", "description": "line in the new version of the file, inside a hunk of the diff"},
                    "end_line": nullable_line,
                    "severity": {"type": "string", "enum": Severity::ALL.map(Severity::name)},
                    "category": {"type": "string", "enum": CATEGORIES},
                    "title": {"type": "string", "description": "one line"},
                    "explanation": {"type": "string", "description": "what is wrong and why it matters"},
                    "suggested_fix": {"type": ["string", "null"],
                        "description": "replacement code for the lines, or a precise instruction; null if none"}
                },
                "required": ["file", "line", "end_line", "severity", "category", "title",
                             "explanation", "suggested_fix"],
                "additionalProperties": false
            }}
        },
        "required": ["summary", "findings"],
        "additionalProperties": false
    })
}

/// A finding after the diff check.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub finding: Finding,
    /// Not on a line the change shows (kept only with `--keep-outside`).
    pub outside: bool,
}

/// What the review reports.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Report {
    pub summary: String,
    /// Most severe first, then by file and line.
    pub findings: Vec<Checked>,
    /// Findings outside the change that were dropped.
    pub dropped: usize,
    pub model: Option<String>,
}

impl Report {
    /// The findings on the change (the ones a gate counts).
    pub fn inside(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|c| !c.outside)
            .map(|c| &c.finding)
    }

    pub fn outside(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|c| c.outside)
            .map(|c| &c.finding)
    }

    /// How many findings on the change fail the gate.
    pub fn failing(&self, threshold: FailOn) -> usize {
        self.inside()
            .filter(|f| f.severity.fails(threshold))
            .count()
    }

    /// `1 high, 2 low`: the count of findings on the change per severity.
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .map(|s| (*s, self.inside().filter(|f| f.severity == *s).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Checks every finding against the diff: the file must be in the change and the line in a
/// hunk of its new version. `end_line` is kept within that hunk. A finding that fails is
/// dropped, or with `keep_outside` kept and marked.
pub fn check(answer: Answer, diff: &Diff, keep_outside: bool, model: Option<String>) -> Report {
    let mut findings = Vec::new();
    let mut dropped = 0;
    for mut finding in answer.findings {
        let placed = diff.file(&finding.file).and_then(|file| {
            let hunk = file.hunk_of(finding.line)?;
            Some((file.path.clone(), hunk))
        });
        match placed {
            Some((path, hunk)) => {
                finding.file = path;
                finding.end_line = finding
                    .end_line
                    .map(|end| end.clamp(finding.line, hunk.end))
                    .filter(|end| *end > finding.line);
                findings.push(Checked {
                    finding,
                    outside: false,
                });
            }
            None if keep_outside => findings.push(Checked {
                finding,
                outside: true,
            }),
            None => dropped += 1,
        }
    }
    findings.sort_by(|a, b| {
        let key = |c: &Checked| {
            (
                c.outside,
                c.finding.severity.rank(),
                c.finding.file.clone(),
                c.finding.line,
            )
        };
        key(a).cmp(&key(b))
    });
    Report {
        summary: answer.summary,
        findings,
        dropped,
        model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::diff;

    pub fn finding(file: &str, line: u64, end: Option<u64>, severity: Severity) -> Finding {
        Finding {
            file: file.into(),
            line,
            end_line: end,
            severity,
            category: "bug".into(),
            title: format!("{file}:{line}"),
            explanation: "e".into(),
            suggested_fix: None,
        }
    }

    const DIFF: &str = "\
diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -1,2 +1,3 @@
 x
+y
 z
@@ -10,1 +11,2 @@
 p
+q
";

    #[test]
    fn findings_off_the_change_are_dropped_or_marked() {
        let diff = diff::parse(DIFF);
        let answer = || Answer {
            summary: "s".into(),
            findings: vec![
                finding("a.py", 2, Some(9), Severity::Low),
                finding("./a.py", 12, None, Severity::Critical),
                finding("a.py", 5, None, Severity::High),
                finding("b.py", 1, None, Severity::High),
                finding("b/a.py", 1, Some(1), Severity::Info),
            ],
        };
        let report = check(answer(), &diff, false, None);
        let got: Vec<(&str, u64, Option<u64>, bool)> = report
            .findings
            .iter()
            .map(|c| {
                (
                    c.finding.file.as_str(),
                    c.finding.line,
                    c.finding.end_line,
                    c.outside,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a.py", 12, None, false),
                ("a.py", 2, Some(3), false),
                ("a.py", 1, None, false),
            ]
        );
        assert_eq!(report.dropped, 2);
        let kept = check(answer(), &diff, true, None);
        assert_eq!(kept.dropped, 0);
        assert_eq!(kept.outside().count(), 2);
        assert_eq!(kept.failing(FailOn::High), 1);
    }

    #[test]
    fn the_gate_counts_at_or_above_the_threshold() {
        let table = [
            (Severity::Critical, FailOn::Critical, true),
            (Severity::High, FailOn::Critical, false),
            (Severity::High, FailOn::High, true),
            (Severity::Medium, FailOn::High, false),
            (Severity::Medium, FailOn::Medium, true),
            (Severity::Low, FailOn::Low, true),
            (Severity::Info, FailOn::Low, false),
            (Severity::Critical, FailOn::Never, false),
        ];
        for (severity, threshold, fails) in table {
            assert_eq!(
                severity.fails(threshold),
                fails,
                "{severity:?} {threshold:?}"
            );
        }
    }

    #[test]
    fn the_schema_accepts_a_full_answer_and_rejects_a_partial_one() {
        let schema = crate::schema::compile("findings".into(), schema()).unwrap();
        let good = json!({"summary": "ok", "findings": [{"file": "a.py", "line": 2, "end_line": null,
            "severity": "high", "category": "security", "title": "t", "explanation": "e",
            "suggested_fix": null}]});
        let value = schema.check(&good.to_string()).unwrap();
        let answer: Answer = serde_json::from_value(value).unwrap();
        assert_eq!(answer.findings[0].severity, Severity::High);
        let bad = json!({"summary": "ok", "findings": [{"file": "a.py", "line": 2, "severity": "urgent"}]});
        assert!(schema.check(&bad.to_string()).is_err());
    }
}
