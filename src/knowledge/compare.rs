//! Comparisons: tables whose header (or first column) names two or more concepts, and sections
//! whose heading compares concepts (`X和Y的区别`, `X vs Y`), grouped by the concepts compared.

use rustc_hash::FxHashMap as HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::glossary::{Entry, bare_heading, norm};
use super::html::{Token, tokens, unescape};
use super::{Corpus, Place, SectionRef, rebase_fragment};
use crate::model::Book;

/// A concept compared, linked to its glossary entry when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Concept {
    pub name: String,
    /// Glossary entry id.
    pub glossary: Option<String>,
}

/// One table or section that compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `table` or `section`.
    pub kind: &'static str,
    /// The table or the section's content, made to stand at the output's root.
    pub html: String,
    pub place: Place,
}

/// The comparisons of the same concepts, from every note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub id: String,
    pub title: String,
    pub concepts: Vec<Concept>,
    pub items: Vec<Item>,
}

static COMPARE_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(.+?)\s*(?:和|与|跟|同|以及|\bvs\.?|\bversus|\band)\s*(.+?)\s*(?:之间)?(?:的)?\s*(?:有什么|有何|有哪些)?\s*(?:区别|差异|不同|异同|对比|比较|关系|difference|differences|comparison)")
        .expect("valid regex")
});
static VERSUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(.+?)\s+(?:vs\.?|versus|对比)\s+(.+)$").expect("valid regex")
});
static DIFFERENCE_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:.*?)(?:区别|对比|比较|difference between)\s*[:：]?\s*(.+?)\s*(?:和|与|vs\.?|and)\s*(.+)$")
        .expect("valid regex")
});

/// The concepts a heading compares, or none.
pub fn compared_in_heading(heading: &str) -> Vec<String> {
    let bare = bare_heading(heading);
    let first = bare
        .split(['，', ',', '？', '?'])
        .next()
        .unwrap_or("")
        .trim();
    // Each pattern needs one of these words: most headings are passed over without them.
    let lower = first.to_ascii_lowercase();
    let may_compare = ["区别", "差异", "不同", "异同", "对比", "比较", "关系"]
        .iter()
        .chain(&["difference", "comparison", "vs", "versus"])
        .any(|w| lower.contains(w));
    if !may_compare {
        return Vec::new();
    }
    let caps = COMPARE_HEADING
        .captures(first)
        .or_else(|| DIFFERENCE_OF.captures(first))
        .or_else(|| VERSUS.captures(first));
    let Some(c) = caps else {
        return Vec::new();
    };
    let parts: Vec<String> = [&c[1], &c[2]]
        .iter()
        .map(|p| p.trim().trim_end_matches('的').trim().to_string())
        .filter(|p| !p.is_empty() && p.chars().count() <= 30)
        .collect();
    if parts.len() == 2 && norm(&parts[0]) != norm(&parts[1]) {
        parts
    } else {
        Vec::new()
    }
}

/// How far `written` is from `name` when it reads as a misspelling of it (`replaceset` for
/// `replicaset`): within two edits, and not the same word with an ending added or taken away
/// (`release` is not `released`).
fn misspelling(name: &str, written: &str) -> Option<usize> {
    if name.starts_with(written) || written.starts_with(name) {
        return None;
    }
    crate::repair::schema::edit_distance_within(name, written, 2)
}

/// Looks names up among the glossary's entries.
struct Resolver<'a> {
    by_name: &'a HashMap<String, usize>,
    /// ASCII names by first byte and length, for close misspellings.
    by_shape: HashMap<(u8, usize), Vec<(&'a str, usize)>>,
    entries: &'a [Entry],
}

impl<'a> Resolver<'a> {
    fn new(by_name: &'a HashMap<String, usize>, entries: &'a [Entry]) -> Resolver<'a> {
        let mut by_shape: HashMap<(u8, usize), Vec<(&str, usize)>> = HashMap::default();
        for (name, &i) in by_name {
            if let Some(&first) = name.as_bytes().first()
                && name.is_ascii()
            {
                by_shape
                    .entry((first, name.len()))
                    .or_default()
                    .push((name.as_str(), i));
            }
        }
        Resolver {
            by_name,
            by_shape,
            entries,
        }
    }
}

