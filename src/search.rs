//! The search index (pure): each chapter split into sections at its headings, the terms of every
//! section (Latin words and code identifiers with their camelCase parts, Chinese character bigrams)
//! mapped to the sections that hold them, with a short excerpt of each section for snippets.
//! Shipped as a script that sets `window.studybookSearchIndex`, so it loads from `file://`.
//!
//! The format, read by the theme's `search.js`:
//! `{"version":1,"chapters":[[slug,title],...],"docs":[[chapter,anchor,heading,excerpt],...],
//! "terms":{term:[doc*4+tf,...]}}` where `tf` is 1 (once), 2 (two or three times) or 3 (more).
//! A chapter's text before its first heading is the section with anchor `""` and heading `""`.

use crate::model::{Book, Chapter};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

/// Where the index is written, relative to the output folder.
pub const INDEX_PATH: &str = "assets/search-index.js";

/// Characters of a section's text kept as its excerpt (prose first, then code).
pub const EXCERPT_CHARS: usize = 200;

/// Shortest Latin word that is a term (single letters and digits find too much).
const MIN_WORD_CHARS: usize = 2;

/// A part of a chapter from one heading to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading id, `""` for the text before the first heading.
    pub anchor: String,
    /// Heading text, `""` for the text before the first heading.
    pub heading: String,
    /// Text outside code blocks, whitespace collapsed.
    pub prose: String,
    /// Text of code blocks, whitespace collapsed.
    pub code: String,
}

#[derive(Serialize)]
struct Index<'a> {
    version: u32,
    chapters: Vec<(&'a str, &'a str)>,
    docs: Vec<Doc>,
    terms: SortedTerms,
}

/// Terms and their postings, sorted by term: serialised as one JSON object.
struct SortedTerms(Vec<(String, Vec<u32>)>);

impl Serialize for SortedTerms {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (term, postings) in &self.0 {
            map.serialize_entry(term, postings)?;
        }
        map.end()
    }
}

/// A section's entry in the index: chapter, anchor, heading, excerpt.
type Doc = (usize, String, String, String);

/// A section's entry and its terms with their frequency class.
type IndexedSection = (Doc, Vec<(String, u32)>);

/// Chapters indexed in parallel per batch (their terms are merged in order after each batch).
const BATCH: usize = 64;

/// The index of `book` as the bytes of `assets/search-index.js` (deterministic).
pub fn index_script(book: &Book) -> Vec<u8> {
    use rayon::prelude::*;
    let mut docs: Vec<Doc> = Vec::new();
    let mut terms: HashMap<String, Vec<u32>> = HashMap::default();
    for start in (0..book.chapters.len()).step_by(BATCH) {
        let end = (start + BATCH).min(book.chapters.len());
        let batch: Vec<Vec<IndexedSection>> = (start..end)
            .into_par_iter()
            .map(|c| index_chapter(book, c))
            .collect();
        for (doc, counts) in batch.into_iter().flatten() {
            let id = docs.len() as u32;
            for (term, tf) in counts {
                terms.entry(term).or_default().push(id * 4 + tf);
            }
            docs.push(doc);
        }
    }
    let mut terms: Vec<(String, Vec<u32>)> = terms.into_iter().collect();
    terms.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let index = Index {
        version: 1,
        chapters: book
            .chapters
            .iter()
            .map(|c| (c.slug.as_str(), c.title.as_str()))
            .collect(),
        docs,
        terms: SortedTerms(terms),
    };
    let mut script = b"window.studybookSearchIndex=".to_vec();
    serde_json::to_writer(&mut script, &index).expect("the index serialises");
    script.extend_from_slice(b";\n");
    script
}

