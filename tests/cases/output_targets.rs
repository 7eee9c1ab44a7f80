//! `-o` onto what is not a regular file: devices, `/dev/stdout`, FIFOs and dangling
//! symlinks are written through, never replaced by a regular file.

use std::os::unix::fs::FileTypeExt;
use std::time::Duration;

use crate::common::TestEnv;

#[test]
fn devices_and_dev_stdout_are_written_through() {
    let env = TestEnv::new();
    let run = env.run(&["--model", "echo", "-o", "/dev/null", "gone"]);
    run.ok("");
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    let run = env.run(&["--model", "echo", "-o", "/dev/stdout", "shown"]);
    run.ok("shown\n");
    assert!(
        std::fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .is_symlink()
    );
    assert_eq!(std::fs::read_dir(&env.cwd).unwrap().count(), 0);
}

#[test]
fn a_fifo_is_written_through_to_its_reader() {
    let env = TestEnv::new();
    let fifo = env.path("answer.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let reading = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(reading));
    });
    let run = env.run(&["--model", "echo", "-o", "answer.fifo", "through the pipe"]);
    run.ok("");
    let ty = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(ty.is_fifo(), "the FIFO was replaced: {ty:?}");
    let got = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the reader got it");
    assert_eq!(got.unwrap(), "through the pipe\n");
}

#[test]
fn a_dangling_symlink_is_written_through_to_its_target() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("real")).unwrap();
    std::os::unix::fs::symlink("real/new.txt", env.path("link.txt")).unwrap();
    std::os::unix::fs::symlink("link.txt", env.path("chain.txt")).unwrap();
    env.run(&["--model", "echo", "-o", "chain.txt", "made"])
        .ok("");
    assert!(env.path("link.txt").is_symlink());
    assert!(env.path("chain.txt").is_symlink());
    assert_eq!(
        std::fs::read_to_string(env.path("real/new.txt")).unwrap(),
        "made\n"
    );
    let left: Vec<_> = std::fs::read_dir(env.path("real")).unwrap().collect();
    assert_eq!(left.len(), 1, "no temp file left");
}
