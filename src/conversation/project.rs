//! Which project a call belongs to: the git top level (the nearest directory holding
//! `.git`, a directory or a worktree's file), else the working directory. Found by looking
//! at the file system, without running git.

use std::path::Path;

/// The project of the working directory `cwd`, as recorded in conversation headers.
pub fn of(cwd: &Path) -> String {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_git_top_level_else_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let sub = repo.join("src/deep");
        std::fs::create_dir_all(&sub).unwrap();
        let plain = dir.path().join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        assert_eq!(of(&plain), plain.to_string_lossy());
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        assert_eq!(of(&sub), repo.to_string_lossy());
        // a worktree or submodule has a `.git` file
        std::fs::write(sub.join(".git"), "gitdir: ../x").unwrap();
        assert_eq!(of(&sub), sub.to_string_lossy());
    }
}
