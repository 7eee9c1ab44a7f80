//! `api_key_cmd`: the key printed by a command (a password manager), run through `sh -c`
//! with stdin closed, bounded in time and killed if cellmage is interrupted.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::error::usage;
use crate::interrupt::Killable;
use crate::secret::Secret;

/// How often a running command is checked for its end.
const POLL: Duration = Duration::from_millis(20);

/// Runs `api_key_cmd` and takes the first line of its stdout as the key, as password
/// managers print it (`pass show`, `op read`, ...). A command that fails, prints nothing or
/// is still running after `limit` (it is then killed) is a configuration error (exit 2)
/// quoting its stderr.
pub fn key_from_command(command: &str, limit: Duration) -> Result<Secret> {
    let spawned = Killable::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let (child, (stdout, stderr)) =
        spawned.map_err(|e| usage(format!("cannot run api_key_cmd: {e}")))?;
    let (stdout, stderr) = (drain(stdout), drain(stderr));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= limit => {
                drop(child);
                return Err(usage(format!(
                    "api_key_cmd did not finish within {}; it was stopped",
                    humantime::format_duration(limit)
                ))
                .hint("check api_key_cmd in your config, or allow it more time with --timeout")
                .into());
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => return Err(usage(format!("cannot run api_key_cmd: {e}")).into()),
        }
    };
    drop(child);
    // The command has ended; a grandchild still holding its pipes is not waited for.
    let out = stdout.recv_timeout(POLL * 10).unwrap_or_default();
    let err = stderr.recv_timeout(POLL * 10).unwrap_or_default();
    let key = String::from_utf8(out)
        .ok()
        .and_then(|text| text.lines().next().map(|l| l.trim().to_string()))
        .unwrap_or_default();
    let said = String::from_utf8_lossy(&err)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim().chars().take(200).collect::<String>()))
        .unwrap_or_default();
    let problem = if !status.success() {
        format!("api_key_cmd failed ({status}){said}")
    } else if key.is_empty() {
        format!("api_key_cmd printed no key{said}")
    } else {
        return Ok(Secret::new(key));
    };
    Err(usage(problem)
        .hint("check api_key_cmd in your config; its first line of output is the key")
        .into())
}

/// Reads a pipe to its end on a thread; the bytes arrive on the returned channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = tx.send(bytes);
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    #[test]
    fn key_commands() {
        let key = key_from_command("printf 'sk-cmd-1\\nnot the key\\n'", LIMIT).unwrap();
        assert_eq!(key.expose(), "sk-cmd-1");
        let err = key_from_command("echo 'no such entry' >&2; exit 3", LIMIT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "api_key_cmd failed (exit status: 3): no such entry"
        );
        assert_eq!(crate::error::classify(&err).0, crate::error::Kind::Usage);
        let err = key_from_command("true", LIMIT).unwrap_err();
        assert_eq!(err.to_string(), "api_key_cmd printed no key");
    }

    #[test]
    fn a_slow_command_is_stopped_at_the_limit() {
        let started = Instant::now();
        let err = key_from_command("sleep 30", Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            err.to_string(),
            "api_key_cmd did not finish within 300ms; it was stopped"
        );
        assert_eq!(crate::error::classify(&err).0, crate::error::Kind::Usage);
    }
}
