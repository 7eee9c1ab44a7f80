//! Continuing a conversation carries on its model, provider, base URL and persona, unless
//! a flag or the environment says otherwise; `history show` says which were used.

use crate::common::{FakeServer, Reply, TestEnv};

#[test]
fn a_claude_conversation_continues_on_claude_with_its_persona() {
    let claude = FakeServer::start(vec![Reply::anthropic("ok")]);
    let openai = FakeServer::start(vec![Reply::openai("gpt")]);
    let env = TestEnv::new()
        .with_anthropic_server(&claude)
        .with_server(&openai);
    let first = [
        "-m",
        "claude-haiku-4-5",
        "-p",
        "coder",
        "--conversation",
        "w",
        "one",
    ];
    env.run(&first).ok("ok\n");
    env.run(&["-c", "two"]).ok("ok\n");
    let requests = claude.requests();
    assert_eq!(requests.len(), 2);
    let (one, two) = (requests[0].json(), requests[1].json());
    assert_eq!(two["model"], "claude-haiku-4-5");
    assert_eq!(two["system"], one["system"], "the coder persona is kept");
    // a flag says otherwise: the model, and with it its own provider
    env.run(&["-c", "-m", "gpt-4.1-mini", "three"]).ok("gpt\n");
    assert_eq!(openai.request().json()["model"], "gpt-4.1-mini");
    let show = env.run(&["history", "show", "w"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout.contains(&format!(
            "claude-haiku-4-5 (anthropic at {})",
            claude.root_url()
        )),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("persona coder"), "{}", show.stdout);
    assert!(
        show.stdout.contains("gpt-4.1-mini (openai at "),
        "{}",
        show.stdout
    );
}

#[test]
fn the_base_url_is_carried_on_unless_the_environment_names_another() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new();
    env.run(&["--api-base", &server.url(), "-m", "llama3", "one"])
        .ok("ok\n");
    // no flag, no variable: the conversation's server and model
    env.run(&["-c", "two"]).ok("ok\n");
    assert_eq!(server.hits(), 2);
    assert_eq!(server.requests()[1].json()["model"], "llama3");
    // the environment says otherwise
    let other = FakeServer::start(vec![Reply::openai("other")]);
    env.set("CELLMAGE_API_BASE", &other.url());
    env.run(&["-c", "three"]).ok("other\n");
    assert_eq!(other.request().json()["model"], "llama3");
    env.set("CELLMAGE_MODEL", "gpt-4o");
    env.run(&["-c", "four"]).ok("other\n");
    assert_eq!(other.requests()[1].json()["model"], "gpt-4o");
}

#[test]
fn old_records_without_a_base_url_still_load_and_continue() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    let dir = env.data.join("conversations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("old.jsonl"),
        concat!(
            r#"{"format":"cellmage-conversation","version":1,"id":"x","name":"old","created":"2025-06-01T14:22:33.123Z"}"#,
            "\n",
            r#"{"time":"2025-06-01T14:22:40.512Z","model":"gpt-4o","provider":"openai","persona":null,"messages":[{"role":"user","content":"q"}],"answer":"a","usage":null,"finish_reason":"stop","cost":null,"duration_ms":5}"#,
            "\n"
        ),
    )
    .unwrap();
    env.run(&["--conversation", "old", "next"]).ok("ok\n");
    assert_eq!(server.request().json()["model"], "gpt-4o");
}
