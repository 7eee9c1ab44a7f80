//! Personas: built-ins, CellMage persona files, search order, front matter as parameters.

use crate::common::{FakeServer, Reply, TestEnv};

const CELLMAGE_PERSONA: &str = "---\nname: python_expert\ndescription: Python expert\nmodel: gpt-4o\ntemperature: 0.3\ntop_p: 0.8\n---\nYou are a Python expert.\n";

#[test]
fn builtin_persona_is_the_first_system_message() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["-p", "coder", "a key-value store"]).ok("ok\n");
    let msgs = server.request().messages();
    assert_eq!(msgs[0].0, "system");
    assert!(
        msgs[0].1.contains("relative to the project"),
        "{}",
        msgs[0].1
    );
    assert_eq!(msgs[1], ("user".into(), "a key-value store".into()));
    assert_eq!(server.request().json()["temperature"], 0.2);
}

#[test]
fn cellmage_persona_file_loads_unchanged_and_its_keys_become_parameters() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("personas/python_expert.md", CELLMAGE_PERSONA);
    env.run(&["-p", "personas/python_expert.md", "hi"])
        .ok("ok\n");
    let body = server.request().json();
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(body["temperature"], 0.3);
    assert_eq!(body["top_p"], 0.8);
    assert_eq!(body["messages"][0]["content"], "You are a Python expert.");
}

#[test]
fn flags_beat_the_persona() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("p.md", CELLMAGE_PERSONA);
    env.run(&[
        "-p", "p.md", "-m", "gpt-4.1", "-t", "0.9", "--param", "top_p", "0.1", "hi",
    ])
    .ok("ok\n");
    let body = server.request().json();
    assert_eq!(
        (body["model"].as_str(), body["temperature"].as_f64()),
        (Some("gpt-4.1"), Some(0.9))
    );
    assert_eq!(body["top_p"], 0.1);
}

#[test]
fn search_order_project_then_user_then_env_dirs_then_builtin() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new().with_server(&server);
    let extra = env.root().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("coder.md"), "from env dir").unwrap();
    std::fs::write(extra.join("only_env.md"), "only in env dir").unwrap();
    env.set("CELLMAGE_PERSONAS_DIRS", extra.to_str().unwrap());
    std::fs::create_dir_all(env.config.join("personas")).unwrap();
    std::fs::write(env.config.join("personas/coder.md"), "from user dir").unwrap();
    let system = |args: &[&str]| {
        env.run(args).ok("ok\n");
        server.requests().last().unwrap().messages()[0].1.clone()
    };
    assert_eq!(system(&["-p", "coder", "x"]), "from user dir");
    env.write(".cellmage/personas/coder.md", "from project dir");
    assert_eq!(system(&["-p", "coder", "x"]), "from project dir");
    assert_eq!(system(&["-p", "only_env", "x"]), "only in env dir");
    assert!(system(&["-p", "test_writer", "x"]).contains("tests"));
}

#[test]
fn unknown_persona_is_exit_2_and_lists_known_ones() {
    let env = TestEnv::new();
    let run = env.run(&["-p", "nobody", "hi"]);
    run.fails(2, "unknown persona \"nobody\"");
    assert!(run.stderr.contains("code_reviewer"));
}

#[test]
fn personas_list_and_show() {
    let env = TestEnv::new();
    env.write(".cellmage/personas/mine.md", CELLMAGE_PERSONA);
    let run = env.run(&["personas"]);
    assert_eq!(run.code, 0);
    for name in [
        "mine",
        "coder",
        "code_reviewer",
        "security_reviewer",
        "test_writer",
        "documenter",
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(name)),
            "{name} in {}",
            run.stdout
        );
    }
    env.run(&["personas", "show", "mine"]).ok(CELLMAGE_PERSONA);
    let run = env.run(&["personas", "show", "security_reviewer"]);
    assert!(run.stdout.starts_with("---\nname: security_reviewer"));
}