/// The sections of chapter `c` with their terms and how often each occurs (1 once, 2 two or
/// three times, 3 more), terms in no particular order: each term's postings are in the order of
/// the sections whatever it is.
fn index_chapter(book: &Book, c: usize) -> Vec<IndexedSection> {
    let chapter = &book.chapters[c];
    // One table for every section of the chapter, emptied after each.
    let mut counts: HashMap<String, u32> = HashMap::default();
    sections(chapter)
        .into_iter()
        .map(|section| {
            let mut count = |term: &str| match counts.get_mut(term) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(term.to_string(), 1);
                }
            };
            let heading = if section.anchor.is_empty() {
                &chapter.title
            } else {
                &section.heading
            };
            for text in [heading, &section.prose, &section.code] {
                for_each_term(text, &mut count);
            }
            let counts: Vec<(String, u32)> = counts
                .drain()
                .map(|(term, n)| {
                    let tf = match n {
                        1 => 1,
                        2 | 3 => 2,
                        _ => 3,
                    };
                    (term, tf)
                })
                .collect();
            let excerpt = excerpt(&section);
            ((c, section.anchor, section.heading, excerpt), counts)
        })
        .collect()
}

/// The start of a section's text: its prose, then its code, at most `EXCERPT_CHARS` characters.
fn excerpt(section: &Section) -> String {
    let mut text = section.prose.clone();
    if !section.code.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&section.code);
    }
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => text[..end].trim_end().to_string(),
        None => text,
    }
}

/// The character as it is searched: full-width forms as ASCII, lower case (one character for one).
pub fn normalize_char(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if is_cjk(c) {
        // No case.
        return c;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Chinese, Japanese and Korean characters: searched by character bigrams.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{ac00}'..='\u{d7af}'
        | '\u{f900}'..='\u{faff}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Every term of `text`, with repeats: each Latin word (lower case) and, for a camelCase word,
/// each of its parts too; each pair of neighbouring CJK characters, or a lone one on its own.
pub fn for_each_term(text: &str, emit: &mut impl FnMut(&str)) {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\u{3000}' | '\u{ff01}'..='\u{ff5e}' => normalize_char(c),
            _ => c,
        })
        .collect();
    let mut term = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if is_cjk(c) {
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() == 1 {
                term.clear();
                term.push(normalize_char(run[0]));
                emit(&term);
            }
            for pair in run.windows(2) {
                term.clear();
                term.extend(pair.iter().map(|&c| normalize_char(c)));
                emit(&term);
            }
        } else if is_word_char(c) {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            let word = &chars[start..i];
            let parts = camel_parts(word);
            if parts.len() > 1 {
                for part in &parts {
                    emit_word(part, &mut term, emit);
                }
            }
            emit_word(word, &mut term, emit);
        } else {
            i += 1;
        }
    }
}

fn emit_word(word: &[char], term: &mut String, emit: &mut impl FnMut(&str)) {
    if word.len() >= MIN_WORD_CHARS {
        term.clear();
        term.extend(word.iter().map(|&c| normalize_char(c)));
        emit(term);
    }
}

/// `livenessProbe` → `liveness`, `Probe`; `HTTPGetAction` → `HTTP`, `Get`, `Action`.
fn camel_parts(word: &[char]) -> Vec<&[char]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 1..word.len() {
        let (prev, cur) = (word[i - 1], word[i]);
        let next_lower = word.get(i + 1).is_some_and(|c| c.is_lowercase());
        if (prev.is_lowercase() && cur.is_uppercase())
            || (prev.is_uppercase() && cur.is_uppercase() && next_lower)
        {
            parts.push(&word[start..i]);
            start = i;
        }
    }
    parts.push(&word[start..]);
    parts
}

