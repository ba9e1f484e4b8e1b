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

/// Run one repair stage; a stage that fails on some input leaves the text as it was and says so.
fn stage<T>(
    name: &'static str,
    text: &str,
    fixes: &mut Vec<Fix>,
    run: impl FnOnce(&str) -> (String, T, Vec<Fix>),
) -> (String, Option<T>) {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(text))) {
        Ok((out, found, stage_fixes)) => {
            fixes.extend(stage_fixes);
            (out, Some(found))
        }
        Err(_) => {
            fixes.push(Fix::new(
                1,
                "repair-failed",
                format!("the {name} repair could not handle this note; its text is kept as it was"),
            ));
            (text.to_string(), None)
        }
    }
}

/// Repair a note body: scraped-page chrome first, then code found and fenced, then page structure.
pub fn repair(body: &str) -> Repaired {
    let mut fixes = Vec::new();
    let (text, found) = stage("page chrome", body, &mut fixes, |t| {
        let (out, found, fixes) = structure::strip_page_chrome(t);
        (out, found, fixes)
    });
    let found = found.unwrap_or_default();
    let (text, _) = stage("code", &text, &mut fixes, |t| {
        let (out, fixes) = detect::fence_code(t);
        (out, (), fixes)
    });
    let (text, _) = stage("structure", &text, &mut fixes, |t| {
        let (out, fixes) = structure::repair_structure(t);
        (out, (), fixes)
    });
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
