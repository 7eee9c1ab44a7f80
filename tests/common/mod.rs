//! Shared test helpers: an isolated environment to run the real binary in, and a scripted
//! fake OpenAI-compatible server on 127.0.0.1:0.
#![allow(dead_code)]

pub mod api;
pub mod batch_api;
pub mod files;
pub mod proxy;
pub mod rate_limited;
pub mod routed;
pub mod server;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[allow(unused_imports)]
pub use server::{FakeServer, Recorded, Reply, refused_url};

/// A temporary HOME, config dir, data dir and working directory; no API keys, no proxies.
pub struct TestEnv {
    pub root: tempfile::TempDir,
    pub home: PathBuf,
    pub config: PathBuf,
    pub data: PathBuf,
    pub cwd: PathBuf,
    vars: Vec<(String, String)>,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let root = tempfile::tempdir().expect("tempdir");
        let base = root.path().to_path_buf();
        let make = |name: &str| {
            let p = base.join(name);
            std::fs::create_dir_all(&p).unwrap();
            p
        };
        TestEnv {
            home: make("home"),
            config: make("config"),
            data: base.join("data"),
            cwd: make("work"),
            root,
            vars: Vec::new(),
        }
    }

    /// Points the API base at a fake server.
    pub fn with_server(mut self, server: &FakeServer) -> TestEnv {
        self.set("CELLMAGE_API_BASE", &server.url());
        self
    }

    /// Points the Anthropic base URL at a fake server and sets an Anthropic key.
    pub fn with_anthropic_server(mut self, server: &FakeServer) -> TestEnv {
        self.set("ANTHROPIC_BASE_URL", &server.root_url());
        self.set("ANTHROPIC_API_KEY", "sk-ant-test-0123456789");
        self
    }

    pub fn set(&mut self, key: &str, value: &str) -> &mut TestEnv {
        self.vars.push((key.to_string(), value.to_string()));
        self
    }

    /// Writes a file relative to the working directory (creating parents).
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.cwd.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The real binary, with nothing of the caller's environment but PATH.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cellmage"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("CELLMAGE_CONFIG_DIR", &self.config)
            .env("CELLMAGE_DATA_DIR", &self.data)
            .env("CELLMAGE_RETRY_BACKOFF", "0.01")
            .env("CELLMAGE_API_KEY", "sk-test-key-0123456789")
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary with these arguments.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd().args(args).output().expect("run cellmage"))
    }

    /// Runs the binary with these arguments and this text on stdin.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_stdin_bytes(args, stdin.as_bytes())
    }

    /// Runs the binary with these arguments and these bytes on stdin.
    pub fn run_stdin_bytes(&self, args: &[&str], stdin: &[u8]) -> Run {
        use std::io::Write;
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cellmage");
        let mut input = child.stdin.take().unwrap();
        let bytes = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(&bytes);
        });
        let out = child.wait_with_output().expect("wait");
        writer.join().unwrap();
        Run::from(out)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.cwd.join(rel)
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts exit code, exact stdout and empty stderr together.
    pub fn ok(&self, stdout: &str) -> &Run {
        assert_eq!(
            (self.code, self.stdout.as_str(), self.stderr.as_str()),
            (0, stdout, ""),
            "unexpected result"
        );
        self
    }

    /// Asserts exit 0, stdout ending with `tail` (echo lists the history before the prompt)
    /// and empty stderr.
    pub fn ok_ending(&self, tail: &str) -> &Run {
        assert!(
            self.code == 0 && self.stdout.ends_with(tail) && self.stderr.is_empty(),
            "unexpected result: {self:?}"
        );
        self
    }

    /// Asserts a failure: the exit code, nothing on stdout, and one error line containing
    /// `message` (a hint line may follow).
    pub fn fails(&self, code: i32, message: &str) -> &Run {
        assert_eq!(self.code, code, "exit code; stderr: {}", self.stderr);
        let first = self.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("cellmage: error: "),
            "stderr: {}",
            self.stderr
        );
        assert!(first.contains(message), "wanted {message:?} in {first:?}");
        assert!(
            self.stderr
                .lines()
                .skip(1)
                .all(|l| l.starts_with("cellmage: hint: ")),
            "extra stderr: {}",
            self.stderr
        );
        self
    }
}