/// The sections of a chapter's HTML, split at its `h1`–`h6` headings with an id.
pub fn sections(chapter: &Chapter) -> Vec<Section> {
    let html = chapter.html.as_str();
    let mut sections = vec![Section {
        anchor: String::new(),
        heading: String::new(),
        prose: String::new(),
        code: String::new(),
    }];
    let heading_text: HashMap<&str, &str> = chapter
        .headings
        .iter()
        .rev()
        .map(|h| (h.id.as_str(), h.text.as_str()))
        .collect();
    let mut pre_depth = 0usize;
    let mut pos = 0;
    while pos < html.len() {
        let rest = &html[pos..];
        if !rest.starts_with('<') {
            let end = memchr::memchr(b'<', rest.as_bytes()).unwrap_or(rest.len());
            let section = sections.last_mut().expect("one section at least");
            let text = if pre_depth > 0 {
                &mut section.code
            } else {
                &mut section.prose
            };
            crate::knowledge::html::push_unescaped(text, &rest[..end]);
            pos += end;
            continue;
        }
        if rest.starts_with("<!--") {
            pos += rest.find("-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        let Some(tag) = Tag::parse(rest) else {
            // A lone `<` is text.
            let section = sections.last_mut().expect("one section at least");
            section.prose.push('<');
            pos += 1;
            continue;
        };
        let after = pos + tag.len;
        let separate = |sections: &mut Vec<Section>, pre: bool| {
            let s = sections.last_mut().expect("one section at least");
            if pre { &mut s.code } else { &mut s.prose }.push('\n')
        };
        if tag.closing {
            if tag.name == "pre" {
                pre_depth = pre_depth.saturating_sub(1);
            }
            if is_block(&tag.name) {
                separate(&mut sections, pre_depth > 0);
            }
            pos = after;
            continue;
        }
        let level = heading_level(&tag.name);
        if let Some(id) = level.and_then(|_| tag.attr("id")) {
            let close = format!("</{}", tag.name);
            let inner_end = find_ci(&html[after..], &close).map_or(html.len(), |e| after + e);
            let text = heading_text
                .get(id.as_str())
                .map(|t| (*t).to_string())
                .unwrap_or_else(|| {
                    let text = strip_tags(&html[after..inner_end]);
                    text.trim().trim_end_matches('#').trim().to_string()
                });
            sections.push(Section {
                anchor: id,
                heading: collapse(&text),
                prose: String::new(),
                code: String::new(),
            });
            pos = html[inner_end..]
                .find('>')
                .map_or(html.len(), |e| inner_end + e + 1);
            continue;
        }
        if is_skipped(&tag) {
            pos = skip_element(html, after, &tag.name);
            continue;
        }
        if tag.name == "pre" {
            pre_depth += 1;
        }
        if is_block(&tag.name) {
            separate(&mut sections, pre_depth > 0);
        }
        pos = after;
    }
    for section in &mut sections {
        section.prose = collapse(&section.prose);
        section.code = collapse(&section.code);
    }
    sections
}

/// An HTML start or end tag at the start of `text`.
struct Tag<'a> {
    name: std::borrow::Cow<'a, str>,
    closing: bool,
    /// The tag's text, `<` to `>`.
    source: &'a str,
    len: usize,
}

impl<'a> Tag<'a> {
    fn parse(text: &'a str) -> Option<Tag<'a>> {
        let body = text.strip_prefix('<')?;
        let (closing, body) = match body.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, body),
        };
        let name_len = body
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(body.len());
        if name_len == 0 || !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        // The tag ends at its first `>` outside quotes, or with the text.
        let len =
            crate::render::site::tag_end(text.as_bytes(), 1).map_or(text.len(), |end| end + 1);
        let name = &body[..name_len];
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(name.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(name)
        };
        Some(Tag {
            name,
            closing,
            source: &text[..len],
            len,
        })
    }

    /// The decoded value of attribute `name`, quoted or not.
    fn attr(&self, name: &str) -> Option<String> {
        let s = self.source;
        let bytes = s.as_bytes();
        let mut from = 0;
        while let Some(found) = find_ci(&s[from..], name) {
            let at = from + found;
            from = at + name.len();
            let before_ok = at > 0 && bytes[at - 1].is_ascii_whitespace();
            let rest = s[from..].trim_start();
            if !before_ok || !rest.starts_with('=') {
                continue;
            }
            let value = rest[1..].trim_start();
            let raw = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
                _ => value
                    .split(|c: char| c.is_ascii_whitespace() || c == '>')
                    .next()
                    .unwrap_or(""),
            };
            return Some(decode_entities(raw));
        }
        None
    }
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "table"
            | "thead"
            | "tbody"
            | "tr"
            | "td"
            | "th"
            | "blockquote"
            | "pre"
            | "hr"
            | "section"
            | "article"
            | "figure"
            | "figcaption"
            | "details"
            | "summary"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

