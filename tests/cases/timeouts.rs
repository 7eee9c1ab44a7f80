//! Timeouts: `--timeout` bounds every wait without progress, the total timeout bounds the
//! whole call. The time bounds below are generous sanity checks, not benchmarks.

use std::time::{Duration, Instant};

use crate::common::{FakeServer, Reply, Run, TestEnv};

const LONG: Duration = Duration::from_secs(60);
const SANITY: Duration = Duration::from_secs(10);

fn timed(env: &TestEnv, args: &[&str]) -> (Run, Duration) {
    let started = Instant::now();
    let run = env.run(args);
    (run, started.elapsed())
}

#[test]
fn a_stream_stalled_after_text_ends_with_exit_7_soon_after_the_limit() {
    let server = FakeServer::start(vec![Reply::stalled_stream(&["begun"], LONG)]);
    let env = TestEnv::new().with_server(&server);
    let (run, took) = timed(&env, &["--stream", "--timeout", "1", "hi"]);
    run.fails(7, "the answer stalled: no data for 1s");
    assert_eq!(run.stdout, "begun");
    assert!(
        took >= Duration::from_millis(900) && took < SANITY,
        "{took:?}"
    );
    assert_eq!(server.hits(), 1, "text was printed: no retry");
}

#[test]
fn a_stall_before_any_text_is_retried() {
    let server = FakeServer::start(vec![
        Reply::stalled_stream(&[], LONG),
        Reply::openai_stream(&["second"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let (run, took) = timed(&env, &["--timeout", "1", "hi"]);
    run.ok("second\n");
    assert_eq!(server.hits(), 2);
    assert!(took < SANITY, "{took:?}");
}

#[test]
fn waiting_for_the_first_byte_is_bounded() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["late"]).after(LONG)]);
    let env = TestEnv::new().with_server(&server);
    let (run, took) = timed(&env, &["--timeout", "1", "--retries", "1", "hi"]);
    run.fails(7, "no response within 1s (after 1 retry)");
    assert_eq!(server.hits(), 2);
    assert!(took < SANITY, "{took:?}");
}

#[test]
fn the_environment_sets_the_timeout_and_fractions_are_allowed() {
    let server = FakeServer::start(vec![Reply::stalled_stream(&["x"], LONG)]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_TIMEOUT", "0.5");
    let (run, took) = timed(&env, &["hi"]);
    run.fails(7, "the answer stalled: no data for 0.5s");
    assert!(took < SANITY, "{took:?}");
}

#[test]
fn slow_progress_is_not_a_timeout() {
    let gap = Duration::from_millis(400);
    let server = FakeServer::start(vec![
        Reply::slow_stream(&["a", "b", "c", "d"], gap),
        Reply::openai("whole").after(Duration::from_millis(600)),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--timeout", "1", "hi"]).ok("abcd\n");
    env.run(&["--timeout", "1", "hi"]).ok("whole\n");
}

#[test]
fn the_total_timeout_bounds_the_whole_call() {
    let pieces = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
    let server = FakeServer::start(vec![Reply::slow_stream(
        &pieces,
        Duration::from_millis(500),
    )]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_TOTAL_TIMEOUT", "1.5");
    let (run, took) = timed(&env, &["--timeout", "5", "hi"]);
    run.fails(7, "gave up after 1.5s in all (the total timeout)");
    assert!(took < SANITY, "{took:?}");
    assert_eq!(server.hits(), 1);
}

#[test]
fn the_total_timeout_also_bounds_retries() {
    let server = FakeServer::start(vec![
        Reply::json(503, serde_json::json!({"error": {"message": "busy"}}))
            .with_header("Retry-After", "2"),
    ]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_TOTAL_TIMEOUT", "1");
    let (run, took) = timed(&env, &["--retries", "5", "hi"]);
    run.fails(
        8,
        "server error (HTTP 503): busy; no time is left for another try within the total timeout",
    );
    assert_eq!(server.hits(), 1);
    assert!(took < SANITY, "{took:?}");
}

#[test]
fn defaults_are_shown_by_config() {
    let env = TestEnv::new();
    let run = env.run(&["config"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "timeout          120s",
        "total_timeout    900s",
        "retries          3",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in\n{}", run.stdout);
    }
}
