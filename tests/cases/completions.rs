//! Completions and help are kept honest: the committed files must match the CLI.
//! Regenerate with `cargo run -- completions --dir completions` and
//! `cargo run -- --help > tests/golden/help.txt`.

use crate::common::TestEnv;

fn repo(rel: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_completions_match_the_cli() {
    let env = TestEnv::new();
    let table = [
        ("bash", "completions/cellmage.bash"),
        ("zsh", "completions/_cellmage"),
        ("fish", "completions/cellmage.fish"),
        ("elvish", "completions/cellmage.elv"),
        ("powershell", "completions/_cellmage.ps1"),
    ];
    for (shell, file) in table {
        let run = env.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout == repo(file),
            "{file} is stale: run `cargo run -- completions --dir completions`"
        );
    }
}

#[test]
fn completions_dir_writes_every_shell() {
    let env = TestEnv::new();
    env.run(&["completions", "--dir", "."]).ok("");
    for file in [
        "cellmage.bash",
        "_cellmage",
        "cellmage.fish",
        "cellmage.elv",
        "_cellmage.ps1",
    ] {
        assert!(env.path(file).is_file(), "{file}");
    }
}

#[test]
fn help_matches_the_golden_file_and_has_examples_and_exit_codes() {
    let run = TestEnv::new().run(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("cellmage -p coder -x=python -o kvstore.py")
    );
    assert!(
        run.stdout
            .contains("git diff main... | cellmage -p security_reviewer")
    );
    assert!(run.stdout.contains("130  interrupted"));
    assert!(
        run.stdout == repo("tests/golden/help.txt"),
        "tests/golden/help.txt is stale: run `cargo run -- --help > tests/golden/help.txt`"
    );
}
