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

/// The sections of a chapter: each one's entry and its terms, as indexes into the chapter's
/// terms, with their frequency class.
struct IndexedChapter {
    terms: Vec<Term>,
    sections: Vec<(Doc, Vec<(u32, u32)>)>,
}

/// A term of a chapter: CJK terms by their number (see [`Terms::cjk`]), which spells them.
enum Term {
    Cjk(u64),
    Word(String),
}

/// The CJK term whose number is `key`: one character, or a pair.
fn cjk_term(key: u64) -> String {
    let char_of = |n: u64| char::from_u32(n as u32).unwrap_or(char::REPLACEMENT_CHARACTER);
    if key >> 42 == 1 {
        [char_of(key >> 21 & 0x1f_ffff), char_of(key & 0x1f_ffff)]
            .into_iter()
            .collect()
    } else {
        char_of(key).to_string()
    }
}

/// Chapters indexed in parallel per batch (their terms are merged in order after each batch).
const BATCH: usize = 64;

/// The index of `book` as the bytes of `assets/search-index.js` (deterministic).
pub fn index_script(book: &Book) -> Vec<u8> {
    use rayon::prelude::*;
    let mut docs: Vec<Doc> = Vec::new();
    // Each term's place in `postings`.
    let mut word_ids: HashMap<String, usize> = HashMap::default();
    let mut cjk_ids: HashMap<u64, usize> = HashMap::default();
    let mut postings: Vec<Vec<u32>> = Vec::new();
    let mut global: Vec<usize> = Vec::new();
    for start in (0..book.chapters.len()).step_by(BATCH) {
        let end = (start + BATCH).min(book.chapters.len());
        let batch: Vec<IndexedChapter> = (start..end)
            .into_par_iter()
            .map(|c| index_chapter(book, c))
            .collect();
        for chapter in batch {
            global.clear();
            global.extend(chapter.terms.into_iter().map(|term| {
                let next = postings.len();
                let id = match term {
                    Term::Cjk(key) => cjk_ids.entry(key).or_insert(next),
                    Term::Word(word) => word_ids.entry(word).or_insert(next),
                };
                if *id == next {
                    postings.push(Vec::new());
                }
                *id
            }));
            for (doc, counts) in chapter.sections {
                let id = docs.len() as u32;
                for (term, tf) in counts {
                    postings[global[term as usize]].push(id * 4 + tf);
                }
                docs.push(doc);
            }
        }
    }
    let mut terms: Vec<(String, usize)> = word_ids.into_iter().collect();
    terms.extend(cjk_ids.into_iter().map(|(key, i)| (cjk_term(key), i)));
    let mut terms: Vec<(String, Vec<u32>)> = terms
        .into_iter()
        .map(|(term, i)| (term, std::mem::take(&mut postings[i])))
        .collect();
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
    // Room for the whole index: each term, each posting (its digits and a comma) and each
    // document's texts, with their quotes and separators.
    let digits = |n: u32| n.checked_ilog10().unwrap_or(0) as usize + 2;
    let size = index
        .terms
        .0
        .iter()
        .map(|(term, postings)| term.len() + 6 + postings.iter().map(|&p| digits(p)).sum::<usize>())
        .chain(
            index
                .docs
                .iter()
                .map(|(_, a, h, e)| a.len() + h.len() + e.len() + 32),
        )
        .chain(index.chapters.iter().map(|(s, t)| s.len() + t.len() + 8))
        .sum::<usize>();
    let mut script = Vec::with_capacity(size + 64);
    script.extend_from_slice(b"window.studybookSearchIndex=");
    serde_json::to_writer(&mut script, &index).expect("the index serialises");
    script.extend_from_slice(b";\n");
    script
}

/// The sections of chapter `c` with their terms and how often each occurs (1 once, 2 two or
/// three times, 3 more), terms in no particular order: each term's postings are in the order of
/// the sections whatever it is.
fn index_chapter(book: &Book, c: usize) -> IndexedChapter {
    let chapter = &book.chapters[c];
    let mut counter = Counter::default();
    let sections = sections(chapter)
        .into_iter()
        .map(|section| {
            let heading = if section.anchor.is_empty() {
                &chapter.title
            } else {
                &section.heading
            };
            for text in [heading, &section.prose, &section.code] {
                for_each_term_in(text, &mut counter);
            }
            let Counter { counts, seen, .. } = &mut counter;
            let found: Vec<(u32, u32)> = seen
                .drain(..)
                .map(|id| {
                    let n = std::mem::take(&mut counts[id as usize]);
                    let tf = match n {
                        1 => 1,
                        2 | 3 => 2,
                        _ => 3,
                    };
                    (id, tf)
                })
                .collect();
            let excerpt = excerpt(&section);
            ((c, section.anchor, section.heading, excerpt), found)
        })
        .collect();
    IndexedChapter {
        terms: counter.terms,
        sections,
    }
}

