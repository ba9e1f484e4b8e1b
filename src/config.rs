//! The optional `studybook.toml`: book title, language and site URL. Unknown keys are an error.

use crate::diagnostics::{Diagnostic, Fatal};
use crate::load::frontmatter::line_col;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Settings a user may put in `studybook.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The book's title.
    pub title: Option<String>,
    /// Language of the book's interface and `<html lang>` (`zh`, `en`); detected from the notes when absent.
    pub language: Option<String>,
    /// The user's own glossary entries, from `glossary.yaml` in the notes folder.
    #[serde(skip)]
    pub glossary: Vec<crate::knowledge::glossary::UserEntry>,
    /// Where the book is published (`https://user.github.io/repo/`): canonical links and a sitemap.
    #[serde(alias = "site-url")]
    pub site_url: Option<String>,
}

/// The optional glossary file in the notes folder.
pub const GLOSSARY_FILE: &str = "glossary.yaml";

/// Read `glossary.yaml` from the notes folder: its entries, or a warning at the error's line and
/// column (the book is then built with the glossary found in the notes alone).
pub fn load_glossary(
    notes_dir: &Path,
) -> (Vec<crate::knowledge::glossary::UserEntry>, Vec<Diagnostic>) {
    let path = notes_dir.join(GLOSSARY_FILE);
    let display = path.display().to_string();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return (Vec::new(), Vec::new());
    };
    parse_glossary(&text, &display)
}

/// Parse the text of a glossary file: a list of `term`, `aliases`, `definition`.
pub fn parse_glossary(
    text: &str,
    path: &str,
) -> (Vec<crate::knowledge::glossary::UserEntry>, Vec<Diagnostic>) {
    if text.trim().is_empty() {
        return (Vec::new(), Vec::new());
    }
    match serde_saphyr::from_str::<Vec<crate::knowledge::glossary::UserEntry>>(text) {
        Ok(entries) => {
            let mut diagnostics = Vec::new();
            let kept = entries
                .into_iter()
                .enumerate()
                .filter(|(i, e)| {
                    let empty = e.term.trim().is_empty();
                    if empty {
                        diagnostics.push(Diagnostic::warning(
                            path,
                            1,
                            1,
                            "glossary",
                            format!(
                                "entry {} of {GLOSSARY_FILE} has no `term`; it is left out",
                                i + 1
                            ),
                        ));
                    }
                    !empty
                })
                .map(|(_, e)| e)
                .collect();
            (kept, diagnostics)
        }
        Err(error) => {
            let (line, col) = error
                .location()
                .map(|l| (l.line() as usize, l.column() as usize))
                .unwrap_or((1, 1));
            (
                Vec::new(),
                vec![Diagnostic::warning(
                    path,
                    line.max(1),
                    col.max(1),
                    "glossary",
                    format!(
                        "{GLOSSARY_FILE} is not a list of entries with `term`, `aliases` and `definition` ({}); it is ignored",
                        error.to_string().lines().next().unwrap_or("")
                    ),
                )],
            )
        }
    }
}

/// The file name looked for beside, or inside, the notes folder.
pub const CONFIG_FILE: &str = "studybook.toml";

/// Where a config file for `notes_dir` would be: inside the notes folder, else in its parent.
pub fn find(notes_dir: &Path) -> Option<PathBuf> {
    let inside = notes_dir.join(CONFIG_FILE);
    if inside.is_file() {
        return Some(inside);
    }
    let parent = notes_dir.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    })?;
    let beside = parent.join(CONFIG_FILE);
    beside.is_file().then_some(beside)
}

/// Parse a config file's text.
pub fn parse(text: &str, path: &str) -> Result<Config, Fatal> {
    toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        Fatal(Diagnostic::error(
            path,
            line,
            col,
            "config",
            format!("bad {CONFIG_FILE}: {}", e.message()),
        ))
    })
}

/// Read the config for `notes_dir`, or the defaults when there is none.
pub fn load(notes_dir: &Path) -> Result<Config, Fatal> {
    let Some(path) = find(notes_dir) else {
        return Ok(Config::default());
    };
    let display = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Fatal::new(&display, format!("cannot read {CONFIG_FILE}: {e}")))?;
    parse(&text, &display)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_title() {
        let c = parse("title = \"K8S 笔记\"\n", "studybook.toml").unwrap();
        assert_eq!(c.title.as_deref(), Some("K8S 笔记"));
    }

    #[test]
    fn unknown_key_is_an_error_with_position() {
        let Err(Fatal(d)) = parse("title = \"x\"\ntitel = \"y\"\n", "studybook.toml") else {
            panic!("unknown key accepted");
        };
        assert_eq!((d.line, d.col), (2, 1));
    }

    #[test]
    fn reads_site_url_with_either_spelling() {
        for key in ["site-url", "site_url"] {
            let c = parse(&format!("{key} = \"https://u.github.io/r/\"\n"), "s.toml").unwrap();
            assert_eq!(c.site_url.as_deref(), Some("https://u.github.io/r/"));
        }
    }
}
