//! The review report's output formats: one file per format, each a `Format` registered by
//! one line in `FORMATS`. `--format` takes its values, help and completions from the list.
//! Adding a format = a new file with its `FORMAT`, and its line in `FORMATS`.

mod github;
mod gitlab;
mod json;
mod markdown;
mod sarif;

use serde_json::Value;

use super::findings::{Finding, Report};

/// One `--format`: its name, its one-line help, and how it renders a report.
#[derive(Clone, Copy, Debug)]
pub struct Format {
    pub name: &'static str,
    pub help: &'static str,
    pub render: fn(&Report) -> String,
}

/// Every format, in the order `--help` lists them; the first is the default.
pub const FORMATS: &[Format] = &[
    markdown::FORMAT,
    github::FORMAT,
    sarif::FORMAT,
    gitlab::FORMAT,
    json::FORMAT,
];

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name == other.name
    }
}

impl Eq for Format {}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        FORMATS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name).help(self.help))
    }
}

/// The report in `format`.
pub fn render(format: Format, report: &Report) -> String {
    (format.render)(report)
}

pub(super) fn pretty(v: &Value) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    text
}

/// `12` or `12-14`.
pub(super) fn lines_of(f: &Finding) -> String {
    match f.end_line {
        Some(end) => format!("{}-{end}", f.line),
        None => f.line.to_string(),
    }
}

pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `2 findings (1 high, 1 low)`, and what happened to the ones outside the change.
pub fn summary_line(report: &Report) -> String {
    let counts = report.counts();
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let mut line = plural(total, "finding");
    if !counts.is_empty() {
        let parts: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.name()))
            .collect();
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    let outside = report.outside().count();
    if outside > 0 {
        line.push_str(&format!(
            "; {} outside the change, kept and marked",
            plural(outside, "finding")
        ));
    }
    if report.dropped > 0 {
        line.push_str(&format!(
            "; {} outside the change dropped",
            plural(report.dropped, "finding")
        ));
    }
    line
}

/// A stable fingerprint: FNV-1a over the parts, twice with different offsets, as hex.
pub fn fingerprint(parts: &[&str]) -> String {
    let hash = |mut h: u64| {
        for part in parts {
            for b in part.bytes().chain([0]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    };
    format!(
        "{:016x}{:016x}",
        hash(0xcbf2_9ce4_8422_2325),
        hash(0x6c62_272e_07bb_0142)
    )
}

/// The fingerprint of a finding: file, category, title and which occurrence it is, so that
/// it survives lines moving.
pub(super) fn fingerprints(report: &Report) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    report
        .findings
        .iter()
        .map(|c| {
            let f = &c.finding;
            let base = fingerprint(&[&f.file, &f.category, &one_line(&f.title)]);
            let n = seen.iter().filter(|s| **s == base).count();
            seen.push(base.clone());
            fingerprint(&[&base, &n.to_string()])
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::review::findings::{Checked, Severity};
    use serde_json::json;

    pub fn report() -> Report {
        let f = |file: &str, line, end, severity, title: &str| Checked {
            finding: Finding {
                file: file.into(),
                line,
                end_line: end,
                severity,
                category: "security".into(),
                title: title.into(),
                explanation: "50% worse,\nreally: yes".into(),
                suggested_fix: Some("use(a, b)".into()),
            },
            outside: false,
        };
        let mut outside = f("other.py", 3, None, Severity::High, "elsewhere");
        outside.outside = true;
        Report {
            summary: "Not safe.".into(),
            findings: vec![
                f(
                    "src/a b.py",
                    2,
                    Some(4),
                    Severity::Critical,
                    "SQL: injection, bad",
                ),
                f("src/a b.py", 9, None, Severity::Low, "nit"),
                outside,
            ],
            dropped: 2,
            model: Some("m".into()),
        }
    }

    #[test]
    fn fingerprints_are_stable_and_distinct_per_occurrence() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
        let mut r = report();
        r.findings[1] = r.findings[0].clone();
        let fps = fingerprints(&r);
        assert_ne!(fps[0], fps[1]);
    }
    #[test]
    fn sarif_gitlab_and_json_shapes() {
        let r = report();
        let s = sarif::sarif(&r);
        let results = s["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results[0]["level"], "error");
        assert_eq!(results[1]["level"], "note");
        assert_eq!(
            (results[2]["level"].as_str(), results[2]["kind"].as_str()),
            (Some("none"), Some("review"))
        );
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "src/a%20b.py"
        );
        assert_eq!(s["runs"][0]["properties"]["droppedFindings"], 2);
        let g = gitlab::gitlab(&r);
        let sev: Vec<&str> = g
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["severity"].as_str().unwrap())
            .collect();
        assert_eq!(sev, ["blocker", "minor", "info"]);
        assert_eq!(g[0]["location"]["lines"], json!({"begin": 2, "end": 4}));
        let fps: Vec<&str> = g
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        assert!(fps[0] != fps[1] && fps[1] != fps[2] && fps[0].len() == 32);
        let j = json::json_report(&r);
        assert_eq!(j["counts"]["critical"], 1);
        assert_eq!(j["findings"][2]["outside_diff"], true);
        assert_eq!(j["dropped"], 2);
    }

    #[test]
    fn the_registry_has_unique_names_and_markdown_first() {
        let mut names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        assert_eq!(names[0], "markdown");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len());
        for format in FORMATS {
            assert!(!render(*format, &report()).is_empty(), "{}", format.name);
        }
    }
}
