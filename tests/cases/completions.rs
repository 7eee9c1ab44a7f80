//! Completions, man pages and help are kept honest: the committed files must match the CLI.
//! Regenerate with `cargo run -- completions --dir completions`, `cargo run -- man --dir man`
//! and `cargo run -- --help > tests/golden/help.txt`. The completion scripts call the binary
//! back at each Tab; those callbacks are tested here too.

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

/// What the completion callback offers for the last word of `words`, as fish asks for it:
/// one `value\thelp` line per candidate.
fn complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let mut cmd = env.cmd();
    cmd.env("CELLMAGE_COMPLETE", "fish")
        .arg("--")
        .arg("cellmage")
        .args(words);
    let out = cmd.output().expect("run cellmage");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

/// A user persona, an alias and a saved conversation.
fn user_files() -> TestEnv {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config.join("personas")).unwrap();
    std::fs::write(
        env.config.join("personas/rustacean.md"),
        "---\nname: Rustacean\n---\nYou write Rust.\n",
    )
    .unwrap();
    std::fs::write(
        env.config.join("config.toml"),
        "[aliases]\nfast = \"gpt-4.1-mini\"\n",
    )
    .unwrap();
    env.run(&["--model", "echo", "--conversation", "kvstore", "hello"])
        .ok("hello\n");
    env
}

#[test]
fn completions_offer_the_users_personas_models_aliases_and_conversations() {
    let env = user_files();
    let personas = complete(&env, &["-p", ""]);
    assert!(personas.contains(&"rustacean".to_string()), "{personas:?}");
    assert!(personas.contains(&"coder".to_string()), "{personas:?}");
    assert_eq!(
        complete(&env, &["review", "--persona", "rus"]),
        ["rustacean"]
    );
    assert_eq!(complete(&env, &["personas", "show", "rus"]), ["rustacean"]);
    let models = complete(&env, &["-m", ""]);
    assert!(models.contains(&"fast".to_string()), "{models:?}");
    assert!(models.contains(&"echo".to_string()), "{models:?}");
    assert_eq!(complete(&env, &["--conversation", "kv"]), ["kvstore"]);
    for sub in ["show", "export", "undo", "clear", "delete"] {
        assert_eq!(complete(&env, &["history", sub, "k"]), ["kvstore"], "{sub}");
    }
    let providers = complete(&env, &["--provider", ""]);
    for p in ["anthropic", "echo", "openai"] {
        assert!(providers.contains(&p.to_string()), "{providers:?}");
    }
    assert_eq!(
        complete(&env, &["review", "--format", ""]),
        ["markdown", "github", "sarif", "gitlab", "json"]
    );
    let flags = complete(&env, &["--conv"]);
    assert_eq!(flags, ["--conversation"]);
}

#[test]
fn bash_completion_calls_back_with_the_word_index() {
    let env = user_files();
    let out = env
        .cmd()
        .env("CELLMAGE_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .env("_CLAP_IFS", "\n")
        .args(["--", "cellmage", "-p", "rus"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "rustacean");
    let script = env.run(&["completions", "bash"]).stdout;
    assert!(script.contains("CELLMAGE_COMPLETE=\"bash\""), "{script}");
    assert!(script.contains(
        "complete -o nospace -o bashdefault -o nosort -F _clap_complete_cellmage cellmage"
    ));
}

#[test]
fn committed_man_pages_match_the_cli() {
    let env = TestEnv::new();
    env.run(&["man", "--dir", "."]).ok("");
    let generated = crate::common::files::entries(&env.cwd);
    let committed = crate::common::files::entries(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man"),
    );
    assert_eq!(generated, committed, "run `cargo run -- man --dir man`");
    assert!(generated.contains(&"cellmage-history-show.1".to_string()));
    for name in generated {
        assert!(
            std::fs::read_to_string(env.path(&name)).unwrap() == repo(&format!("man/{name}")),
            "man/{name} is stale: run `cargo run -- man --dir man`"
        );
    }
    let page = env.run(&["man"]);
    assert_eq!(page.code, 0);
    assert_eq!(page.stdout, repo("man/cellmage.1"));
    assert!(page.stdout.contains(".TH cellmage 1"));
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
