//! Anchor ids and file names that keep Chinese text: `Service 与 Deployment` -> `service-与-deployment`.

use rustc_hash::FxHashSet as HashSet;

/// Lower-case Latin letters, keep every other letter or digit (Chinese included), `-` and `_`;
/// whitespace and punctuation become single `-`. Empty results become `section`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        } else {
            pending_dash = true;
        }
    }
    if out.is_empty() {
        out.push_str("section");
    }
    out
}

/// The anchor GitHub, and the editors and sites that follow it, give a heading: lower case;
/// letters, digits, `-` and `_` kept; each space a `-`; everything else dropped
/// (`v8.0.0 版本` -> `v800-版本`). Notes link to sections by these.
pub fn github_slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// Hands out ids unique within one page: a repeated id gets `-1`, `-2`, ...
#[derive(Debug, Default, Clone)]
pub struct UniqueIds {
    seen: HashSet<String>,
    /// For a repeated id, the suffix to try next: the ones below it are taken.
    next_suffix: std::collections::HashMap<String, usize>,
}

impl UniqueIds {
    /// An id set that already holds `reserved` (ids the page template uses itself).
    pub fn with_reserved(reserved: &[&str]) -> Self {
        UniqueIds {
            seen: reserved.iter().map(|s| s.to_string()).collect(),
            next_suffix: Default::default(),
        }
    }

    /// Takes `id` as it is when no other element of the page has it.
    pub fn claim(&mut self, id: &str) -> bool {
        self.seen.insert(id.to_string())
    }

    pub fn unique(&mut self, base: &str) -> String {
        if self.seen.insert(base.to_string()) {
            return base.to_string();
        }
        let next = self.next_suffix.entry(base.to_string()).or_insert(1);
        loop {
            let candidate = format!("{base}-{next}");
            *next += 1;
            if self.seen.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_chinese() {
        assert_eq!(slugify("Service 与 Deployment"), "service-与-deployment");
        assert_eq!(slugify("2.1创建 PV"), "2-1创建-pv");
        assert_eq!(slugify("pod的重启策略有哪些？"), "pod的重启策略有哪些");
        assert_eq!(slugify("  ** "), "section");
    }

    #[test]
    fn github_anchors_drop_punctuation_and_keep_each_space() {
        assert_eq!(
            github_slug("tidb_gc_enable 从 v5.0 版本开始引入"),
            "tidb_gc_enable-从-v50-版本开始引入"
        );
        assert_eq!(github_slug("A - B (c)"), "a---b-c");
        assert_eq!(github_slug("？"), "");
    }

    #[test]
    fn unique_ids() {
        let mut ids = UniqueIds::with_reserved(&["content"]);
        assert_eq!(ids.unique("content"), "content-1");
        assert_eq!(ids.unique("pod"), "pod");
        assert_eq!(ids.unique("pod"), "pod-1");
        assert_eq!(ids.unique("pod"), "pod-2");
        // A suffixed id already taken is skipped.
        assert_eq!(ids.unique("a-1"), "a-1");
        assert_eq!(ids.unique("a"), "a");
        assert_eq!(ids.unique("a"), "a-2");
        assert_eq!(ids.unique("a"), "a-3");
    }
}