/// The terms of a chapter, and how often each occurs in the section being read.
#[derive(Default)]
struct Counter {
    /// Every term met in the chapter.
    terms: Vec<Term>,
    /// Index in `terms` of each CJK term by its number, and of each word.
    by_key: HashMap<u64, u32>,
    by_word: HashMap<String, u32>,
    /// Occurrences of each term in the current section, and the terms it has.
    counts: Vec<u32>,
    seen: Vec<u32>,
}

impl Counter {
    fn add(&mut self, term: Term) -> u32 {
        let id = self.terms.len() as u32;
        self.terms.push(term);
        self.counts.push(0);
        id
    }

    fn count(&mut self, id: u32) {
        let n = &mut self.counts[id as usize];
        if *n == 0 {
            self.seen.push(id);
        }
        *n += 1;
    }
}

impl Terms for Counter {
    fn cjk(&mut self, key: u64, _: &str) {
        let next = self.terms.len() as u32;
        let id = *self.by_key.entry(key).or_insert(next);
        if id == next {
            self.add(Term::Cjk(key));
        }
        self.count(id);
    }

    fn word(&mut self, term: &str) {
        let id = match self.by_word.get(term) {
            Some(&id) => id,
            None => {
                let id = self.add(Term::Word(term.to_string()));
                self.by_word.insert(term.to_string(), id);
                id
            }
        };
        self.count(id);
    }
}

/// The start of a section's text: its prose, then its code, at most `EXCERPT_CHARS` characters.
fn excerpt(section: &Section) -> String {
    let between = if section.prose.is_empty() || section.code.is_empty() {
        ""
    } else {
        " "
    };
    // One character more than is kept tells whether the text goes on.
    let limit = EXCERPT_CHARS + 1;
    let mut text = String::new();
    let mut count = 0;
    for part in [section.prose.as_str(), between, section.code.as_str()] {
        let mut end = part.len();
        for (i, _) in part.char_indices() {
            if count == limit {
                end = i;
                break;
            }
            count += 1;
        }
        text.push_str(&part[..end]);
        if count == limit {
            break;
        }
    }
    if count > EXCERPT_CHARS {
        text.pop();
        text.truncate(text.trim_end().len());
    }
    text
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
    struct Each<F>(F);
    impl<F: FnMut(&str)> Terms for Each<F> {
        fn cjk(&mut self, _: u64, term: &str) {
            (self.0)(term)
        }
        fn word(&mut self, term: &str) {
            (self.0)(term)
        }
    }
    for_each_term_in(text, &mut Each(emit));
}

/// What receives the terms of a text.
trait Terms {
    /// A CJK term, with a number that tells it apart from every other (one character, or a pair).
    fn cjk(&mut self, key: u64, term: &str);
    /// A Latin word, lower case.
    fn word(&mut self, term: &str);
}

