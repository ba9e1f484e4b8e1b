//! Reading the notes folder: walk it, read and decode every note in parallel (the only IO of the load stage).

pub mod decode;
pub mod frontmatter;

use crate::diagnostics::{Diagnostic, Fatal};
use crate::model::SourceNote;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// File extensions read as notes.
pub const NOTE_EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// File extensions of files that notes may show or link to, copied into the book.
pub const ASSET_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "bmp", "ico", "pdf",
];

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|n| e.eq_ignore_ascii_case(n)))
}

/// Whether a path names a note file (by extension, case-insensitively).
pub fn is_note_path(path: &Path) -> bool {
    has_extension(path, NOTE_EXTENSIONS)
}

/// The files under a notes folder, sorted by relative path.
#[derive(Debug, Default)]
pub struct Found {
    pub notes: Vec<PathBuf>,
    /// Images and other files notes may link to.
    pub assets: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What was read from a notes folder.
#[derive(Debug, Default)]
pub struct Loaded {
    pub notes: Vec<SourceNote>,
    /// Asset files by path relative to the notes folder.
    pub assets: Vec<(String, Vec<u8>)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Every note and asset file under `dir`, sorted by relative path. Hidden files and folders are skipped.
pub fn find_notes(dir: &Path) -> Result<Found, Fatal> {
    let display = dir.display().to_string();
    let meta = std::fs::metadata(dir)
        .map_err(|e| Fatal::new(&display, format!("cannot read the notes folder: {e}")))?;
    if !meta.is_dir() {
        return Err(Fatal::new(&display, "the notes path is not a folder"));
    }
    let mut found = Found::default();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_note_path(entry.path()) => {
                found.notes.push(entry.into_path());
            }
            Ok(entry)
                if entry.file_type().is_file() && has_extension(entry.path(), ASSET_EXTENSIONS) =>
            {
                found.assets.push(entry.into_path());
            }
            Ok(_) => {}
            Err(error) => {
                let path = error
                    .path()
                    .map_or_else(|| display.clone(), |p| p.display().to_string());
                found.diagnostics.push(Diagnostic::warning(
                    path,
                    0,
                    0,
                    "unreadable",
                    format!("skipped: {error}"),
                ));
            }
        }
    }
    Ok(found)
}

/// `path` relative to `dir`, with `/` separators.
pub fn relative_path(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Read one note file: decode it, or say why it is skipped.
pub fn read_note(dir: &Path, path: &Path) -> (Option<SourceNote>, Vec<Diagnostic>) {
    let display_path = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let message = format!("cannot read this note: {error}; skipped");
            return (
                None,
                vec![Diagnostic::warning(
                    display_path,
                    0,
                    0,
                    "unreadable",
                    message,
                )],
            );
        }
    };
    match decode::decode(&bytes) {
        decode::Decoded::Binary => (
            None,
            vec![Diagnostic::warning(
                display_path,
                0,
                0,
                "binary",
                "not a text file (binary content); skipped",
            )],
        ),
        decode::Decoded::Text { text, warning } => {
            let diagnostics = warning
                .map(|w| Diagnostic::warning(&display_path, 1, 1, "encoding", w))
                .into_iter()
                .collect();
            let note = SourceNote {
                rel_path: relative_path(dir, path),
                display_path,
                text,
            };
            (Some(note), diagnostics)
        }
    }
}

/// Read every note and asset under `dir`, notes in parallel. Order follows the sorted walk.
pub fn read_notes(dir: &Path) -> Result<Loaded, Fatal> {
    let found = find_notes(dir)?;
    let mut loaded = Loaded {
        diagnostics: found.diagnostics,
        ..Loaded::default()
    };
    let results: Vec<_> = found.notes.par_iter().map(|p| read_note(dir, p)).collect();
    for (note, diags) in results {
        loaded.notes.extend(note);
        loaded.diagnostics.extend(diags);
    }
    for path in &found.assets {
        match std::fs::read(path) {
            Ok(bytes) => loaded.assets.push((relative_path(dir, path), bytes)),
            Err(error) => loaded.diagnostics.push(Diagnostic::warning(
                path.display().to_string(),
                0,
                0,
                "unreadable",
                format!("cannot read this file: {error}; skipped"),
            )),
        }
    }
    Ok(loaded)
}
