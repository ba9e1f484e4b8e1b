//! Repair: pure text-to-text fixes of pasted and scraped notes, each reporting the Fixes it made.

pub mod detect;
pub mod fix;
pub mod shell;
pub mod structure;

pub use fix::Fix;

/// A note body after repair, with what was learned from its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repaired {
    pub body: String,
    pub fixes: Vec<Fix>,
    /// A title found in the text (a dated title line).
    pub title: Option<String>,
    /// A date found in the text (`YYYY-MM-DD`): a dated title line or a scraped header.
    pub date: Option<String>,
}

/// Repair a note body: scraped-page chrome first, then code found and fenced, then page structure.
pub fn repair(body: &str) -> Repaired {
    let (text, found, mut fixes) = structure::strip_page_chrome(body);
    let (text, code_fixes) = detect::fence_code(&text);
    fixes.extend(code_fixes);
    let (text, structure_fixes) = structure::repair_structure(&text);
    fixes.extend(structure_fixes);
    fixes.sort();
    Repaired {
        body: text,
        fixes,
        title: found.title,
        date: found
            .date
            .or_else(|| found.parts.first().map(|p| p.date.clone())),
    }
}
