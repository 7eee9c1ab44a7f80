//! Ctrl-C (SIGINT), SIGTERM and SIGHUP during a call: exit 130, nothing recorded, no partial
//! `-o` file, no temp file, no `api_key_cmd` child left running.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{FakeServer, Reply, TestEnv};

const STREAMED: &str = "streamed-text-4242";
const LONG: Duration = Duration::from_secs(60);

fn spawn(env: &TestEnv, args: &[&str]) -> Child {
    env.cmd()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cellmage")
}

/// Waits for `ready`, sends SIGINT, and returns (exit code, stdout, stderr).
fn interrupt(child: Child, ready: impl Fn(&str) -> bool) -> (i32, String, String) {
    signal(child, "INT", ready)
}

/// Waits for `ready`, sends `SIG{name}`, and returns (exit code, stdout, stderr).
pub fn signal(mut child: Child, name: &str, ready: impl Fn(&str) -> bool) -> (i32, String, String) {
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let started = Instant::now();
    let mut so_far = String::new();
    while !ready(&so_far) {
        assert!(started.elapsed() < Duration::from_secs(10), "never ready");
        if let Ok(text) = rx.recv_timeout(Duration::from_millis(20)) {
            so_far = text;
        }
    }
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let code = wait(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (code, reader.join().unwrap(), stderr)
}

fn wait(child: &mut Child) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("cellmage did not stop after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True once the server got the request, and a moment later (cellmage is then waiting).
fn hit_and_settled(server: &FakeServer) -> bool {
    if server.hits() == 0 {
        return false;
    }
    std::thread::sleep(Duration::from_millis(250));
    true
}

/// Every file under `dir` (none when it does not exist).
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn assert_nothing_recorded(env: &TestEnv) {
    for file in files(&env.data) {
        let text = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&text).contains(STREAMED),
            "{} holds the interrupted answer",
            file.display()
        );
    }
}

#[test]
fn ctrl_c_during_a_stream_exits_130_and_records_nothing() {
    let server = FakeServer::start(vec![Reply::stalled_stream(&[STREAMED], LONG)]);
    let env = TestEnv::new().with_server(&server);
    let child = spawn(&env, &["--stream", "--conversation", "work", "hi"]);
    let (code, stdout, stderr) = interrupt(child, |out| out.contains(STREAMED));
    assert_eq!(code, 130, "{stderr}");
    assert_eq!(stdout, STREAMED);
    assert!(
        stderr.contains("cellmage: error: interrupted; nothing recorded"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_nothing_recorded(&env);
}

#[test]
fn ctrl_c_leaves_no_output_file_and_an_old_one_untouched() {
    for existing in [false, true] {
        let server = FakeServer::start(vec![Reply::stalled_stream(&[STREAMED], LONG)]);
        let env = TestEnv::new().with_server(&server);
        if existing {
            env.write("out/answer.txt", "old answer\n");
        } else {
            std::fs::create_dir_all(env.path("out")).unwrap();
        }
        let child = spawn(&env, &["-o", "out/answer.txt", "hi"]);
        let (code, stdout, stderr) = interrupt(child, |_| hit_and_settled(&server));
        assert_eq!((code, stdout.as_str()), (130, ""), "{stderr}");
        let left = files(&env.path("out"));
        if existing {
            assert_eq!(left, [env.path("out/answer.txt")], "no temp file left");
            assert_eq!(
                std::fs::read_to_string(env.path("out/answer.txt")).unwrap(),
                "old answer\n"
            );
        } else {
            assert!(left.is_empty(), "{left:?}");
        }
        assert_nothing_recorded(&env);
    }
}

#[test]
fn ctrl_c_during_a_retry_wait_or_before_the_first_byte_exits_130() {
    let replies = [
        Reply::json(429, serde_json::json!({"error": {"message": "later"}}))
            .with_header("Retry-After", "30"),
        Reply::openai_stream(&[STREAMED]).after(LONG),
    ];
    for reply in replies {
        let server = FakeServer::start(vec![reply]);
        let env = TestEnv::new().with_server(&server);
        let started = Instant::now();
        let child = spawn(&env, &["hi"]);
        let (code, stdout, stderr) = interrupt(child, |_| hit_and_settled(&server));
        assert_eq!((code, stdout.as_str()), (130, ""), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

#[test]
fn sigterm_and_sighup_end_a_call_like_ctrl_c() {
    for name in ["TERM", "HUP"] {
        let server = FakeServer::start(vec![Reply::stalled_stream(&[STREAMED], LONG)]);
        let env = TestEnv::new().with_server(&server);
        env.write("out/answer.txt", "old answer\n");
        let child = spawn(
            &env,
            &["--conversation", "work", "-o", "out/answer.txt", "hi"],
        );
        let (code, stdout, stderr) = signal(child, name, |_| hit_and_settled(&server));
        assert_eq!((code, stdout.as_str()), (130, ""), "SIG{name}: {stderr}");
        assert!(
            stderr.contains("cellmage: error: interrupted; nothing recorded"),
            "SIG{name}: {stderr}"
        );
        assert_eq!(files(&env.path("out")), [env.path("out/answer.txt")]);
        assert_eq!(
            std::fs::read_to_string(env.path("out/answer.txt")).unwrap(),
            "old answer\n"
        );
        assert_nothing_recorded(&env);
    }
}