/// Elements whose text is not part of the notes: scripts, and the build's own remarks.
fn is_skipped(tag: &Tag<'_>) -> bool {
    matches!(
        tag.name.as_ref(),
        "script" | "style" | "template" | "button" | "aside"
    ) || (tag.source.contains("truncated-note")
        && tag
            .attr("class")
            .is_some_and(|c| c.split_whitespace().any(|c| c == "truncated-note")))
}

/// The position after the end tag closing the `name` element whose start tag ends at `from`.
fn skip_element(html: &str, from: usize, name: &str) -> usize {
    let mut depth = 1usize;
    let mut pos = from;
    while let Some(found) = html[pos..].find('<') {
        let at = pos + found;
        match Tag::parse(&html[at..]) {
            Some(tag) if tag.name == name => {
                if tag.closing {
                    depth -= 1;
                } else if !tag.source.ends_with("/>") {
                    depth += 1;
                }
                pos = at + tag.len;
                if depth == 0 {
                    return pos;
                }
            }
            Some(tag) => pos = at + tag.len,
            None => pos = at + 1,
        }
    }
    html.len()
}

/// Case-insensitive (ASCII) search.
fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// The text of an HTML fragment.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        rest = &rest[lt..];
        match Tag::parse(rest) {
            Some(tag) => rest = &rest[tag.len..],
            None => {
                out.push('<');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(&decode_entities(rest));
    out
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references decoded.
fn decode_entities(text: &str) -> String {
    crate::knowledge::html::unescape(text)
}

/// Runs of whitespace as one space, trimmed.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Heading;

    fn terms(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_term(text, &mut |t| out.push(t.to_string()));
        out
    }

    fn chapter(slug: &str, title: &str, html: &str, headings: &[(u8, &str, &str)]) -> Chapter {
        Chapter {
            slug: slug.into(),
            title: title.into(),
            date: None,
            tags: Vec::new(),
            categories: Vec::new(),
            source: format!("{slug}.md"),
            html: html.into(),
            headings: headings
                .iter()
                .map(|&(level, text, id)| Heading {
                    level,
                    text: text.into(),
                    id: id.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn chinese_text_becomes_bigrams() {
        assert_eq!(terms("存活探针"), ["存活", "活探", "探针"]);
        assert_eq!(terms("卷"), ["卷"]);
        assert_eq!(terms("污点，容忍"), ["污点", "容忍"]);
    }

    #[test]
    fn latin_words_are_lower_case_and_mixed_text_splits_by_script() {
        assert_eq!(terms("Pod 调度"), ["pod", "调度"]);
        assert_eq!(terms("用kubectl查看Pod"), ["用", "kubectl", "查看", "pod"]);
        assert_eq!(terms("a k8s 1 v1.25"), ["k8s", "v1", "25"]);
    }

    #[test]
    fn full_width_forms_are_half_width() {
        assert_eq!(terms("ＫＵＢＥＣＴＬ　ｇｅｔ"), ["kubectl", "get"]);
    }

    #[test]
    fn camel_case_identifiers_keep_the_whole_and_their_parts() {
        assert_eq!(
            terms("livenessProbe"),
            ["liveness", "probe", "livenessprobe"]
        );
        assert_eq!(
            terms("HTTPGetAction"),
            ["http", "get", "action", "httpgetaction"]
        );
        assert_eq!(terms("kube-apiserver"), ["kube", "apiserver"]);
    }

    #[test]
    fn chapters_split_into_sections_at_headings() {
        let html = "<p>开头的话 &amp; intro</p>\n\
            <h2 id=\"探针\">探针<a class=\"anchor\" href=\"#探针\" aria-hidden=\"true\">#</a></h2>\n\
            <p>存活探针检查容器。</p>\n\
            <pre class=\"hl\" data-lang=\"yaml\"><code><span class=\"hl-k\">livenessProbe</span>:\n  httpGet: {}</code></pre>\n\
            <aside class=\"schema-hints\" role=\"note\"><ul><li>line 1 hint</li></ul></aside>\n\
            <h3 id=\"sub\">Sub <code>x</code><a class=\"anchor\" href=\"#sub\">#</a></h3><ul><li>one</li><li>two</li></ul>";
        let c = chapter(
            "c",
            "标题",
            html,
            &[(2, "探针", "探针"), (3, "Sub x", "sub")],
        );
        let s = sections(&c);
        let got: Vec<(&str, &str, &str, &str)> = s
            .iter()
            .map(|s| {
                (
                    s.anchor.as_str(),
                    s.heading.as_str(),
                    s.prose.as_str(),
                    s.code.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("", "", "开头的话 & intro", ""),
                (
                    "探针",
                    "探针",
                    "存活探针检查容器。",
                    "livenessProbe: httpGet: {}"
                ),
                ("sub", "Sub x", "one two", ""),
            ]
        );
    }

    #[test]
    fn the_index_finds_sections_by_their_terms() {
        let book = Book {
            title: "书".into(),
            chapters: vec![
                chapter(
                    "pods",
                    "Pod 基础",
                    "<p>Pod 是最小的调度单位。</p><h2 id=\"probe\">探针</h2><p>存活探针 livenessProbe</p>",
                    &[(2, "探针", "probe")],
                ),
                chapter(
                    "storage",
                    "存储",
                    "<h2 id=\"pv\">持久卷</h2><p>PersistentVolume</p>",
                    &[(2, "持久卷", "pv")],
                ),
            ],
            knowledge: Default::default(),
        };
        let script = String::from_utf8(index_script(&book)).unwrap();
        let json = script
            .strip_prefix("window.studybookSearchIndex=")
            .and_then(|s| s.strip_suffix(";\n"))
            .unwrap();
        let index: serde_json::Value = serde_json::from_str(json).unwrap();
        let docs = index["docs"].as_array().unwrap();
        let anchors_for = |term: &str| -> Vec<String> {
            index["terms"][term]
                .as_array()
                .unwrap_or_else(|| panic!("no term {term}"))
                .iter()
                .map(|p| {
                    let doc = &docs[(p.as_u64().unwrap() / 4) as usize];
                    format!("{}#{}", doc[0], doc[1].as_str().unwrap())
                })
                .collect()
        };
        assert_eq!(anchors_for("探针"), ["0#probe"]);
        assert_eq!(anchors_for("livenessprobe"), ["0#probe"]);
        assert_eq!(anchors_for("probe"), ["0#probe"]);
        assert_eq!(anchors_for("持久"), ["1#pv"]);
        assert_eq!(anchors_for("pod"), ["0#"]);
        assert_eq!(anchors_for("persistentvolume"), ["1#pv"]);
        assert_eq!(index["chapters"][1], serde_json::json!(["storage", "存储"]));
        assert_eq!(docs[1][2], "探针");
        assert_eq!(docs[1][3], "存活探针 livenessProbe");
        // The same book gives the same bytes.
        assert_eq!(index_script(&book), script.into_bytes());
    }

    #[test]
    fn excerpts_are_capped_and_put_prose_first() {
        let section = Section {
            anchor: "a".into(),
            heading: "h".into(),
            prose: "说明".repeat(EXCERPT_CHARS),
            code: "kubectl get pods".into(),
        };
        assert_eq!(excerpt(&section).chars().count(), EXCERPT_CHARS);
        let short = Section {
            prose: "说明".into(),
            ..section
        };
        assert_eq!(excerpt(&short), "说明 kubectl get pods");
    }

    #[test]
    fn entities_and_attributes_are_decoded() {
        assert_eq!(
            decode_entities("a&lt;b&gt; &#x4e2d;&#25991; &bogus; &"),
            "a<b> 中文 &bogus; &"
        );
        let tag = Tag::parse("<h2 class='x' id=a&amp;b>").unwrap();
        assert_eq!(tag.attr("id").as_deref(), Some("a&b"));
        assert_eq!(tag.attr("class").as_deref(), Some("x"));
    }
}
