//! Bad input never panics, never sends a request and never changes a file: a table of bad
//! flags, values, files, configs and environments, each with its exit code and message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::common::{FakeServer, Reply, Run, TestEnv};

/// Something a case puts in place first. Paths starting `cfg/` are in the user config
/// directory, the others in the working directory. `{cwd}` in a value is the working dir;
/// `{cfg}` in a message is the user config directory.
enum Setup {
    File(&'static str, &'static [u8]),
    Dir(&'static str),
    Link(&'static str, &'static str),
    /// A sparse file of this many bytes: large, yet instant to create.
    Sparse(&'static str, u64),
    Env(&'static str, &'static str),
}

use Setup::*;

struct Case {
    name: &'static str,
    setup: &'static [Setup],
    args: &'static [&'static str],
    stdin: &'static [u8],
    code: i32,
    message: &'static str,
}

const PERSONA_BAD_YAML: &[u8] = b"---\nname: [unclosed\n---\nYou help.\n";
const PERSONA_LIST: &[u8] = b"---\n- a\n- b\n---\nYou help.\n";
const PERSONA_HOT: &[u8] = b"---\ntemperature: hot\n---\nYou help.\n";
const MB_200: u64 = 200 * 1024 * 1024;

const CASES: &[Case] = &[
    Case {
        name: "data dir is a regular file",
        setup: &[
            File("data-file", b"x"),
            Env("CELLMAGE_DATA_DIR", "{cwd}/data-file"),
        ],
        args: &["--conversation", "kv", "hi"],
        stdin: b"",
        code: 2,
        message: "data-file/conversations/kv.jsonl: Not a directory",
    },
    Case {
        name: "unknown flag",
        setup: &[],
        args: &["--bogus", "hi"],
        stdin: b"",
        code: 2,
        message: "unexpected argument '--bogus' found",
    },
    Case {
        name: "proxy with a scheme no proxy speaks",
        setup: &[Env("HTTPS_PROXY", "ftp://proxy.test:21")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "HTTPS_PROXY is not a proxy cellmage can use: unsupported scheme ftp://",
    },
    Case {
        name: "proxy that is not a URL",
        setup: &[Env("all_proxy", "http://[::1")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "all_proxy is not a proxy cellmage can use: not a valid URL",
    },
    Case {
        name: "timeout not a number",
        setup: &[],
        args: &["--timeout", "abc", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid value 'abc' for '--timeout <SECS>'",
    },
    Case {
        name: "timeout zero",
        setup: &[],
        args: &["--timeout", "0", "hi"],
        stdin: b"",
        code: 2,
        message: "timeout must be a positive number of seconds, not 0",
    },
    Case {
        name: "timeout negative",
        setup: &[],
        args: &["--timeout", "-5", "hi"],
        stdin: b"",
        code: 2,
        message: "timeout must be a positive number of seconds, not -5",
    },
    Case {
        name: "timeout NaN",
        setup: &[],
        args: &["--timeout", "nan", "hi"],
        stdin: b"",
        code: 2,
        message: "timeout must be a positive number of seconds, not NaN",
    },
    Case {
        name: "timeout infinite",
        setup: &[],
        args: &["--timeout", "inf", "hi"],
        stdin: b"",
        code: 2,
        message: "timeout must be a positive number of seconds, not inf",
    },
    Case {
        name: "retries negative",
        setup: &[],
        args: &["--retries", "-1", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid value '-1' for '--retries <N>'",
    },
    Case {
        name: "retries overflow",
        setup: &[],
        args: &["--retries", "99999999999", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid value '99999999999' for '--retries <N>'",
    },
    Case {
        name: "retries given twice",
        setup: &[],
        args: &["--retries", "1", "--retries", "2", "hi"],
        stdin: b"",
        code: 2,
        message: "the argument '--retries <N>' cannot be used multiple times",
    },
    Case {
        name: "temperature out of range",
        setup: &[],
        args: &["--temperature", "3", "hi"],
        stdin: b"",
        code: 2,
        message: "temperature must be between 0 and 2, not 3",
    },
    Case {
        name: "temperature negative",
        setup: &[],
        args: &["-t", "-0.5", "hi"],
        stdin: b"",
        code: 2,
        message: "temperature must be between 0 and 2, not -0.5",
    },
    Case {
        name: "temperature NaN",
        setup: &[],
        args: &["--temperature", "NaN", "hi"],
        stdin: b"",
        code: 2,
        message: "temperature must be between 0 and 2, not NaN",
    },
    Case {
        name: "temperature a word",
        setup: &[],
        args: &["--temperature", "hot", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid value 'hot' for '--temperature <T>'",
    },
    Case {
        name: "max tokens negative",
        setup: &[],
        args: &["--max-tokens", "-3", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid value '-3' for '--max-tokens <N>'",
    },
    Case {
        name: "param without value",
        setup: &[],
        args: &["--param", "top_p"],
        stdin: b"",
        code: 2,
        message: "2 values required for '--param <KEY> <VALUE>' but 1 was provided",
    },
    Case {
        name: "mkdir without output",
        setup: &[],
        args: &["--mkdir", "hi"],
        stdin: b"",
        code: 2,
        message: "the following required arguments were not provided",
    },
    Case {
        name: "conversation with no-history",
        setup: &[],
        args: &["--conversation", "x", "--no-history", "hi"],
        stdin: b"",
        code: 2,
        message: "the argument '--conversation <NAME>' cannot be used with '--no-history'",
    },
    Case {
        name: "continue with conversation",
        setup: &[],
        args: &["-c", "--conversation", "x", "hi"],
        stdin: b"",
        code: 2,
        message: "the argument '--continue' cannot be used with '--conversation <NAME>'",
    },
    Case {
        name: "CELLMAGE_TIMEOUT not a number",
        setup: &[Env("CELLMAGE_TIMEOUT", "soon")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "invalid value \"soon\" in environment variable CELLMAGE_TIMEOUT",
    },
    Case {
        name: "CELLMAGE_RETRIES negative",
        setup: &[Env("CELLMAGE_RETRIES", "-2")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "invalid value \"-2\" in environment variable CELLMAGE_RETRIES",
    },
    Case {
        name: "CELLMAGE_TEMPERATURE not a number",
        setup: &[Env("CELLMAGE_TEMPERATURE", "warm")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "invalid value \"warm\" in environment variable CELLMAGE_TEMPERATURE",
    },
    Case {
        name: "CELLMAGE_TOTAL_TIMEOUT zero",
        setup: &[Env("CELLMAGE_TOTAL_TIMEOUT", "0")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "total_timeout must be a positive number of seconds, not 0",
    },
    Case {
        name: "CELLMAGE_RETRY_MAX_WAIT not a number",
        setup: &[Env("CELLMAGE_RETRY_MAX_WAIT", "1m")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "invalid value \"1m\" in environment variable CELLMAGE_RETRY_MAX_WAIT",
    },
    Case {
        name: "unknown persona",
        setup: &[],
        args: &["-p", "nosuch", "hi"],
        stdin: b"",
        code: 2,
        message: "unknown persona \"nosuch\"",
    },
    Case {
        name: "persona with invalid front matter",
        setup: &[File("bad.md", PERSONA_BAD_YAML)],
        args: &["-p", "bad.md", "hi"],
        stdin: b"",
        code: 2,
        message: "persona bad.md: invalid front matter",
    },
    Case {
        name: "persona front matter not a mapping",
        setup: &[File("cfg/personas/listy.md", PERSONA_LIST)],
        args: &["-p", "listy", "hi"],
        stdin: b"",
        code: 2,
        message: "front matter is not a mapping",
    },
    Case {
        name: "persona temperature not a number",
        setup: &[File("hot.md", PERSONA_HOT)],
        args: &["-p", "hot.md", "hi"],
        stdin: b"",
        code: 2,
        message: "persona hot.md: temperature must be a number, not \"hot\"",
    },
    Case {
        name: "persona file missing",
        setup: &[],
        args: &["-p", "./missing.md", "hi"],
        stdin: b"",
        code: 2,
        message: "cannot read persona file ./missing.md",
    },
    Case {
        name: "persona file not UTF-8",
        setup: &[File("latin1.md", b"---\nname: caf\xe9\n---\nx\n")],
        args: &["-p", "latin1.md", "hi"],
        stdin: b"",
        code: 2,
        message: "cannot read persona file latin1.md",
    },
    Case {
        name: "persona path is a directory",
        setup: &[Dir("adir.md")],
        args: &["-p", "adir.md", "hi"],
        stdin: b"",
        code: 2,
        message: "cannot read persona file adir.md",
    },
    Case {
        name: "invalid TOML in the user config",
        setup: &[File("cfg/config.toml", b"model = = \"x\"\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "invalid config file ",
    },
    Case {
        name: "unknown key in the user config",
        setup: &[File("cfg/config.toml", b"modle = \"x\"\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "unknown field `modle`",
    },
    Case {
        name: "wrong type in the user config",
        setup: &[File("cfg/config.toml", b"timeout = \"fast\"\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "invalid type: string \"fast\", expected f64",
    },
    Case {
        name: "negative retries in the user config",
        setup: &[File("cfg/config.toml", b"retries = -1\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "invalid value: integer `-1`, expected u32",
    },
    Case {
        name: "negative timeout in the user config",
        setup: &[File("cfg/config.toml", b"timeout = -3.0\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "timeout must be a positive number of seconds, not -3 (in {cfg}/config.toml)",
    },
    Case {
        name: "config file not UTF-8",
        setup: &[File("cfg/config.toml", b"model = \"caf\xe9\"\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "config.toml",
    },
    Case {
        name: "invalid project config",
        setup: &[File(".cellmage/config.toml", b"[params\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: ".cellmage/config.toml",
    },
    Case {
        name: "config file is a directory",
        setup: &[Dir("cfg/config.toml")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "cannot read config file ",
    },
    Case {
        name: "config dir is a regular file",
        setup: &[
            File("not-a-dir", b"x"),
            Env("CELLMAGE_CONFIG_DIR", "{cwd}/not-a-dir"),
        ],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "cannot read config file ",
    },
    Case {
        name: "snippet missing",
        setup: &[],
        args: &["--snippet", "missing.txt", "hi"],
        stdin: b"",
        code: 2,
        message: "snippet not found: missing.txt",
    },
    Case {
        name: "snippet is a dangling symlink",
        setup: &[Link("dangling.txt", "/nonexistent/target")],
        args: &["--snippet", "dangling.txt", "hi"],
        stdin: b"",
        code: 2,
        message: "snippet not found: dangling.txt",
    },
    Case {
        name: "binary snippet",
        setup: &[File("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")],
        args: &["--snippet", "image.png", "hi"],
        stdin: b"",
        code: 2,
        message: "image.png is a binary file",
    },
    Case {
        name: "snippet not UTF-8",
        setup: &[File("latin1.txt", b"caf\xe9 cr\xe8me\n")],
        args: &["--snippet", "latin1.txt", "hi"],
        stdin: b"",
        code: 2,
        message: "latin1.txt is a binary file",
    },
    Case {
        name: "200 MB snippet",
        setup: &[Sparse("huge.log", MB_200)],
        args: &["--snippet", "huge.log", "hi"],
        stdin: b"",
        code: 2,
        message: "huge.log is too large (200 MiB; the limit is 32 MiB)",
    },
    Case {
        name: "200 MB system snippet",
        setup: &[Sparse("huge.log", MB_200)],
        args: &["--sys-snippet", "huge.log", "hi"],
        stdin: b"",
        code: 2,
        message: "huge.log is too large",
    },
    Case {
        name: "invalid glob",
        setup: &[],
        args: &["--snippet", "src/[", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid glob \"src/[\"",
    },
    Case {
        name: "glob matching nothing",
        setup: &[Dir("src")],
        args: &["--snippet", "src/*.rs", "hi"],
        stdin: b"",
        code: 2,
        message: "no file matches the snippet glob \"src/*.rs\"",
    },
    Case {
        name: "snippet from empty stdin",
        setup: &[],
        args: &["--snippet", "-", "hi"],
        stdin: b"",
        code: 2,
        message: "--snippet - was given, but stdin is empty",
    },
    Case {
        name: "prompt file missing",
        setup: &[],
        args: &["--prompt-file", "missing.txt"],
        stdin: b"",
        code: 2,
        message: "cannot read missing.txt",
    },
    Case {
        name: "prompt file is a directory",
        setup: &[Dir("prompts")],
        args: &["--prompt-file", "prompts"],
        stdin: b"",
        code: 2,
        message: "cannot read prompts",
    },
    Case {
        name: "prompt file is a dangling symlink",
        setup: &[Link("prompt.txt", "/nonexistent/prompt")],
        args: &["--prompt-file", "prompt.txt"],
        stdin: b"",
        code: 2,
        message: "cannot read prompt.txt",
    },
    Case {
        name: "prompt file not UTF-8",
        setup: &[File("prompt.txt", b"write \xff\xfe code")],
        args: &["--prompt-file", "prompt.txt"],
        stdin: b"",
        code: 2,
        message: "prompt.txt is not UTF-8 text",
    },
    Case {
        name: "prompt file only whitespace",
        setup: &[File("prompt.txt", b"  \n\t\n")],
        args: &["--prompt-file", "prompt.txt"],
        stdin: b"",
        code: 2,
        message: "the prompt is empty",
    },
    Case {
        name: "empty prompt",
        setup: &[],
        args: &[""],
        stdin: b"",
        code: 2,
        message: "the prompt is empty",
    },
    Case {
        name: "no prompt at all",
        setup: &[],
        args: &[],
        stdin: b"",
        code: 2,
        message: "the prompt is empty",
    },
    Case {
        name: "stdin not UTF-8",
        setup: &[],
        args: &["hi"],
        stdin: b"\xff\xfe\x00binary",
        code: 2,
        message: "stdin is not UTF-8 text",
    },
    Case {
        name: "API base without scheme",
        setup: &[],
        args: &["--api-base", "localhost:8080/v1", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid API base URL \"localhost:8080/v1\" (from flag --api-base): it must start with http:// or https://",
    },
    Case {
        name: "API base with another scheme",
        setup: &[],
        args: &["--api-base", "ftp://files.example.com/v1", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid API base URL \"ftp://files.example.com/v1\"",
    },
    Case {
        name: "API base from the environment without a host",
        setup: &[Env("CELLMAGE_API_BASE", "http:///v1")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "(from env CELLMAGE_API_BASE)",
    },
    Case {
        name: "unknown provider",
        setup: &[],
        args: &["--provider", "nosuch", "hi"],
        stdin: b"",
        code: 2,
        message: "invalid value 'nosuch' for '--provider <PROVIDER>'",
    },
    Case {
        name: "API key with a line break",
        setup: &[Env("CELLMAGE_API_KEY", "sk-one\nsk-two")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "the API key contains a line break or control character",
    },
    Case {
        name: "completions without a shell",
        setup: &[],
        args: &["completions"],
        stdin: b"",
        code: 2,
        message: "the following required arguments were not provided",
    },
    Case {
        name: "snippet from a device that never ends",
        setup: &[],
        args: &["--snippet", "/dev/zero", "hi"],
        stdin: b"",
        code: 2,
        message: "snippet /dev/zero is too large (more than 32 MiB)",
    },
    Case {
        name: "prompt file from a device that never ends",
        setup: &[],
        args: &["--prompt-file", "/dev/zero"],
        stdin: b"",
        code: 2,
        message: "/dev/zero is too large (more than 32 MiB)",
    },
    Case {
        name: "config file that never ends",
        setup: &[Link("cfg/config.toml", "/dev/zero")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "cannot read config file {cfg}/config.toml: larger than 1 MiB",
    },
    Case {
        name: "alias file that never ends",
        setup: &[Env("CELLMAGE_MODEL_MAPPINGS_FILE", "/dev/zero")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "cannot read model alias file /dev/zero: larger than 1 MiB",
    },
    Case {
        name: "persona file that never ends",
        setup: &[Link("endless.md", "/dev/zero")],
        args: &["-p", "./endless.md", "hi"],
        stdin: b"",
        code: 2,
        message: "cannot read persona file ./endless.md: larger than 1 MiB",
    },
    Case {
        name: "snippet is a symlink loop",
        setup: &[Link("loop.txt", "loop.txt")],
        args: &["--snippet", "loop.txt", "hi"],
        stdin: b"",
        code: 2,
        message: "cannot read snippet",
    },
    Case {
        name: "max tokens zero",
        setup: &[],
        args: &["--max-tokens", "0", "hi"],
        stdin: b"",
        code: 2,
        message: "max_tokens must be at least 1, not 0",
    },
    Case {
        name: "max tokens zero in the config names the file",
        setup: &[File("cfg/config.toml", b"max_tokens = 0\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "max_tokens must be at least 1, not 0 (in {cfg}/config.toml)",
    },
    Case {
        name: "temperature out of range in the config names the file",
        setup: &[File("cfg/config.toml", b"temperature = 7.0\n")],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "temperature must be between 0 and 2, not 7 (in {cfg}/config.toml)",
    },
    Case {
        name: "persona temperature out of range",
        setup: &[File("hot7.md", b"---\ntemperature: 7\n---\nYou help.\n")],
        args: &["-p", "./hot7.md", "hi"],
        stdin: b"",
        code: 2,
        message: "hot7.md: temperature must be between 0 and 2, not 7",
    },
    Case {
        name: "untrusted project config choosing where requests go",
        setup: &[File(
            ".cellmage/config.toml",
            b"api_base = \"http://collector.invalid/v1\"\napi_key_env = \"GITHUB_TOKEN\"\n",
        )],
        args: &["hi"],
        stdin: b"",
        code: 2,
        message: "sets api_base, api_key_env, which decide where requests go",
    },
    Case {
        name: "show an unknown persona",
        setup: &[],
        args: &["personas", "show", "nosuch"],
        stdin: b"",
        code: 2,
        message: "unknown persona \"nosuch\"",
    },
];

fn place(env: &mut TestEnv, setup: &Setup) {
    let path = |rel: &str| -> PathBuf {
        match rel.strip_prefix("cfg/") {
            Some(rest) => env.config.join(rest),
            None => env.cwd.join(rel),
        }
    };
    let parent = |p: &Path| std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    match setup {
        File(rel, bytes) => {
            let p = path(rel);
            parent(&p);
            std::fs::write(p, bytes).unwrap();
        }
        Dir(rel) => std::fs::create_dir_all(path(rel)).unwrap(),
        Link(rel, target) => std::os::unix::fs::symlink(target, path(rel)).unwrap(),
        Sparse(rel, len) => {
            let file = std::fs::File::create(path(rel)).unwrap();
            file.set_len(*len).unwrap();
        }
        Env(key, value) => {
            let value = value.replace("{cwd}", env.cwd.to_str().unwrap());
            env.set(key, &value);
        }
    }
}

/// Size and modification time of every file under `dir`: what "nothing changed" means.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, Option<SystemTime>)> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.extend(snapshot(&path));
        }
        out.insert(path, (meta.len(), meta.modified().ok()));
    }
    out
}

fn assert_no_panic(name: &str, run: &Run) {
    for word in ["panicked", "backtrace", "RUST_BACKTRACE", "internal error"] {
        assert!(!run.stderr.contains(word), "{name}: {}", run.stderr);
    }
    assert_ne!(run.code, 101, "{name}: a panic");
}

#[test]
fn every_bad_input_is_a_clear_error_and_changes_nothing() {
    assert!(CASES.len() >= 30, "the table holds {} cases", CASES.len());
    for case in CASES {
        let server =
            FakeServer::start(vec![Reply::openai_stream(&["must not be asked"])]).allow_unused();
        let mut env = TestEnv::new().with_server(&server);
        env.set("RUST_BACKTRACE", "full");
        for setup in case.setup {
            place(&mut env, setup);
        }
        let before = snapshot(env.root());
        let run = env.run_stdin_bytes(case.args, case.stdin);
        assert_no_panic(case.name, &run);
        assert_eq!(run.code, case.code, "{}: {}", case.name, run.stderr);
        assert_eq!(run.stdout, "", "{}", case.name);
        let first = run.stderr.lines().next().unwrap_or_default();
        let wanted = case.message.replace("{cfg}", env.config.to_str().unwrap());
        assert!(
            first.starts_with("cellmage: error: ") && first.contains(&wanted),
            "{}: wanted {:?} in\n{}",
            case.name,
            wanted,
            run.stderr
        );
        assert!(
            run.stderr
                .lines()
                .skip(1)
                .all(|l| l.starts_with("cellmage: hint: ")),
            "{}: extra stderr:\n{}",
            case.name,
            run.stderr
        );
        assert_eq!(server.hits(), 0, "{}: a request was sent", case.name);
        assert_eq!(snapshot(env.root()), before, "{}: files changed", case.name);
    }
}

#[test]
fn invalid_utf8_in_the_arguments_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    let out = env
        .cmd()
        .arg(std::ffi::OsStr::from_bytes(b"caf\xe9"))
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_no_panic("argv", &run);
    run.fails(2, "invalid UTF-8 was detected in one or more arguments");
    assert_eq!(server.hits(), 0);
}

#[test]
fn a_full_disk_on_stdout_is_an_error_not_a_panic() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["answer"])]);
    let env = TestEnv::new().with_server(&server);
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        return; // no /dev/full on this system
    };
    let out = env.cmd().arg("hi").stdout(full).output().unwrap();
    let run = Run::from(out);
    assert_no_panic("stdout full", &run);
    // A local I/O failure: exit 11.
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "cellmage: error: cannot write the answer to stdout: No space left on device"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn help_and_version_still_exit_0() {
    let env = TestEnv::new();
    let run = env.run(&["--version"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(run.stdout.starts_with("cellmage "));
    let run = env.run(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Exit codes:"));
}

#[test]
fn a_stdin_that_never_ends_is_refused_at_the_limit() {
    use std::io::Write;
    let env = TestEnv::new();
    let mut child = env
        .cmd()
        .args(["--model", "echo", "hi"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let block = vec![b'y'; 64 * 1024];
        let mut sent = 0u64;
        while stdin.write_all(&block).is_ok() {
            sent += block.len() as u64;
            if sent > 256 << 20 {
                break;
            }
        }
        sent
    });
    let out = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    let run = Run::from(out);
    assert_no_panic("endless stdin", &run);
    run.fails(2, "stdin is too large (more than 32 MiB)");
    assert!(sent < 256 << 20, "cellmage kept reading: {sent} bytes");
}
