//! Conversations: recorded on success only, sent back as history, safe under parallel
//! writers, SIGKILL and damaged files (SPEC §4, issue 3).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::Value;

fn dir(env: &TestEnv) -> PathBuf {
    env.data.join("conversations")
}

fn file(env: &TestEnv, name: &str) -> PathBuf {
    dir(env).join(format!("{name}.jsonl"))
}

fn bytes(env: &TestEnv, name: &str) -> Vec<u8> {
    std::fs::read(file(env, name)).expect("conversation file")
}

/// The exchange lines of a conversation file, each parsed; every line must be complete.
fn exchanges(env: &TestEnv, name: &str) -> Vec<Value> {
    let text = String::from_utf8(bytes(env, name)).unwrap();
    assert!(text.ends_with('\n'), "torn file: {text:?}");
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let header = lines.next().unwrap();
    assert_eq!(header["format"], "cellmage-conversation");
    assert!(
        matches!(header["version"].as_u64(), Some(1 | 2)),
        "{header}"
    );
    lines.collect()
}

fn names(env: &TestEnv) -> BTreeSet<String> {
    match std::fs::read_dir(dir(env)) {
        Ok(read) => read
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter_map(|n| n.strip_suffix(".jsonl").map(String::from))
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

fn msg(role: &str, content: &str) -> (String, String) {
    (role.to_string(), content.to_string())
}

fn answer(text: &str) -> Reply {
    Reply::openai_stream(&[text])
}

#[test]
fn history_is_sent_in_order_after_persona_and_system_messages() {
    let server = FakeServer::start(vec![answer("one"), answer("two"), answer("three")]);
    let env = TestEnv::new().with_server(&server);
    env.write("a.txt", "alpha\n");
    env.write("rules.txt", "be terse\n");
    let base = [
        "-p",
        "coder",
        "--sys-snippet",
        "rules.txt",
        "--conversation",
        "kv",
    ];
    let call = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        env.run(&args)
    };
    call(&["--snippet", "a.txt", "first"]).ok("one\n");
    call(&["second"]).ok("two\n");
    call(&["third"]).ok("three\n");
    let reqs = server.requests();
    let first = reqs[0].messages();
    assert_eq!(first.len(), 4, "{first:?}");
    let (system, asked) = first.split_at(2);
    assert_eq!(system[0].0, "system");
    assert_eq!(system[1].0, "system");
    let mut want = system.to_vec();
    want.extend_from_slice(asked);
    want.push(msg("assistant", "one"));
    want.push(msg("user", "second"));
    want.push(msg("assistant", "two"));
    want.push(msg("user", "third"));
    assert_eq!(reqs[2].messages(), want);

    let recorded = exchanges(&env, "kv");
    assert_eq!(recorded.len(), 3);
    let e = &recorded[0];
    assert_eq!(
        e["messages"].as_array().unwrap().len(),
        2,
        "snippet + prompt"
    );
    assert_eq!(e["messages"][1]["content"], "first");
    assert_eq!(e["answer"], "one");
    assert_eq!(e["persona"], "coder");
    assert_eq!(e["provider"], "openai");
    assert_eq!(e["model"], "gpt-4.1-mini");
    assert_eq!(e["finish_reason"], "stop");
    assert_eq!(e["usage"]["input_tokens"], 11);
    assert!(e["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn no_flag_starts_a_new_conversation_and_continue_takes_the_latest() {
    let server = FakeServer::start(vec![answer("A"), answer("B"), answer("C")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["first"]).ok("A\n");
    std::thread::sleep(Duration::from_millis(20));
    env.run(&["second"]).ok("B\n");
    assert_eq!(names(&env).len(), 2);
    env.run(&["-c", "third"]).ok("C\n");
    let reqs = server.requests();
    assert_eq!(reqs[1].messages(), [msg("user", "second")]);
    assert_eq!(
        reqs[2].messages(),
        [
            msg("user", "second"),
            msg("assistant", "B"),
            msg("user", "third")
        ]
    );
    assert_eq!(names(&env).len(), 2, "-c adds to an existing conversation");
}

#[test]
fn continue_with_no_conversation_is_a_usage_error() {
    let server = FakeServer::start(vec![answer("x")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.run(&["-c", "hi"])
        .fails(2, "there is no conversation in this project");
    assert!(server.requests().is_empty());
}

#[test]
fn the_environment_names_the_conversation() {
    let server = FakeServer::start(vec![answer("A"), answer("B")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_CONVERSATION", "from-env");
    env.run(&["one"]).ok("A\n");
    env.run(&["two"]).ok("B\n");
    assert_eq!(names(&env), BTreeSet::from(["from-env".to_string()]));
    assert_eq!(exchanges(&env, "from-env").len(), 2);
}

#[test]
fn no_history_neither_loads_nor_records() {
    let server = FakeServer::start(vec![answer("A"), answer("B")]);
    let mut env = TestEnv::new().with_server(&server);
    env.run(&["--no-history", "alone"]).ok("A\n");
    assert!(
        !env.data.join("conversations").exists(),
        "--no-history created files"
    );

    env.set("CELLMAGE_CONVERSATION", "kv");
    let kv = [r#"{"format":"cellmage-conversation","version":1,"id":"i","name":"kv","created":"t"}"#,
        r#"{"time":"t","model":"m","provider":"p","messages":[{"role":"user","content":"old"}],"answer":"old answer"}"#].join("\n") + "\n";
    std::fs::create_dir_all(dir(&env)).unwrap();
    std::fs::write(file(&env, "kv"), &kv).unwrap();
    env.run(&["--no-history", "fresh"]).ok("B\n");
    assert_eq!(server.requests()[1].messages(), [msg("user", "fresh")]);
    assert_eq!(bytes(&env, "kv"), kv.as_bytes());
    assert_eq!(names(&env).len(), 1);
}

#[test]
fn a_failed_call_leaves_the_conversation_byte_for_byte_unchanged() {
    let failures = [
        (Reply::status(500, "boom"), 8),
        (Reply::Drop, 7),
        (Reply::openai_stream_finish(&["cut"], "length"), 4),
        (
            Reply::raw_sse(&[
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"half\"}}]}\n\n",
            ]),
            7,
        ),
    ];
    for (reply, code) in failures {
        let server = FakeServer::start(vec![answer("ok"), reply.clone()]);
        let env = TestEnv::new().with_server(&server);
        env.run(&["--conversation", "kv", "first"]).ok("ok\n");
        let before = bytes(&env, "kv");
        let run = env.run(&["--retries", "0", "--conversation", "kv", "second"]);
        assert_eq!(run.code, code, "{reply:?}: {}", run.stderr);
        assert_eq!(bytes(&env, "kv"), before, "{reply:?}");
        let run = env.run(&["--retries", "0", "--conversation", "new-one", "x"]);
        assert_eq!(run.code, code, "{reply:?}");
        assert!(!file(&env, "new-one").exists(), "{reply:?} created a file");
    }
}

#[test]
fn ctrl_c_during_the_call_records_nothing() {
    let slow = Reply::Delay(Duration::from_secs(5), Box::new(answer("late")));
    let server = FakeServer::start(vec![answer("ok"), slow]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--conversation", "kv", "first"]).ok("ok\n");
    let before = bytes(&env, "kv");
    let mut child = env
        .cmd()
        .args(["--conversation", "kv", "second"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.requests().len() < 2 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(bytes(&env, "kv"), before);
}

#[test]
fn parallel_writers_all_land_exactly_once() {
    const N: usize = 24;
    // The delay gathers the writers, so that they record at nearly the same moment into a
    // file that does not exist yet.
    let gather = Reply::Delay(Duration::from_millis(500), Box::new(answer("done")));
    let server = FakeServer::start(vec![gather]);
    let env = TestEnv::new().with_server(&server);
    let children: Vec<_> = (0..N)
        .map(|i| {
            env.cmd()
                .args(["--conversation", "shared", &format!("prompt {i}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let prompts: Vec<String> = exchanges(&env, "shared")
        .iter()
        .map(|e| e["messages"][0]["content"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(prompts.len(), N);
    let unique: BTreeSet<&String> = prompts.iter().collect();
    assert_eq!(unique.len(), N, "{prompts:?}");
    assert_eq!(names(&env).len(), 1);
}

#[test]
fn writers_killed_at_random_moments_leave_it_loadable() {
    let env = TestEnv::new();
    env.write("big.txt", &"0123456789abcdef\n".repeat(64 * 1024));
    let args = [
        "--model",
        "echo",
        "--conversation",
        "victim",
        "--prompt-file",
        "big.txt",
    ];
    let mut landed = 0;
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for round in 0..24 {
        let mut child = env
            .cmd()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 60_000));
        let _ = child.kill();
        let status = child.wait().unwrap();
        landed += usize::from(status.success());
        if file(&env, "victim").exists() {
            let run = env.run(&["history", "export", "victim", "--format", "json"]);
            assert_eq!(run.code, 0, "round {round}: {}", run.stderr);
        }
    }
    let run = env
        .cmd()
        .args(["--model", "echo", "--conversation", "victim", "last"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let all = exchanges(&env, "victim");
    assert!(
        all.len() > landed,
        "{} recorded, {landed} finished",
        all.len()
    );
    assert_eq!(all.last().unwrap()["answer"], "last");
}

/// A header line and `n` exchange lines written by hand.
fn hand_made(n: usize, spaced: bool) -> String {
    let sep = if spaced { ": " } else { ":" };
    let mut text = format!(
        "{{\"format\"{sep}\"cellmage-conversation\",\"version\"{sep}1,\"id\"{sep}\"i\",\"name\"{sep}\"kv\",\"created\"{sep}\"t\"}}\n"
    );
    for i in 0..n {
        text.push_str(&format!(
            "{{\"time\"{sep}\"t\",\"model\"{sep}\"m\",\"provider\"{sep}\"p\",\"messages\"{sep}[{{\"role\"{sep}\"user\",\"content\"{sep}\"q{i}\"}}],\"answer\"{sep}\"a{i}\"}}\n"
        ));
    }
    text
}

fn install(env: &TestEnv, name: &str, text: &str) {
    std::fs::create_dir_all(dir(env)).unwrap();
    std::fs::write(file(env, name), text).unwrap();
}

#[test]
fn a_torn_tail_is_ignored_and_cut_before_the_next_append() {
    let server = FakeServer::start(vec![answer("new")]);
    let env = TestEnv::new().with_server(&server);
    let sound = hand_made(2, false);
    let torn_line = &hand_made(3, false)[sound.len()..];
    install(
        &env,
        "kv",
        &format!("{sound}{}", &torn_line[..torn_line.len() / 2]),
    );
    env.run(&["--conversation", "kv", "next"]).ok("new\n");
    assert_eq!(
        server.request().messages(),
        [
            msg("user", "q0"),
            msg("assistant", "a0"),
            msg("user", "q1"),
            msg("assistant", "a1"),
            msg("user", "next")
        ]
    );
    let after = String::from_utf8(bytes(&env, "kv")).unwrap();
    assert!(after.starts_with(&sound));
    let all = exchanges(&env, "kv");
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["answer"], "new");
}

#[test]
fn a_damaged_file_is_exit_2_untouched_and_others_keep_working() {
    let server = FakeServer::start(vec![answer("fine")]);
    let env = TestEnv::new().with_server(&server);
    let text = hand_made(3, false).replacen("\"answer\":\"a0\"", "\"answer\":", 1);
    install(&env, "kv", &text);
    let path = file(&env, "kv").display().to_string();
    for args in [
        &["--conversation", "kv", "hi"][..],
        &["history", "show", "kv"],
        &["history", "undo", "kv"],
        &["history", "clear", "kv"],
        &["history", "export", "kv"],
    ] {
        env.run(args).fails(2, &path).fails(2, "line 2");
        assert_eq!(bytes(&env, "kv"), text.as_bytes(), "{args:?}");
    }
    env.run(&["--conversation", "other", "hi"]).ok("fine\n");
    assert_eq!(exchanges(&env, "other").len(), 1);
    assert_eq!(bytes(&env, "kv"), text.as_bytes());
}

#[test]
fn a_newer_format_version_is_exit_2() {
    let server = FakeServer::start(vec![answer("x")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    let text = hand_made(1, false).replacen("\"version\":1", "\"version\":3", 1);
    install(&env, "kv", &text);
    env.run(&["--conversation", "kv", "hi"])
        .fails(2, "newer cellmage (format version 3");
    assert_eq!(bytes(&env, "kv"), text.as_bytes());
}

#[test]
fn invalid_names_are_usage_errors() {
    let server = FakeServer::start(vec![answer("x")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    let long = "n".repeat(101);
    for name in ["../escape", "a/b", ".hidden", "a..b", long.as_str()] {
        env.run(&["--conversation", name, "hi"])
            .fails(2, "invalid conversation name");
    }
    assert!(!env.data.exists());
}

#[cfg(unix)]
#[test]
fn files_and_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.run(&["--model", "echo", "--conversation", "kv", "hi"])
        .ok("hi\n");
    let mode = |p: PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(env.data.clone()), 0o700);
    assert_eq!(mode(dir(&env)), 0o700);
    assert_eq!(mode(file(&env, "kv")), 0o600);
    assert_eq!(mode(dir(&env).join("kv.lock")), 0o600);
    env.run(&["history", "undo", "kv"])
        .ok("dropped exchange 1 of kv\n");
    assert_eq!(mode(file(&env, "kv")), 0o600);
}

#[cfg(unix)]
#[test]
fn appending_to_a_long_history_does_not_rewrite_it() {
    use std::os::unix::fs::MetadataExt;
    let env = TestEnv::new();
    // Spaced JSON is valid but not how cellmage writes it: a rewrite would change it.
    let old = hand_made(10_000, true);
    install(&env, "kv", &old);
    let inode = std::fs::metadata(file(&env, "kv")).unwrap().ino();
    // echo lists the history it would have sent before the prompt
    let run = env.run(&["--model", "echo", "--conversation", "kv", "one more"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("- history: 10000 exchanges"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("\n\none more\n"), "{}", run.stdout);
    let new = bytes(&env, "kv");
    assert_eq!(std::fs::metadata(file(&env, "kv")).unwrap().ino(), inode);
    assert_eq!(&new[..old.len()], old.as_bytes());
    let added = std::str::from_utf8(&new[old.len()..]).unwrap();
    assert_eq!(added.matches('\n').count(), 1, "exactly one line appended");
    let line: Value = serde_json::from_str(added).unwrap();
    assert!(line["answer"].as_str().unwrap().ends_with("\n\none more"));
    assert_eq!(exchanges(&env, "kv").len(), 10_001);
}

#[test]
fn a_snippets_label_is_recorded_but_never_sent() {
    let server = FakeServer::start(vec![answer("one"), answer("two")]);
    let env = TestEnv::new().with_server(&server);
    env.write("src/a.py", "x = 1\n");
    let common = ["--conversation", "lab"];
    env.run(&[&common[..], &["--snippet", "src/a.py", "first"]].concat())
        .ok("one\n");
    env.run(&[&common[..], &["second"]].concat()).ok("two\n");

    let recorded = exchanges(&env, "lab");
    let snippet = &recorded[0]["messages"][0];
    assert_eq!(snippet["content"], "File: src/a.py\n```python\nx = 1\n```");
    assert_eq!(
        snippet["snippet"],
        serde_json::json!({"kind": "file", "label": "src/a.py"})
    );
    assert!(
        recorded[0]["messages"][1].get("snippet").is_none(),
        "the prompt has no label"
    );

    for request in server.requests() {
        for m in request.json()["messages"].as_array().unwrap() {
            let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["role", "content"], "{m}");
        }
    }
}

/// A file whose last line cannot be a record cut short: exit 2 for every command that
/// reads it, the file byte for byte as it was, nothing sent.
#[test]
fn a_last_line_that_cannot_be_torn_is_exit_2_and_never_cut() {
    let sound = hand_made(2, false);
    let header_v2 = hand_made(0, false).replace("\"version\":1", "\"version\":3");
    let mut random = sound.clone().into_bytes();
    random.extend_from_slice(&[0xff, 0x00, 0x13, 0x9c, b'{', 0x80]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes", random),
        (
            "a hand-typed line",
            format!("{sound}remember to ask about tests\n").into_bytes(),
        ),
        (
            "a hand-typed line without newline",
            format!("{sound}remember").into_bytes(),
        ),
        (
            "valid JSON that is not an exchange",
            format!("{sound}{{\"note\":\"hi\"}}").into_bytes(),
        ),
        (
            "a future-version header without newline",
            header_v2.trim_end().as_bytes().to_vec(),
        ),
    ];
    for (what, text) in cases {
        let server = FakeServer::start(vec![answer("x")]).allow_unused();
        let env = TestEnv::new().with_server(&server);
        std::fs::create_dir_all(dir(&env)).unwrap();
        std::fs::write(file(&env, "kv"), &text).unwrap();
        let path = file(&env, "kv").display().to_string();
        for args in [
            &["--conversation", "kv", "hi"][..],
            &["history", "show", "kv"],
            &["history", "undo", "kv"],
        ] {
            env.run(args).fails(2, &path);
            assert_eq!(bytes(&env, "kv"), text, "{what}: {args:?}");
        }
        assert!(server.requests().is_empty(), "{what}");
    }
}

#[test]
fn a_complete_last_record_missing_its_newline_is_kept() {
    let server = FakeServer::start(vec![answer("new")]);
    let env = TestEnv::new().with_server(&server);
    let sound = hand_made(2, false);
    install(&env, "kv", sound.trim_end());
    env.run(&["--conversation", "kv", "next"]).ok("new\n");
    assert_eq!(
        server.request().messages(),
        [
            msg("user", "q0"),
            msg("assistant", "a0"),
            msg("user", "q1"),
            msg("assistant", "a1"),
            msg("user", "next")
        ]
    );
    let after = String::from_utf8(bytes(&env, "kv")).unwrap();
    assert!(after.starts_with(&sound), "{after}");
    let all = exchanges(&env, "kv");
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["answer"], "new");
}

#[test]
fn an_invalid_file_is_listed_as_invalid_and_does_not_break_the_others() {
    let server = FakeServer::start(vec![answer("one"), answer("two")]);
    let env = TestEnv::new().with_server(&server);
    let bad = format!("{}garbage", hand_made(1, false));
    install(&env, "broken", &bad);
    std::thread::sleep(Duration::from_millis(20));
    env.run(&["--conversation", "good", "first"]).ok("one\n");
    // a hand-made file has no project: every project's list shows it
    let list = env.run(&["history", "list", "--all"]);
    assert_eq!(list.code, 2, "{}", list.stderr);
    let row = |name: &str| {
        list.stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} not listed: {}", list.stdout))
            .to_string()
    };
    assert!(row("broken").contains("invalid"), "{}", row("broken"));
    assert!(row("good").contains("first"), "{}", row("good"));
    assert!(list.stderr.contains("broken.jsonl"), "{}", list.stderr);
    env.run(&["-c", "second"]).ok("two\n");
    assert_eq!(exchanges(&env, "good").len(), 2);
    assert_eq!(bytes(&env, "broken"), bad.as_bytes());
}
