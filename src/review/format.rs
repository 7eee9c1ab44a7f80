//! The report in each `--format`: a Markdown PR comment, GitHub workflow commands, SARIF
//! 2.1.0, a GitLab Code Quality report, or plain JSON.

use serde_json::{Value, json};

use super::findings::{Checked, Finding, Report, Severity};
use crate::cli::ReviewFormat;
use crate::context::{fence_for, language_of};

pub fn render(format: ReviewFormat, report: &Report) -> String {
    match format {
        ReviewFormat::Markdown => markdown(report),
        ReviewFormat::Github => github(report),
        ReviewFormat::Sarif => pretty(&sarif(report)),
        ReviewFormat::Gitlab => pretty(&gitlab(report)),
        ReviewFormat::Json => pretty(&json_report(report)),
    }
}

fn pretty(v: &Value) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    text
}

/// `12` or `12-14`.
fn lines_of(f: &Finding) -> String {
    match f.end_line {
        Some(end) => format!("{}-{end}", f.line),
        None => f.line.to_string(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn plural(n: usize, word: &str) -> String {
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

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn markdown_finding(out: &mut String, f: &Finding) {
    out.push_str(&format!(
        "#### {}\n\n`{}` line {} · {} · {}\n\n{}\n",
        one_line(&f.title),
        f.file,
        lines_of(f),
        f.severity.name(),
        f.category,
        f.explanation.trim()
    ));
    if let Some(fix) = f.suggested_fix.as_deref().filter(|s| !s.trim().is_empty()) {
        let fence = fence_for(fix);
        out.push_str(&format!(
            "\n**Suggested fix:**\n\n{fence}{}\n{}\n{fence}\n",
            language_of(&f.file),
            fix.trim_end()
        ));
    }
    out.push('\n');
}

/// A PR comment body: the verdict, the counts, then the findings grouped by severity.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("## cellmage review\n\n");
    if !report.summary.trim().is_empty() {
        out.push_str(&format!("{}\n\n", report.summary.trim()));
    }
    out.push_str(&format!("**{}**\n\n", summary_line(report)));
    for severity in Severity::ALL {
        let group: Vec<&Finding> = report.inside().filter(|f| f.severity == severity).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "### {} ({})\n\n",
            capitalised(severity.name()),
            group.len()
        ));
        for f in group {
            markdown_finding(&mut out, f);
        }
    }
    let outside: Vec<&Finding> = report.outside().collect();
    if !outside.is_empty() {
        out.push_str(&format!(
            "### Outside the change ({}): not on a line of the diff, not verified\n\n",
            outside.len()
        ));
        for f in outside {
            markdown_finding(&mut out, f);
        }
    }
    if let Some(model) = &report.model {
        out.push_str(&format!("<sub>Reviewed by cellmage with {model}.</sub>\n"));
    }
    out
}

/// GitHub's escaping of a workflow command's message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn github_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

fn github_message(f: &Finding) -> String {
    let mut text = f.explanation.trim().to_string();
    if let Some(fix) = f.suggested_fix.as_deref().filter(|s| !s.trim().is_empty()) {
        text.push_str("\n\nSuggested fix:\n");
        text.push_str(fix.trim_end());
    }
    escape_data(&text)
}

fn github_annotation(c: &Checked) -> String {
    let f = &c.finding;
    if c.outside {
        let title = format!(
            "[{}, outside the change] {}",
            f.severity.name(),
            one_line(&f.title)
        );
        return format!(
            "::notice file={},title={}::{}\n",
            escape_property(&f.file),
            escape_property(&title),
            github_message(f)
        );
    }
    let mut props = format!("file={},line={}", escape_property(&f.file), f.line);
    if let Some(end) = f.end_line {
        props.push_str(&format!(",endLine={end}"));
    }
    let title = format!(
        "[{} {}] {}",
        f.severity.name(),
        f.category,
        one_line(&f.title)
    );
    props.push_str(&format!(",title={}", escape_property(&title)));
    format!(
        "::{} {props}::{}\n",
        github_level(f.severity),
        github_message(f)
    )
}

/// GitHub Actions workflow commands: one annotation per finding on its lines.
pub fn github(report: &Report) -> String {
    let mut out: String = report.findings.iter().map(github_annotation).collect();
    if report.dropped > 0 {
        out.push_str(&format!(
            "::notice title=cellmage review::{}\n",
            escape_data(&format!(
                "{} outside the change dropped",
                plural(report.dropped, "finding")
            ))
        ));
    }
    out
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
fn fingerprints(report: &Report) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
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
    fn github_escapes_data_and_properties() {
        let table = [
            ("a%b\r\nc", "a%25b%0D%0Ac", "a%25b%0D%0Ac"),
            ("x: y, z", "x: y, z", "x%3A y%2C z"),
        ];
        for (raw, data, prop) in table {
            assert_eq!(escape_data(raw), data);
            assert_eq!(escape_property(raw), prop);
        }
        let out = github(&report());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=src/a b.py,line=2,endLine=4,title=[critical security] SQL%3A injection%2C bad::50%25 worse,%0Areally: yes%0A%0ASuggested fix:%0Ause(a, b)"
        );
        assert!(lines[1].starts_with("::notice file=src/a b.py,line=9,title="));
        assert!(lines[2].starts_with("::notice file=other.py,title=[high%2C outside the change]"));
        assert_eq!(
            lines[3],
            "::notice title=cellmage review::2 findings outside the change dropped"
        );
    }

    #[test]
    fn markdown_groups_by_severity() {
        let md = markdown(&report());
        let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("{s} missing in\n{md}"));
        assert!(at("### Critical (1)") < at("### Low (1)"));
        assert!(at("### Low (1)") < at("### Outside the change (1)"));
        assert!(md.contains("**2 findings (1 critical, 1 low); 1 finding outside the change, kept and marked; 2 findings outside the change dropped**"));
        assert!(md.contains("`src/a b.py` line 2-4 · critical · security"));
        assert!(md.contains("```python\nuse(a, b)\n```"));
    }

    #[test]
    fn sarif_gitlab_and_json_shapes() {
        let r = report();
        let s = sarif(&r);
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
        let g = gitlab(&r);
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
        let j = json_report(&r);
        assert_eq!(j["counts"]["critical"], 1);
        assert_eq!(j["findings"][2]["outside_diff"], true);
        assert_eq!(j["dropped"], 2);
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
}