/// The terms of [`for_each_term`], given to `terms`.
fn for_each_term_in(text: &str, terms: &mut impl Terms) {
    // Full-width forms are read as their ASCII counterparts.
    let read = |c: char| match c {
        '\u{3000}' | '\u{ff01}'..='\u{ff5e}' => normalize_char(c),
        _ => c,
    };
    let mut word: Vec<char> = Vec::new();
    let mut term = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let c = read(c);
        if is_cjk(c) {
            // CJK characters have no case nor full-width forms: the terms are slices of `text`.
            let mut prev = c as u64;
            let mut from = start;
            let mut alone = true;
            while let Some(&(at, next)) = chars.peek() {
                if !is_cjk(next) {
                    break;
                }
                chars.next();
                let end = at + next.len_utf8();
                terms.cjk(1 << 42 | prev << 21 | next as u64, &text[from..end]);
                (from, prev, alone) = (at, next as u64, false);
            }
            if alone {
                terms.cjk(prev, &text[start..start + c.len_utf8()]);
            }
        } else if is_word_char(c) {
            word.clear();
            // A word of ASCII letters and digits, as most are, is read as bytes.
            let bytes = text.as_bytes();
            let ascii_end = start
                + bytes[start..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
            let end = if ascii_end > start
                && !text[ascii_end..]
                    .chars()
                    .next()
                    .is_some_and(|next| is_word_char(read(next)))
            {
                for _ in start + 1..ascii_end {
                    chars.next();
                }
                word.extend(text[start..ascii_end].chars());
                ascii_end
            } else {
                word.push(c);
                let mut end = start + c.len_utf8();
                while let Some(&(at, raw)) = chars.peek() {
                    let next = read(raw);
                    if !is_word_char(next) {
                        break;
                    }
                    chars.next();
                    word.push(next);
                    end = at + raw.len_utf8();
                }
                end
            };
            // Only a capital after the first letter starts a part.
            if word[1..].iter().any(|c| c.is_uppercase()) {
                let parts = camel_parts(&word);
                if parts.len() > 1 {
                    for part in &parts {
                        emit_word(part, &mut term, &mut |t| terms.word(t));
                    }
                }
            }
            let written = &text[start..end];
            if word.len() >= MIN_WORD_CHARS
                && written
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                // Already as it is searched.
                terms.word(written);
            } else {
                emit_word(&word, &mut term, &mut |t| terms.word(t));
            }
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
        if !cur.is_uppercase() {
            continue;
        }
        let next_lower = word.get(i + 1).is_some_and(|c| c.is_lowercase());
        if prev.is_lowercase() || (prev.is_uppercase() && next_lower) {
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
            // A highlighted block (text in spans) is read in one go, up to its end tag.
            if let Some(len) = (pre_depth == 1 && !tag.source.ends_with("/>"))
                .then(|| plain_code_len(&html[after..]))
                .flatten()
            {
                let code = &mut sections.last_mut().expect("one section at least").code;
                code.push('\n');
                push_code_text(code, &html[after..after + len]);
                pos = after + len;
                continue;
            }
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

/// The length of the content of a `<pre>` element starting `html` when it holds only text,
/// `<span>` and `<code>` elements, as highlighted code does: up to its end tag. `None` for
/// anything else, or when the element does not end.
fn plain_code_len(html: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[from..]) {
        let at = from + off;
        let rest = &bytes[at..];
        let named = |name: &[u8]| {
            rest.len() > name.len()
                && &rest[..name.len()] == name
                && !rest[name.len()].is_ascii_alphanumeric()
        };
        if named(b"</pre") {
            return Some(at);
        }
        if !(named(b"<span") || named(b"</span") || named(b"<code") || named(b"</code")) {
            return None;
        }
        from = at + crate::render::site::tag_end(rest, 1)? + 1;
    }
    None
}

/// The text of some highlighted code (see [`plain_code_len`]): its tags left out, its entities
/// decoded.
fn push_code_text(out: &mut String, code: &str) {
    let bytes = code.as_bytes();
    let mut pos = 0;
    while pos < code.len() {
        let Some(off) = memchr::memchr(b'<', &bytes[pos..]) else {
            crate::knowledge::html::push_unescaped(out, &code[pos..]);
            return;
        };
        crate::knowledge::html::push_unescaped(out, &code[pos..pos + off]);
        let at = pos + off;
        pos = crate::render::site::tag_end(bytes, at + 1).map_or(code.len(), |end| end + 1);
    }
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
            .bytes()
            .position(|b| !b.is_ascii_alphanumeric())
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
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // The start of the word being read, and where the last white space ended.
    let mut word = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Most bytes start no white space: they are passed over in a tight loop.
        while i < bytes.len() && !MAY_START_SPACE[usize::from(bytes[i])] {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let space = match bytes[i] {
            b' ' | b'\t'..=b'\r' => 1,
            // The other white space of Unicode: U+0085, U+00A0, U+1680, U+2000 to U+200A,
            // U+2028, U+2029, U+202F, U+205F and U+3000. Every other byte is read as it is.
            _ => white_space_len(&bytes[i..]),
        };
        if space == 0 {
            i += 1;
            continue;
        }
        if i > word {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&text[word..i]);
        }
        i += space;
        word = i;
    }
    if bytes.len() > word {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&text[word..]);
    }
    out
}

