//! `--format markdown`: a PR comment body, the findings grouped by severity.

use super::{Format, lines_of, one_line, summary_line};
use crate::context::{fence_for, language_of};
use crate::review::findings::{Finding, Report, Severity};

pub const FORMAT: Format = Format {
    name: "markdown",
    help: "A PR comment body, grouped by severity",
    render,
};

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
pub fn render(report: &Report) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::format::tests::report;

    #[test]
    fn markdown_groups_by_severity() {
        let md = render(&report());
        let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("{s} missing in\n{md}"));
        assert!(at("### Critical (1)") < at("### Low (1)"));
        assert!(at("### Low (1)") < at("### Outside the change (1)"));
        assert!(md.contains("**2 findings (1 critical, 1 low); 1 finding outside the change, kept and marked; 2 findings outside the change dropped**"));
        assert!(md.contains("`src/a b.py` line 2-4 · critical · security"));
        assert!(md.contains("```python\nuse(a, b)\n```"));
    }
}
