//! Repair: pure text-to-text fixes of pasted and scraped notes, each reporting the Fixes it made.

pub mod detect;
pub mod dockerfile;
pub mod fix;
pub mod schema;
pub mod shell;
pub mod structure;
pub mod yaml;

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
    /// Tags found in the text: the categories of scraped posts.
    pub tags: Vec<String>,
}

/// How many times code and structure repairs may run over a note before it must be stable.
const MAX_PASSES: usize = 4;

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
    detect::forget_classified();
    let mut fixes = Vec::new();
    let (text, found) = stage("page chrome", body, &mut fixes, |t| {
        let (out, found, fixes) = structure::strip_page_chrome(t);
        (out, found, fixes)
    });
    let found = found.unwrap_or_default();
    // Code and structure repairs feed each other (a heading found ends a code block; a block
    // fenced turns lines into code): run them until the text is stable, so repair is idempotent.
    let mut text = text;
    // Set when the last pass changed nothing but the info strings of fences: the next pass
    // would find the lines outside fences as they were, and the structure as it was.
    let mut only_relabelled = false;
    for _ in 0..MAX_PASSES {
        let mut pass_fixes = Vec::new();
        if only_relabelled {
            let (relabelled, _) = stage("code", &text, &mut pass_fixes, |t| {
                let (out, fixes) = detect::relabel_fences(t);
                (out, (), fixes)
            });
            if relabelled == text {
                break;
            }
            pass_fixes.clear();
        }
        let (fenced, _) = stage("code", &text, &mut pass_fixes, |t| {
            let (out, fixes) = detect::fence_code(t);
            (out, (), fixes)
        });
        let (structured, _) = stage("structure", &fenced, &mut pass_fixes, |t| {
            let (out, fixes) = structure::repair_structure(t);
            (out, (), fixes)
        });
        if structured == text {
            break;
        }
        only_relabelled = structured == fenced && detect::differ_only_in_fence_info(&text, &fenced);
        fixes.extend(pass_fixes);
        text = structured;
    }
    fixes.sort();
    fixes.dedup();
    let mut tags: Vec<String> = Vec::new();
    for category in found.parts.iter().filter_map(|p| p.category.clone()) {
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(&category)) {
            tags.push(category);
        }
    }
    let title = found.title.or_else(|| {
        (found.parts.len() >= 2)
            .then(|| parts_title(&text, &tags))
            .flatten()
    });
    Repaired {
        date: found
            .date
            .or_else(|| found.parts.first().map(|p| p.date.clone())),
        body: text,
        fixes,
        title,
        tags,
    }
}

/// The topic a heading names: a question's subject (`什么是 Service?` names `Service`).
fn topic_of(heading: &str) -> &str {
    let mut topic = heading.trim();
    for prefix in [
        "什么是",
        "什么叫",
        "何为",
        "何谓",
        "What is ",
        "What are ",
        "what is ",
        "what are ",
    ] {
        if let Some(rest) = topic.strip_prefix(prefix) {
            topic = rest.trim_start();
            break;
        }
    }
    topic.trim_end_matches(['?', '？', ' ']).trim()
}

/// A title for a note made of several scraped posts: its category, then the first heading of
/// each post (the posts are separated by `***` rules), without section numbers.
fn parts_title(text: &str, categories: &[String]) -> Option<String> {
    let mut titles: Vec<String> = Vec::new();
    let mut in_fence = false;
    let mut want_heading = true;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if t == "***" {
            want_heading = true;
        } else if want_heading && t.starts_with('#') {
            let heading = t.trim_start_matches('#').trim();
            let unnumbered = heading
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '、')
                .trim();
            let topic = topic_of(unnumbered);
            if !topic.is_empty() {
                titles.push(topic.to_string());
                want_heading = false;
            }
        }
    }
    if titles.len() < 2 {
        return None;
    }
    let topic = categories.join("、");
    let joined = titles.join("、");
    Some(if topic.is_empty() {
        joined
    } else {
        format!("{topic} 学习笔记：{joined}")
    })
}
