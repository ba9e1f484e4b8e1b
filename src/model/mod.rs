//! Plain data passed between the pipeline's stages: notes, chapters, the book.

use serde::Serialize;

/// A note file as read from disk, decoded to text (LF line endings), before any repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceNote {
    /// Path relative to the notes folder, with `/` separators.
    pub rel_path: String,
    /// Path as shown in diagnostics (the notes folder joined with `rel_path`).
    pub display_path: String,
    pub text: String,
}

/// Metadata of a note, from its front matter or inferred from its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Meta {
    pub title: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    pub order: Option<i64>,
}

/// A note after front matter has been split off and its body repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub rel_path: String,
    pub display_path: String,
    pub meta: Meta,
    /// Markdown body.
    pub body: String,
    /// 1-based line in the source file where `body` starts (for diagnostics).
    pub body_line: usize,
    /// The body as written, before repair: diagnostics about the repaired body point into it.
    pub source_body: String,
}

/// A heading of a rendered chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    pub level: u8,
    /// Plain text of the heading.
    pub text: String,
    /// Unique anchor id within the page.
    pub id: String,
}

/// A note rendered to HTML, not yet placed in the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedNote {
    pub note: Note,
    pub title: String,
    pub html: String,
    pub headings: Vec<Heading>,
}

/// A chapter: a rendered note with its place in the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chapter {
    /// File stem of the chapter page (`chapters/<slug>.html`), unique in the book.
    pub slug: String,
    pub title: String,
    pub date: Option<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    pub source: String,
    pub html: String,
    pub headings: Vec<Heading>,
    /// The definitions of the glossary terms its HTML links to, by entry id: a JSON object
    /// (empty when it links to none), read by the page's script for the terms' cards.
    pub term_definitions: String,
}

/// The whole book: chapters in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Book {
    pub title: String,
    pub chapters: Vec<Chapter>,
    /// Glossary, comparisons and review questions gathered from the chapters.
    pub knowledge: crate::knowledge::Knowledge,
}
