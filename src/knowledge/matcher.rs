//! Finding glossary names in text: longest name first, Chinese without word spaces, Latin names
//! only as whole words, short upper-case abbreviations (`PV`, `AS`) only in capitals.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

/// Finds the names of glossary entries in text.
pub struct Matcher {
    automaton: Option<AhoCorasick>,
    /// Name, entry and whether the name must match with its exact case, by pattern index.
    names: Vec<(String, usize, bool)>,
}

/// Whether a name must match with its exact case: short all-capital abbreviations.
fn exact_case(name: &str) -> bool {
    let letters: Vec<char> = name.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() <= 3 && !letters.is_empty() && letters.iter().all(|c| c.is_ascii_uppercase())
}

impl Matcher {
    /// A matcher over `(name, entry)` pairs.
    pub fn new(names: impl Iterator<Item = (String, usize)>) -> Matcher {
        let mut names: Vec<(String, usize, bool)> = names
            .map(|(n, e)| (n.trim().to_string(), e))
            .filter(|(n, _)| n.chars().count() >= 2 || n.chars().any(crate::repair::detect::is_cjk))
            .map(|(n, e)| {
                let exact = exact_case(&n);
                (n, e, exact)
            })
            .collect();
        names.sort();
        names.dedup_by(|a, b| a.0 == b.0);
        if names.is_empty() {
            return Matcher {
                automaton: None,
                names,
            };
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(names.iter().map(|(n, _, _)| n.as_str()))
            .ok();
        Matcher { automaton, names }
    }

    /// Every match in `text`, left to right, as `(entry, matched text, byte offset)`.
    pub fn find_at_all<'t>(&self, text: &'t str) -> Vec<(usize, &'t str, usize)> {
        let mut out = Vec::new();
        self.each_match(text, |pattern, start, end| {
            out.push((self.names[pattern].1, &text[start..end], start));
        });
        out
    }

    /// Every match in `text`, as `(entry, matched text)`.
    pub fn find_all<'t>(&self, text: &'t str) -> Vec<(usize, &'t str)> {
        self.find_at_all(text)
            .into_iter()
            .map(|(e, t, _)| (e, t))
            .collect()
    }

    /// Every match in `text`, left to right, by the index of the name found (see [`Matcher::name`]).
    pub fn find_names(&self, text: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.each_match(text, |pattern, _, _| out.push(pattern));
        out
    }

    /// How many names there are: [`Matcher::find_names`] gives indexes below this.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Name `i` and its entry. A match of it differs from it at most in the case of ASCII letters.
    pub fn name(&self, i: usize) -> (&str, usize) {
        let (name, entry, _) = &self.names[i];
        (name, *entry)
    }

    /// Calls `found(name index, start, end)` for every match in `text`, left to right.
    fn each_match(&self, text: &str, mut found: impl FnMut(usize, usize, usize)) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let mut at = 0;
        while at < text.len() {
            let Some(m) = automaton.find(Input::new(text).span(at..text.len())) else {
                break;
            };
            let pattern = m.pattern().as_usize();
            let (name, _, exact) = &self.names[pattern];
            let matched = &text[m.start()..m.end()];
            if is_whole(text, m.start(), m.end()) && (!exact || matched == name) {
                found(pattern, m.start(), m.end());
                at = m.end();
            } else {
                at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
}

/// A Latin name must not continue a Latin word or identifier on either side.
fn is_whole(text: &str, start: usize, end: usize) -> bool {
    // Word characters are ASCII: the bytes next to each end tell (a byte of a longer
    // character is never one).
    let bytes = text.as_bytes();
    let word = |at: usize| {
        bytes
            .get(at)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let inside = start < end;
    let left_ok = !(inside && word(start) && start > 0 && word(start - 1));
    let right_ok = !(inside && word(end - 1) && word(end));
    left_ok && right_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`is_whole`] as it reads, character by character.
    fn is_whole_by_chars(text: &str, start: usize, end: usize) -> bool {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let first = text[start..end].chars().next();
        let last = text[start..end].chars().next_back();
        let left_ok = !(first.is_some_and(word) && before.is_some_and(word));
        let right_ok = !(last.is_some_and(word) && after.is_some_and(word));
        left_ok && right_ok
    }

    proptest::proptest! {
        #[test]
        fn whole_names_are_told_by_bytes_as_by_characters(text in "[a_ 中é.Z9]{0,12}") {
            let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            for &start in &bounds {
                for &end in bounds.iter().filter(|&&e| e >= start) {
                    proptest::prop_assert_eq!(
                        is_whole(&text, start, end),
                        is_whole_by_chars(&text, start, end),
                        "{:?} {}..{}", text, start, end
                    );
                }
            }
        }
    }

    fn matcher(names: &[(&str, usize)]) -> Matcher {
        Matcher::new(names.iter().map(|(n, e)| (n.to_string(), *e)))
    }

    #[test]
    fn longest_name_wins_and_chinese_needs_no_spaces() {
        let m = matcher(&[
            ("Service", 0),
            ("Headless Service", 1),
            ("无头服务", 1),
            ("服务", 2),
        ]);
        let found = m.find_all("使用无头服务和Headless service，不是服务");
        assert_eq!(
            found,
            [(1, "无头服务"), (1, "Headless service"), (2, "服务")]
        );
    }

    #[test]
    fn matches_come_by_name_and_differ_from_it_only_in_ascii_case() {
        let m = matcher(&[("Pod", 0), ("Headless Service", 1), ("无头服务", 1)]);
        let found = m.find_names("pod、headless SERVICE 和无头服务，Pods");
        let names: Vec<(&str, usize)> = found.iter().map(|&i| m.name(i)).collect();
        assert_eq!(
            names,
            [("Pod", 0), ("Headless Service", 1), ("无头服务", 1)]
        );
        assert!(found.iter().all(|&i| i < m.name_count()));
    }

    #[test]
    fn latin_names_are_whole_words() {
        let m = matcher(&[("Pod", 0), ("PV", 1), ("kubectl apply", 2)]);
        assert_eq!(m.find_all("pods podman Pod"), [(0, "Pod")]);
        assert_eq!(m.find_all("在Pod中挂载PV"), [(0, "Pod"), (1, "PV")]);
        // A short abbreviation needs its capitals: `pv` in running text is not linked.
        assert_eq!(m.find_all("the pv and PVC"), Vec::<(usize, &str)>::new());
        assert_eq!(m.find_all("run kubectl apply now"), [(2, "kubectl apply")]);
        assert_eq!(m.find_all("run Kubectl Apply now"), [(2, "Kubectl Apply")]);
    }
}
