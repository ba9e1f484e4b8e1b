//! `studybook init`: a new notes project with a sample note, a config file and a GitHub Pages workflow.
//!
//! `studybook.toml` goes beside `notes/`, where `config::find` looks for it.

use crate::config::CONFIG_FILE;
use crate::diagnostics::Fatal;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files of a new project, by path relative to its folder.
pub const FILES: &[(&str, &str)] = &[
    ("notes/pod-basics.md", include_str!("init/sample-note.md")),
    (CONFIG_FILE, include_str!("init/studybook.toml")),
    (
        ".github/workflows/pages.yml",
        include_str!("init/pages.yml"),
    ),
    (".gitignore", "/output/\n"),
];

/// Create the project files in `dir` (created if missing). Nothing is written when any of them
/// exists already. Returns the created paths.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, Fatal> {
    let existing: Vec<String> = FILES
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Fatal::new(
            dir.display().to_string(),
            format!(
                "refusing to overwrite existing files: {}; nothing was created",
                existing.join(", ")
            ),
        ));
    }
    let mut created = Vec::new();
    for (rel, text) in FILES {
        let path = dir.join(rel);
        let display = path.display().to_string();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Fatal::new(&display, format!("cannot create its folder: {e}")))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Fatal::new(&display, format!("cannot create: {e}")))?;
        file.write_all(text.as_bytes())
            .map_err(|e| Fatal::new(&display, format!("cannot write: {e}")))?;
        created.push(path);
    }
    Ok(created)
}
