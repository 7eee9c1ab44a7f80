//! Each file once: a snippet a conversation already carries is sent in full once; its
//! other copies are one-line stubs naming it.

use crate::common::{FakeServer, Reply, TestEnv};

#[test]
fn a_repeated_snippet_is_sent_once_and_a_changed_one_replaces_the_old() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("src/db.py", "x = 1\n");
    let full_v1 = "File: src/db.py\n```python\nx = 1\n```";
    let ask = |prompt: &str| {
        let run = env.run(&["--conversation", "w", "--snippet", "src/db.py", prompt]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    ask("one");
    ask("two");
    let unchanged = "File: src/db.py (unchanged; the same content is above)";
    let messages = server.requests()[1].messages();
    let texts: Vec<&str> = messages.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, [full_v1, "one", "ok", unchanged, "two"]);
    env.write("src/db.py", "x = 2\n");
    ask("three");
    let messages = server.requests()[2].messages();
    let texts: Vec<&str> = messages.iter().map(|(_, t)| t.as_str()).collect();
    let older = "File: src/db.py (an older version; the current one is below)";
    assert_eq!(
        texts,
        [
            older,
            "one",
            "ok",
            older,
            "two",
            "ok",
            "File: src/db.py\n```python\nx = 2\n```",
            "three"
        ]
    );
    // the record keeps what was sent with each call
    let run = env.run(&["history", "export", "w", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("x = 1"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("(unchanged; the same content is above)")
    );
}
