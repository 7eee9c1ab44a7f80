//! `--write-files` without `--force` never replaces a file, even when runs race: exactly
//! one of several runs writing the same new file wins; the others are refused and leave
//! nothing of their own behind.

use std::process::Stdio;

use crate::common::TestEnv;

#[test]
fn racing_runs_without_force_have_exactly_one_winner() {
    const RUNS: usize = 12;
    for round in 0..5 {
        let env = TestEnv::new();
        let children: Vec<_> = (0..RUNS)
            .map(|n| {
                let answer = format!("own-{n}.txt\n```\n{n}\n```\nshared.txt\n```\nrun {n}\n```");
                env.cmd()
                    .args(["--model", "echo", "--write-files", "out", &answer])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outcomes: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let winners: Vec<usize> = (0..RUNS)
            .filter(|&n| outcomes[n].status.code() == Some(0))
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let winner = winners[0];
        for (n, out) in outcomes.iter().enumerate().filter(|(n, _)| *n != winner) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "run {n}: {stderr}");
            assert!(stderr.contains("\"shared.txt\""), "run {n}: {stderr}");
        }
        let shared = std::fs::read_to_string(env.path("out/shared.txt")).unwrap();
        assert_eq!(shared, format!("run {winner}\n"));
        let mut left: Vec<String> = std::fs::read_dir(env.path("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [format!("own-{winner}.txt"), "shared.txt".to_string()]
        );
    }
}
