//! `--format github`: GitHub Actions workflow commands, one annotation per finding.

use super::{Format, one_line, plural};
use crate::review::findings::{Checked, Finding, Report, Severity};

pub const FORMAT: Format = Format {
    name: "github",
    help: "GitHub Actions workflow commands (annotations)",
    render,
};

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
pub fn render(report: &Report) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::format::tests::report;

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
        let out = render(&report());
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
}