impl Resolver<'_> {
    /// The entry a table cell or heading part names: the whole text, a bracketed part, a close
    /// misspelling of a long name, or a known name after a describing word ending in `的`.
    fn resolve(&self, text: &str) -> Option<usize> {
        let t = text.trim();
        if let Some(&i) = self.by_name.get(&norm(t)) {
            return Some(i);
        }
        for part in t.split(['(', '（', ')', '）']) {
            if let Some(&i) = self
                .by_name
                .get(&norm(part))
                .filter(|_| !part.trim().is_empty())
            {
                return Some(i);
            }
        }
        // A misspelt English name (`replaceset`): close in spelling and in length.
        let n = norm(t);
        if n.len() >= 7 && n.is_ascii() {
            let first = n.as_bytes()[0];
            let close = (n.len() - 1..=n.len() + 1)
                .filter_map(|len| self.by_shape.get(&(first, len)))
                .flatten()
                .filter_map(|&(name, i)| misspelling(name, &n).map(|d| (d, name, i)))
                .min();
            if let Some((_, _, i)) = close {
                return Some(i);
            }
        }
        if let Some(p) = t.rfind('的') {
            return self.by_name.get(&norm(&t[p + '的'.len_utf8()..])).copied();
        }
        None
    }

    fn concept(&self, text: &str) -> Concept {
        match self.resolve(text) {
            Some(i) => Concept {
                name: self.entries[i].term.clone(),
                glossary: Some(self.entries[i].id.clone()),
            },
            None => Concept {
                name: text.trim().to_string(),
                glossary: None,
            },
        }
    }
}

/// A table of some HTML: its byte range, header cells and first-column cells.
#[derive(Debug, Clone)]
pub struct Table {
    range: (usize, usize),
    pub header: Vec<String>,
    pub first_column: Vec<String>,
    /// The cell beside each of `first_column`, when the row has one.
    pub second_column: Vec<Option<String>>,
}

