//! The self-test: every section whose heading is a question, with its answer.

use serde::Serialize;

use super::glossary::{bare_heading, is_question};
use super::{Corpus, Place, SectionRef, rebase_fragment};
use crate::model::Book;

/// A question of the review page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Stable id: the chapter's slug and the heading's id, for the reader's marks.
    pub id: String,
    pub question: String,
    /// The section's content, shown when the reader reveals it.
    pub answer: String,
    pub place: Place,
}

/// Every question heading of the book, in reading order.
pub fn gather(book: &Book, corpus: &Corpus, place: &dyn Fn(SectionRef) -> Place) -> Vec<Question> {
    let mut out = Vec::new();
    for (ci, chapter) in book.chapters.iter().enumerate() {
        let sections = &corpus.chapters[ci];
        for (si, section) in sections.iter().enumerate() {
            let s = &section.section;
            if s.level == 0 || !is_question(&bare_heading(&s.heading)) {
                continue;
            }
            let end = sections[si + 1..]
                .iter()
                .find(|n| n.section.level <= s.level)
                .map_or(chapter.html.len(), |n| n.section.heading_range.0);
            out.push(Question {
                id: format!("{}--{}", chapter.slug, s.id),
                question: s.heading.clone(),
                answer: rebase_fragment(&chapter.html[s.body_range.0..end], &chapter.slug),
                place: place(SectionRef {
                    chapter: ci,
                    section: si,
                }),
            });
        }
    }
    out
}
