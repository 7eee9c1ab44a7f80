//! `cellmage batch`: jobs files submitted to the fake batch APIs, watched, collected into
//! their outputs, resumed after kill -9, and run here with `--local`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::batch_api::{Behaviour, FakeBatchApi};
use crate::common::{FakeServer, Reply, TestEnv};

const JOBS: &str = r#"{"id":"a","prompt":"tests for a","extract":"python","output":"out/a_test.py"}
{"id":"b","prompt":"tests for b","extract":"python","output":"out/b_test.py"}
{"id":"c","prompt":"tests for c","conversation":"nightly"}
"#;

fn openai_env(api: &FakeBatchApi) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", &api.server.url());
    env
}

#[test]
fn openai_submit_wait_collect_with_a_failed_job() {
    let api = FakeBatchApi::openai(Behaviour {
        polls: 2,
        failing: vec!["b".into()],
        ..Behaviour::default()
    });
    let env = openai_env(&api);
    env.write("JOBS.jsonl", JOBS);
    let run = env.run(&["batch", "submit", "JOBS.jsonl", "--name", "nightly"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("submitted nightly: 3 jobs as openai batch batch_"),
        "{}",
        run.stdout
    );
    // the requests are the single calls' bodies, not streamed
    let requests = api.requests_of_only_batch();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].0, "a");
    assert_eq!(
        requests[0].1["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["content"],
        "tests for a"
    );
    assert!(requests[0].1.get("stream").is_none_or(|s| s == false));
    // submitting again sends nothing
    let again = env.run(&["batch", "submit", "JOBS.jsonl", "--name", "nightly"]);
    assert!(
        again.stdout.contains("already submitted"),
        "{}",
        again.stdout
    );
    assert_eq!(api.batches_created(), 1);
    assert_eq!(api.uploads(), 1);
    // collecting too early is refused
    env.run(&["batch", "collect", "nightly"])
        .fails(2, "batch nightly is still");
    let run = env.run(&["batch", "wait", "nightly", "--interval", "0.01"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("nightly: completed (2 of 3 succeeded, 1 failed)"),
        "{}",
        run.stdout
    );
    let run = env.run(&["batch", "collect", "nightly"]);
    assert_eq!(run.code, 12, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("2 of 3 jobs written, 1 failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  b: failed: HTTP 400: request b failed on purpose"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("at batch prices"));
    assert!(
        run.stderr
            .starts_with("cellmage: error: 1 of 3 jobs were not written"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(env.path("out/a_test.py")).unwrap(),
        "print(\"a\")\n"
    );
    assert!(!env.path("out/b_test.py").exists());
    let conv = std::fs::read_to_string(env.data.join("conversations/nightly.jsonl")).unwrap();
    assert!(conv.contains("tests for c"), "{conv}");
    // a second collect writes nothing again and downloads nothing again
    let downloads = api.server.count("GET", "/v1/files/");
    let run = env.run(&["batch", "collect", "nightly", "--json"]);
    assert_eq!(run.code, 12);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (summary["written"].as_u64(), summary["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(api.server.count("GET", "/v1/files/"), downloads);
    let list = env.run(&["batch", "list"]);
    assert!(
        list.stdout
            .starts_with("nightly\topenai\tcompleted\t3 jobs\t"),
        "{}",
        list.stdout
    );
}

#[test]
fn anthropic_batch_with_expiry() {
    let api = FakeBatchApi::anthropic(Behaviour {
        expire: true,
        ..Behaviour::default()
    });
    let mut env = TestEnv::new();
    env.set("ANTHROPIC_BASE_URL", &api.server.root_url());
    env.set("ANTHROPIC_API_KEY", "sk-ant-test-0123456789");
    env.write(
        "J.jsonl",
        "{\"id\":\"one\",\"prompt\":\"p1\",\"model\":\"claude-sonnet-4-5\",\"output\":\"o1.txt\"}\n{\"id\":\"two\",\"prompt\":\"p2\",\"model\":\"claude-sonnet-4-5\",\"output\":\"o2.txt\"}\n",
    );
    let run = env.run(&["batch", "submit", "J.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("as anthropic batch msgbatch_"),
        "{}",
        run.stdout
    );
    let params = &api.requests_of_only_batch()[0].1;
    assert_eq!(params["model"], "claude-sonnet-4-5");
    assert!(params["max_tokens"].as_u64().is_some());
    env.run(&["batch", "wait", "J", "--interval", "0.01"]);
    let run = env.run(&["batch", "collect", "J"]);
    assert_eq!(run.code, 12, "{}", run.stderr);
    assert!(run.stdout.contains("two: expired"), "{}", run.stdout);
    assert!(env.path("o1.txt").exists());
}

#[test]
fn a_bad_jobs_file_names_its_line_and_sends_nothing() {
    let api = FakeBatchApi::openai(Behaviour::default());
    let env = openai_env(&api);
    env.write(
        "J.jsonl",
        "{\"id\":\"a\",\"prompt\":\"p\"}\n{\"id\":\"b\",\"promt\":\"p\"}\n",
    );
    env.run(&["batch", "submit", "J.jsonl"])
        .fails(2, "J.jsonl:2: unknown field `promt`");
    env.write(
        "K.jsonl",
        "{\"id\":\"a\",\"prompt\":\"p\",\"persona\":\"nobody\"}\n",
    );
    env.run(&["batch", "submit", "K.jsonl"]).fails(2, "job a: ");
    assert!(api.server.requests().is_empty());
}

#[test]
fn local_jobs_run_here_through_the_budget() {
    let server = FakeServer::start(vec![Reply::openai("```python\nprint(1)\n```\n")]);
    let env = TestEnv::new().with_server(&server);
    let jobs: String = (0..6)
        .map(|i| format!("{{\"id\":\"j{i}\",\"prompt\":\"p{i}\",\"extract\":\"python\",\"output\":\"out/{i}.py\"}}\n"))
        .collect();
    env.write("L.jsonl", &jobs);
    let run = env.run(&["batch", "submit", "L.jsonl", "--local", "-j", "3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("6 of 6 jobs written"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("cost unknown"), "{}", run.stdout);
    assert_eq!(server.hits(), 6);
    assert_eq!(
        std::fs::read_to_string(env.path("out/5.py")).unwrap(),
        "print(1)\n"
    );
    // run again: nothing left to do
    let run = env.run(&["batch", "submit", "L.jsonl", "--local"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.hits(), 6);
}

/// kill -9 while the create call is answered: the next submit finds the batch the provider
/// made and creates no second one.
#[test]
fn kill_during_submit_never_makes_a_second_batch() {
    let api = FakeBatchApi::openai(Behaviour {
        slow_create: Duration::from_secs(3),
        ..Behaviour::default()
    });
    let env = openai_env(&api);
    env.write("JOBS.jsonl", JOBS);
    let mut child = env
        .cmd()
        .args(["batch", "submit", "JOBS.jsonl"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while api.batches_created() == 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(api.batches_created(), 1);
    let run = env.run(&["batch", "submit", "JOBS.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(api.batches_created(), 1, "a second batch was created");
    assert_eq!(api.uploads(), 1);
}

/// kill -9 in the middle of collect: the next collect finishes the rest, skipping what was
/// marked done, and every job is marked exactly once.
#[test]
fn kill_during_collect_resumes() {
    let api = FakeBatchApi::openai(Behaviour::default());
    let env = openai_env(&api);
    let n = 200;
    let jobs: String = (0..n)
        .map(|i| format!("{{\"id\":\"j{i}\",\"prompt\":\"p{i}\",\"extract\":\"python\",\"output\":\"out/{i}.py\"}}\n"))
        .collect();
    env.write("BIG.jsonl", &jobs);
    let run = env.run(&["batch", "submit", "BIG.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    env.run(&["batch", "wait", "BIG", "--interval", "0.01"]);
    let mut child = env
        .cmd()
        .args(["batch", "collect", "BIG"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let done = env.data.join("batches/BIG.done");
    let marked = || {
        std::fs::read_to_string(&done)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let started = Instant::now();
    while marked() < 5 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = marked();
    assert!(before >= 5 && before < n, "killed after {before} jobs");
    let run = env.run(&["batch", "collect", "BIG"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!("{n} of {n} jobs written")),
        "{}",
        run.stdout
    );
    assert_eq!(marked(), n, "each job marked once");
    assert_eq!(
        std::fs::read_to_string(env.path("out/199.py")).unwrap(),
        "print(\"j199\")\n"
    );
}

/// BENCHMARKS.md: submit and collect of 10,000 jobs against the fake OpenAI batch API, each
/// step under `/usr/bin/time -v` (CPU time and peak RSS of cellmage itself). Run with
/// `CELLMAGE_BENCH_BIN=target/release/cellmage cargo test --locked bench_ten_thousand_jobs
/// -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_ten_thousand_jobs() {
    let api = FakeBatchApi::openai(Behaviour::default());
    let env = openai_env(&api);
    let n = 10_000;
    let jobs: String = (0..n)
        .map(|i| format!("{{\"id\":\"j{i}\",\"prompt\":\"write tests for module {i}\",\"extract\":\"python\",\"output\":\"out/{i}.py\"}}\n"))
        .collect();
    env.write("BIG.jsonl", &jobs);
    let bin = std::env::var("CELLMAGE_BENCH_BIN")
        .map(|b| std::path::absolute(b).unwrap())
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_cellmage").into());
    for args in [
        &["batch", "submit", "BIG.jsonl"][..],
        &["batch", "wait", "BIG", "--interval", "0.01"][..],
        &["batch", "collect", "BIG"][..],
    ] {
        let cmd = env.cmd();
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .args(args)
            .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env_remove("PATH")
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(&env.cwd)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let pick = |key: &str| {
            err.lines()
                .find(|l| l.trim_start().starts_with(key))
                .map(|l| l.rsplit(": ").next().unwrap().trim().to_string())
                .unwrap_or_default()
        };
        eprintln!(
            "{:?}: exit {:?}, user {} s, system {} s, wall {}, max RSS {} KB",
            args,
            out.status.code(),
            pick("User time"),
            pick("System time"),
            pick("Elapsed (wall clock)"),
            pick("Maximum resident set size")
        );
    }
    assert!(env.path("out/9999.py").exists());
}

/// On a terminal, `wait` shows its progress while it polls.
#[test]
fn wait_shows_progress_on_a_terminal() {
    let api = FakeBatchApi::openai(Behaviour {
        polls: 2,
        ..Behaviour::default()
    });
    let env = openai_env(&api);
    env.write("JOBS.jsonl", JOBS);
    assert_eq!(env.run(&["batch", "submit", "JOBS.jsonl"]).code, 0);
    let (code, screen) =
        super::tty::on_a_tty(&env, &["batch", "wait", "JOBS", "--interval", "0.01"]);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("JOBS: validating [") || screen.contains("JOBS: in_progress ["),
        "{screen}"
    );
    assert!(screen.contains("0/3"), "{screen}");
    assert!(
        screen.contains("JOBS: completed (3 of 3 succeeded, 0 failed)"),
        "{screen}"
    );
}