pub fn tables(body: &str) -> Vec<Table> {
    let mut out = Vec::new();
    if memchr::memmem::find(body.as_bytes(), b"<table").is_none() {
        return out;
    }
    let toks = tokens(body);
    let mut k = 0;
    while k < toks.len() {
        let (start, tok) = toks[k];
        if let Token::Tag {
            name: "table",
            closing: false,
            ..
        } = tok
        {
            let mut header = Vec::new();
            let mut first_column = Vec::new();
            let mut second_column: Vec<Option<String>> = Vec::new();
            let mut cell: Option<(bool, String)> = None;
            let mut cell_in_row = 0;
            // Whether the row being read gave `first_column` its first cell.
            let mut row_has_first = false;
            let mut j = k + 1;
            let mut end = body.len();
            while j < toks.len() {
                let (at, t) = toks[j];
                match t {
                    Token::Tag {
                        name: "table",
                        closing: true,
                        raw,
                    } => {
                        end = at + raw.len();
                        break;
                    }
                    Token::Tag {
                        name: "tr",
                        closing: false,
                        ..
                    } => (cell_in_row, row_has_first) = (0, false),
                    Token::Tag {
                        name: name @ ("th" | "td"),
                        closing: false,
                        ..
                    } => {
                        cell = Some((name == "th", String::new()));
                        cell_in_row += 1;
                    }
                    Token::Tag {
                        name: "th" | "td",
                        closing: true,
                        ..
                    } => {
                        if let Some((is_head, text)) = cell.take() {
                            if is_head {
                                header.push(text.trim().to_string());
                            } else if cell_in_row == 1 {
                                first_column.push(text.trim().to_string());
                                second_column.push(None);
                                row_has_first = true;
                            } else if cell_in_row == 2
                                && row_has_first
                                && let Some(beside) = second_column.last_mut()
                            {
                                *beside = Some(text.trim().to_string());
                            }
                        }
                    }
                    Token::Text(s) => {
                        if let Some((_, text)) = cell.as_mut() {
                            text.push_str(&unescape(s));
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            out.push(Table {
                range: (start, end),
                header,
                first_column,
                second_column,
            });
            k = j;
        }
        k += 1;
    }
    out
}

/// The concepts a table compares: its header's cells after the first, else its first column.
fn compared_in_table(table: &Table, resolver: &Resolver) -> Vec<Concept> {
    let columns: Vec<&String> = table.header.iter().skip(1).collect();
    let resolved = columns
        .iter()
        .filter(|c| resolver.resolve(c).is_some())
        .count();
    if columns.len() >= 2 && resolved >= 2 && resolved * 2 >= columns.len() {
        return columns.iter().map(|c| resolver.concept(c)).collect();
    }
    let rows = &table.first_column;
    let short = rows
        .iter()
        .all(|r| !r.is_empty() && r.chars().count() <= 30 && !r.contains(['。', '，', ',']));
    let resolved = rows
        .iter()
        .filter(|r| resolver.resolve(r).is_some())
        .count();
    let identifiers = rows.iter().all(|r| {
        r.split_whitespace().count() == 1
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    });
    if rows.len() >= 2 && short && (resolved >= 2 || identifiers) {
        return rows.iter().map(|r| resolver.concept(r)).collect();
    }
    Vec::new()
}

/// Gather the comparisons of the book, grouped by the concepts compared, in reading order.
pub fn gather(
    book: &Book,
    corpus: &Corpus,
    entries: &[Entry],
    place: &dyn Fn(SectionRef) -> Place,
) -> Vec<Comparison> {
    let mut by_name = HashMap::default();
    for (i, e) in entries.iter().enumerate() {
        for n in e.names() {
            by_name.entry(norm(n)).or_insert(i);
        }
    }
    let resolver = Resolver::new(&by_name, entries);
    let mut groups: Vec<Comparison> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::default();
    let mut add = |concepts: Vec<Concept>, item: Item, groups: &mut Vec<Comparison>| {
        let mut concepts_unique: Vec<Concept> = Vec::new();
        let mut key: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in concepts {
            let name = norm(&c.name);
            if seen.insert(name.clone()) {
                key.push(name);
                concepts_unique.push(c);
            }
        }
        if concepts_unique.len() < 2 {
            return;
        }
        key.sort();
        match index.get(&key) {
            Some(&g) => groups[g].items.push(item),
            None => {
                index.insert(key, groups.len());
                let mut title = concepts_unique
                    .iter()
                    .take(5)
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ");
                if concepts_unique.len() > 5 {
                    title.push_str(" / …");
                }
                groups.push(Comparison {
                    id: format!("cmp-{}", groups.len() + 1),
                    title,
                    concepts: concepts_unique,
                    items: vec![item],
                });
            }
        }
    };
    for (ci, chapter) in book.chapters.iter().enumerate() {
        let sections = &corpus.chapters[ci];
        for (si, section) in sections.iter().enumerate() {
            let at = SectionRef {
                chapter: ci,
                section: si,
            };
            let s = &section.section;
            let compared = compared_in_heading(&s.heading);
            if compared.len() == 2 {
                // The section with its subsections.
                let end = sections[si + 1..]
                    .iter()
                    .find(|n| n.section.level <= s.level)
                    .map_or(chapter.html.len(), |n| n.section.heading_range.0);
                let html = rebase_fragment(&chapter.html[s.body_range.0..end], &chapter.slug);
                let concepts = compared.iter().map(|c| resolver.concept(c)).collect();
                add(
                    concepts,
                    Item {
                        kind: "section",
                        html,
                        place: place(at),
                    },
                    &mut groups,
                );
                continue;
            }
            let body = &chapter.html[s.body_range.0..s.body_range.1];
            for table in &corpus.section(at).tables {
                let concepts = compared_in_table(table, &resolver);
                if concepts.is_empty() {
                    continue;
                }
                let html = rebase_fragment(&body[table.range.0..table.range.1], &chapter.slug);
                add(
                    concepts,
                    Item {
                        kind: "table",
                        html,
                        place: place(at),
                    },
                    &mut groups,
                );
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_headings_name_both_sides() {
        let cases = [
            (
                "deployment和replaceset的区别",
                vec!["deployment", "replaceset"],
            ),
            (
                "就绪探针与存活探针区别是什么？",
                vec!["就绪探针", "存活探针"],
            ),
            (
                "无头service和普通的service有什么区别，无头service使用场景是什么？",
                vec!["无头service", "普通的service"],
            ),
            (
                "2.2.4 网络区别:underlay 与overlay",
                vec!["underlay", "overlay"],
            ),
            ("Docker vs Podman", vec!["Docker", "Podman"]),
            ("Ingress 对比 Service", vec!["Ingress", "Service"]),
        ];
        for (heading, want) in cases {
            assert_eq!(compared_in_heading(heading), want, "{heading}");
        }
        assert!(compared_in_heading("PV 的回收策略").is_empty());
        assert!(
            compared_in_heading("创建和使用").len() == 2
                || compared_in_heading("创建和使用").is_empty()
        );
    }

    #[test]
    fn a_misspelling_is_close_but_not_another_form_of_the_word() {
        assert!(misspelling("replicaset", "replaceset").is_some());
        assert!(misspelling("statefulset", "statfulset").is_some());
        assert_eq!(misspelling("released", "release"), None);
        assert_eq!(misspelling("deployment", "deployments"), None);
        assert_eq!(misspelling("configmap", "secretmap"), None);
    }

    #[test]
    fn tables_give_header_and_first_column() {
        let html = "<p>x</p><table><thead><tr><th>特性</th><th>A</th><th>B</th></tr></thead><tbody><tr><td>r1</td><td>1</td><td>2</td></tr><tr><td>r2</td><td>3</td><td>4</td></tr></tbody></table>";
        let t = tables(html);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].header, ["特性", "A", "B"]);
        assert_eq!(t[0].first_column, ["r1", "r2"]);
        assert_eq!(
            t[0].second_column,
            [Some("1".to_string()), Some("3".to_string())]
        );
        assert!(html[t[0].range.0..t[0].range.1].starts_with("<table>"));
        assert!(html[t[0].range.0..t[0].range.1].ends_with("</table>"));
    }
}