/// The bytes that may start white space in [`collapse`]: ASCII white space, and the first byte
/// of the other white space characters of Unicode.
static MAY_START_SPACE: [bool; 256] = {
    let mut table = [false; 256];
    let starts = [
        b' ', b'\t', b'\n', 0x0B, 0x0C, b'\r', 0xC2, 0xE1, 0xE2, 0xE3,
    ];
    let mut i = 0;
    while i < starts.len() {
        table[starts[i] as usize] = true;
        i += 1;
    }
    table
};

/// The length of the non-ASCII white space character `bytes` starts with, or 0.
fn white_space_len(bytes: &[u8]) -> usize {
    match bytes {
        [0xC2, 0x85 | 0xA0, ..] => 2,
        [0xE1, 0x9A, 0x80, ..]
        | [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..]
        | [0xE2, 0x81, 0x9F, ..]
        | [0xE3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Heading;

    #[test]
    fn white_space_collapses_as_unicode_has_it() {
        let reference = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        // Every white space character is below U+3001; the others stand for the rest.
        let others = [0xfeff, 0xffef, 0x1_0000, 0x1_f600, 0x10_ffff];
        for c in (0..=0x3100).chain(others).filter_map(char::from_u32) {
            for text in [format!("a{c}b"), format!("{c}x {c}{c}"), c.to_string()] {
                assert_eq!(collapse(&text), reference(&text), "{c:?}");
            }
        }
        for text in [
            "",
            "  ",
            " a\u{3000}\u{3000}b\n\tc  ",
            "中文\u{a0}字 x\u{2029}",
        ] {
            assert_eq!(collapse(text), reference(text), "{text:?}");
        }
    }

    fn terms(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_term(text, &mut |t| out.push(t.to_string()));
        out
    }

    #[test]
    fn words_are_read_alike_whatever_their_letters() {
        let expected: [(&str, &[&str]); 6] = [
            ("HTTPGetAction", &["http", "get", "action", "httpgetaction"]),
            // Full-width letters are read lower case.
            ("kubectl\u{ff21}pply", &["kubectlapply"]),
            ("Pod名称", &["pod", "名称"]),
            ("café x a1", &["café", "a1"]),
            ("ABC-def", &["abc", "def"]),
            ("v1.2 Ingress", &["v1", "ingress"]),
        ];
        for (text, want) in expected {
            assert_eq!(terms(text), want, "{text}");
        }
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
            term_definitions: String::new(),
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

    /// [`excerpt`] as it reads: the characters of prose, a space and code, at most
    /// `EXCERPT_CHARS` of them, trimmed at the end when cut.
    fn excerpt_by_chars(section: &Section) -> String {
        let between = if section.prose.is_empty() || section.code.is_empty() {
            ""
        } else {
            " "
        };
        let mut text: String = section
            .prose
            .chars()
            .chain(between.chars())
            .chain(section.code.chars())
            .take(EXCERPT_CHARS + 1)
            .collect();
        if text.chars().count() > EXCERPT_CHARS {
            text.pop();
            text.truncate(text.trim_end().len());
        }
        text
    }

    proptest::proptest! {
        #[test]
        fn excerpts_are_cut_as_by_characters(
            prose in "[a 说明é]{0,130}",
            code in "[x 中]{0,130}",
        ) {
            let section = Section {
                anchor: String::new(),
                heading: String::new(),
                prose,
                code,
            };
            proptest::prop_assert_eq!(excerpt(&section), excerpt_by_chars(&section));
        }
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
    fn code_is_read_alike_highlighted_or_not() {
        let highlighted = "<p>看</p><pre class=\"hl\" data-lang=\"bash\"><code><span class=\"hl-k\" title=\"a>b\">echo</span> &quot;a&lt;b&quot;\n<span>ls</span></code></pre><p>完</p>";
        let plain =
            "<p>看</p><pre><code><b>echo</b> &quot;a&lt;b&quot;\n<i>ls</i></code></pre><p>完</p>";
        for html in [highlighted, plain] {
            let s = sections(&chapter("c", "C", html, &[]));
            assert_eq!(s[0].code, "echo \"a<b\" ls", "{html}");
            assert_eq!(s[0].prose, "看 完", "{html}");
        }
        // Unclosed, or with a block inside: read tag by tag.
        let s = sections(&chapter("c", "C", "<pre><code>a<span>b", &[]));
        assert_eq!(s[0].code, "ab");
        assert_eq!(plain_code_len("<code>a</code><div>b</div></pre>"), None);
        assert_eq!(plain_code_len("<code>a</code></pre>"), Some(14));
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
