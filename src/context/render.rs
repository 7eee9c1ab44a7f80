//! A snippet as the model reads it: `File: label`, then the text in a fence no backtick
//! run inside it can close.

use std::path::Path;

/// The language tag for a fence, from the file's extension.
pub fn language_of(label: &str) -> &'static str {
    let ext = Path::new(label)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "py" | "pyi" => "python",
        "rs" => "rust",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" | "mts" => "typescript",
        "tsx" => "tsx",
        "jsx" => "jsx",
        "go" => "go",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => "cpp",
        "cs" => "csharp",
        "rb" => "ruby",
        "php" => "php",
        "swift" => "swift",
        "sh" | "bash" => "bash",
        "zsh" => "zsh",
        "ps1" => "powershell",
        "sql" => "sql",
        "html" | "htm" => "html",
        "css" => "css",
        "json" => "json",
        "yaml" | "yml" => "yaml",
        "toml" => "toml",
        "xml" => "xml",
        "md" | "markdown" => "markdown",
        "ipynb" => "json",
        "diff" | "patch" => "diff",
        "dockerfile" => "dockerfile",
        _ if label.ends_with("Makefile") => "makefile",
        _ if label.ends_with("Dockerfile") => "dockerfile",
        _ => "",
    }
}

/// The fence for a text: one backtick longer than its longest backtick run, at least three.
pub fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// A header naming the label, then the text in a safe fence.
pub fn render(label: &str, text: &str) -> String {
    let fence = fence_for(text);
    let lang = language_of(label);
    let body = text.strip_suffix('\n').unwrap_or(text);
    format!("File: {label}\n{fence}{lang}\n{body}\n{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        let table = [
            ("plain", 3),
            ("a ``` b", 4),
            ("````` x ``", 6),
            ("`", 3),
            ("", 3),
        ];
        for (text, len) in table {
            assert_eq!(fence_for(text).len(), len, "{text:?}");
        }
    }

    #[test]
    fn render_has_header_language_and_fence() {
        assert_eq!(
            render("src/db.py", "x = 1\n"),
            "File: src/db.py\n```python\nx = 1\n```"
        );
        assert_eq!(
            render("notes", "```\ninner\n```"),
            "File: notes\n````\n```\ninner\n```\n````"
        );
    }
}
