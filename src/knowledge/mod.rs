//! Knowledge built from the whole book: the glossary, the glossary links and "related" notes in
//! chapters, the comparison tables and the review questions (pure: Book in, pages' data out).

pub mod compare;
pub mod glossary;
pub mod html;
pub mod matcher;
pub mod review;

use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::Book;
use glossary::{Entry, UserEntry};
use html::{Token, escape, unescape};
use matcher::Matcher;

/// A section of the book: chapter index and section index within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SectionRef {
    pub chapter: usize,
    pub section: usize,
}

/// A section's text, for finding terms.
#[derive(Debug, Clone)]
pub struct SectionText {
    pub section: html::Section,
    pub heading: String,
    /// Prose without code.
    pub prose: String,
    /// Prose with inline code.
    pub prose_with_code: String,
    /// Where the inline code is: see [`html::prose_and_gaps`].
    pub code_gaps: Vec<(usize, isize)>,
    /// Text of code blocks.
    pub code: String,
    /// Bold phrases and the text right after each.
    pub bold: Vec<(String, String)>,
    /// The tables of the section's HTML after its heading.
    pub tables: Vec<compare::Table>,
}

/// The text of every section of the book.
pub struct Corpus {
    pub chapters: Vec<Vec<SectionText>>,
}

impl Corpus {
    pub fn of(book: &Book) -> Corpus {
        use rayon::prelude::*;
        let chapters = book
            .chapters
            .par_iter()
            .map(|c| {
                // The chapter is read into tokens once: each section's body is read from its own.
                let (tokens, sections) = html::sections_and_tokens(&c.html);
                sections
                    .into_iter()
                    .map(|(s, body_tokens)| {
                        let body = &c.html[s.body_range.0..s.body_range.1];
                        let body_tokens = &tokens[body_tokens];
                        let (prose, prose_with_code, code_gaps, code) =
                            html::prose_gaps_and_code_of(body, body_tokens.iter().map(|&(_, t)| t));
                        SectionText {
                            heading: s.heading.clone(),
                            prose,
                            prose_with_code,
                            code_gaps,
                            code,
                            bold: bold_phrases(body, body_tokens),
                            tables: compare::tables(body),
                            section: s,
                        }
                    })
                    .collect()
            })
            .collect();
        Corpus { chapters }
    }

    pub fn sections(&self) -> impl Iterator<Item = (SectionRef, &SectionText)> {
        self.chapters.iter().enumerate().flat_map(|(c, sections)| {
            sections.iter().enumerate().map(move |(s, text)| {
                (
                    SectionRef {
                        chapter: c,
                        section: s,
                    },
                    text,
                )
            })
        })
    }

    pub fn section(&self, at: SectionRef) -> &SectionText {
        &self.chapters[at.chapter][at.section]
    }
}

/// Bold phrases of some HTML and the first characters after each.
/// `toks` are the body's tokens ([`html::token_iter_pre_as_text`]: code blocks are not read, bold
/// there is not the author's emphasis).
fn bold_phrases(body: &str, toks: &[(usize, Token<'_>)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if memchr::memmem::find(body.as_bytes(), b"<strong").is_none() {
        return out;
    }
    let mut k = 0;
    while k < toks.len() {
        if let Token::Tag {
            name: "strong",
            closing: false,
            ..
        } = toks[k].1
        {
            let mut text = String::new();
            let mut j = k + 1;
            while j < toks.len() {
                match toks[j].1 {
                    Token::Tag {
                        name: "strong",
                        closing: true,
                        ..
                    } => break,
                    Token::Text(t) => text.push_str(&unescape(t)),
                    _ => {}
                }
                j += 1;
            }
            let after = match toks.get(j + 1) {
                Some((_, Token::Text(t))) => unescape(t).trim_start().chars().take(4).collect(),
                _ => String::new(),
            };
            out.push((text.trim().to_string(), after));
            k = j;
        }
        k += 1;
    }
    out
}

/// Where a section is, for links from any page at the output's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// `chapters/<slug>.html#<id>` (no `#` for a chapter's top).
    pub href: String,
    pub chapter_title: String,
    /// The section's heading; empty for the chapter's top.
    pub section_title: String,
}

/// Everything the knowledge stage adds to the book.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Knowledge {
    pub glossary: Vec<GlossaryEntry>,
    /// Index letters in use, in order.
    pub letters: Vec<String>,
    pub comparisons: Vec<compare::Comparison>,
    pub review: Vec<review::Question>,
    /// Glossary links placed in chapters.
    pub link_count: usize,
    /// Entries found by each rule.
    pub rule_counts: BTreeMap<String, usize>,
}

/// A glossary entry ready for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlossaryEntry {
    pub id: String,
    pub term: String,
    pub aliases: Vec<String>,
    pub definition: String,
    pub letter: String,
    /// Whether this is the first entry under its letter (the glossary is in letter order), so
    /// a page can start the letter's group in one pass over the entries.
    pub first_of_letter: bool,
    pub explained_in: Vec<Place>,
    /// The first sections that mention the term.
    pub mentioned_in: Vec<Place>,
    /// How many more sections mention it.
    pub more_mentions: usize,
}

/// A term found in more chapters than this does not tell which chapters are related (and
/// counting it would make related chapters cost the square of the book's size).
const RELATED_BY_MAX: usize = 64;

/// "Referenced from" links gathered per section (at most six are shown).
const REFERRERS_KEPT: usize = 24;

/// Sections listed under "mentioned in" on the glossary page; the rest are counted.
const MENTIONS_SHOWN: usize = 24;

/// Interface words of the knowledge pages and notes.
pub struct Words {
    pub related: &'static str,
    pub shared_terms: &'static str,
    pub referenced_from: &'static str,
}

impl Words {
    pub fn for_language(lang: &str) -> Words {
        if lang.starts_with("zh") {
            Words {
                related: "相关章节",
                shared_terms: "共同术语",
                referenced_from: "其他章节提到这里的概念",
            }
        } else {
            Words {
                related: "Related chapters",
                shared_terms: "shared terms",
                referenced_from: "Referenced from",
            }
        }
    }
}

/// Build the knowledge of `book`, and its chapters' HTML (in order) with glossary links, related
/// chapters and "referenced from" notes added.
///
/// `finish` is applied to each chapter's linked HTML as soon as it is made (to make it compact),
/// so that the book never holds every chapter linked and not finished at once.
pub fn build(
    book: &Book,
    user: &[UserEntry],
    lang: &str,
    finish: &(dyn Fn(String) -> String + Sync),
) -> (Knowledge, Vec<Linked>, Linker) {
    let corpus = crate::timed("knowledge: corpus", || Corpus::of(book));
    let entries = crate::timed("knowledge: glossary", || glossary::build(&corpus, user));
    let chapters: Vec<(String, String)> = book
        .chapters
        .iter()
        .map(|c| (c.slug.clone(), c.title.clone()))
        .collect();
    let place = |at: SectionRef| -> Place {
        let (slug, title) = &chapters[at.chapter];
        let section = &corpus.section(at).section;
        Place {
            href: if section.id.is_empty() {
                format!("chapters/{slug}.html")
            } else {
                format!("chapters/{slug}.html#{}", section.id)
            },
            chapter_title: title.clone(),
            section_title: section.heading.clone(),
        }
    };
    // The glossary's pages, comparisons and review questions are made while the chapters are
    // linked.
    let ((glossary, comparisons, review), (linker, linked)) = rayon::join(
        || {
            use rayon::prelude::*;
            let glossary: Vec<GlossaryEntry> = entries
                .par_iter()
                .enumerate()
                .map(|(i, e)| GlossaryEntry {
                    id: e.id.clone(),
                    term: e.term.clone(),
                    aliases: e.aliases.clone(),
                    definition: e.definition.clone(),
                    letter: e.letter.clone(),
                    first_of_letter: i == 0 || entries[i - 1].letter != e.letter,
                    explained_in: e.explained_in.iter().map(|&r| place(r)).collect(),
                    mentioned_in: e
                        .mentioned_in
                        .iter()
                        .take(MENTIONS_SHOWN)
                        .map(|&r| place(r))
                        .collect(),
                    more_mentions: e.mentioned_in.len().saturating_sub(MENTIONS_SHOWN),
                })
                .collect();
            let comparisons = crate::timed("knowledge: comparisons", || {
                compare::gather(book, &corpus, &entries, &place)
            });
            (glossary, comparisons, review::gather(book, &corpus, &place))
        },
        || {
            let linker = Linker::new(
                &corpus,
                &entries,
                chapters.clone(),
                Words::for_language(lang),
            );
            let linked: Vec<Linked> = crate::timed("knowledge: links", || {
                use rayon::prelude::*;
                book.chapters
                    .par_iter()
                    .enumerate()
                    .map(|(ci, c)| {
                        // The sections were found when the corpus was read.
                        let sections = corpus.chapters[ci].iter().map(|s| &s.section);
                        let mut linked = linker.link_sections(ci, &c.html, sections);
                        linked.html = finish(std::mem::take(&mut linked.html));
                        linked
                    })
                    .collect()
            });
            (linker, linked)
        },
    );
    let link_count = linked.iter().map(|l| l.links).sum();

    let mut rule_counts = BTreeMap::new();
    for e in &entries {
        for r in &e.rules {
            *rule_counts.entry((*r).to_string()).or_insert(0) += 1;
        }
    }
    let mut letters: Vec<String> = glossary.iter().map(|e| e.letter.clone()).collect();
    letters.dedup();
    let knowledge = Knowledge {
        glossary,
        letters,
        comparisons,
        review,
        link_count,
        rule_counts,
    };
    // The corpus of a big book takes a while to free: every core frees a part.
    {
        use rayon::prelude::*;
        corpus.chapters.into_par_iter().for_each(drop);
    }
    (knowledge, linked, linker)
}

/// A chapter linked to the glossary.
pub struct Linked {
    pub html: String,
    /// Links placed.
    pub links: usize,
    /// The definitions of the terms linked, by entry id: a JSON object, empty for none.
    pub definitions: String,
}

/// Elements whose text is never linked.
fn is_unlinked(name: &str) -> bool {
    matches!(
        name,
        "pre" | "code" | "a" | "aside" | "script" | "style" | "button" | "summary"
    ) || html::heading_level(name).is_some()
}

/// What linking a chapter needs to know of the whole book: the glossary's names, the sections
/// that define each term, who mentions each section, and the terms of every chapter. Kept after a
/// build, it links a chapter that changed without gathering the knowledge again.
pub struct Linker {
    matcher: Matcher,
    entries: Vec<Entry>,
    /// The opening `<a>` tag of a link to each entry.
    link_tags: Vec<String>,
    /// Sections that explain a term, and (the first few) sections of other chapters that mention it.
    referrers: HashMap<SectionRef, BTreeSet<SectionRef>>,
    /// Terms of each chapter, for related chapters, without the terms found in most chapters.
    chapter_terms: Vec<BTreeSet<usize>>,
    term_chapters: Vec<Vec<usize>>,
    /// Terms whose definition is quoted from a section: not linked there.
    defined_in: HashMap<SectionRef, Vec<usize>>,
    /// (id, heading) of every section, for "referenced from" links.
    sections: Vec<Vec<(String, String)>>,
    /// (slug, title) of every chapter.
    titles: Vec<(String, String)>,
    words: Words,
}

impl Linker {
    fn new(
        corpus: &Corpus,
        entries: &[Entry],
        titles: Vec<(String, String)>,
        words: Words,
    ) -> Linker {
        let matcher = Matcher::new(entries.iter().enumerate().flat_map(|(i, e)| {
            e.names()
                .map(move |n| (n.to_string(), i))
                .collect::<Vec<_>>()
        }));
        let mut referrers: HashMap<SectionRef, BTreeSet<SectionRef>> = HashMap::default();
        for e in entries {
            for &home in &e.explained_in {
                let from = referrers.entry(home).or_default();
                for &other in e.mentioned_in.iter().chain(&e.explained_in) {
                    if from.len() >= REFERRERS_KEPT {
                        break;
                    }
                    if other.chapter != home.chapter {
                        from.insert(other);
                    }
                }
            }
        }
        // Terms found in most chapters say nothing about which chapters belong together.
        let chapters = titles.len();
        let mut chapter_terms: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); chapters];
        for (i, e) in entries.iter().enumerate() {
            let found_in: BTreeSet<usize> = e
                .explained_in
                .iter()
                .chain(&e.mentioned_in)
                .map(|r| r.chapter)
                .collect();
            if chapters > 10 && (found_in.len() * 5 > chapters || found_in.len() > RELATED_BY_MAX) {
                continue;
            }
            for c in found_in {
                chapter_terms[c].insert(i);
            }
        }
        let mut term_chapters: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
        for (c, terms) in chapter_terms.iter().enumerate() {
            for &t in terms {
                term_chapters[t].push(c);
            }
        }
        let mut defined_in: HashMap<SectionRef, Vec<usize>> = HashMap::default();
        for (i, e) in entries.iter().enumerate() {
            if let Some(at) = e.defined_at {
                defined_in.entry(at).or_default().push(i);
            }
        }
        let sections = corpus
            .chapters
            .iter()
            .map(|c| {
                c.iter()
                    .map(|s| (s.section.id.clone(), s.section.heading.clone()))
                    .collect()
            })
            .collect();
        let link_tags = entries
            .iter()
            .map(|e| {
                format!(
                    "<a class=\"term\" href=\"../glossary.html#{}\">",
                    escape(&e.id)
                )
            })
            .collect();
        Linker {
            matcher,
            entries: entries.to_vec(),
            link_tags,
            referrers,
            chapter_terms,
            term_chapters,
            defined_in,
            sections,
            titles,
            words,
        }
    }

    /// Chapter `ci`'s HTML with the first mention of each term in every section linked to its
    /// glossary entry, "referenced from" notes after the sections others mention, and its related
    /// chapters at the end; the number of links placed and the definitions of the terms linked.
    pub fn link(&self, ci: usize, html: &str) -> Linked {
        self.link_sections(ci, html, html::sections(html).iter())
    }

    /// [`Linker::link`] given the sections of `html`.
    fn link_sections<'s>(
        &self,
        ci: usize,
        html: &str,
        sections: impl Iterator<Item = &'s html::Section>,
    ) -> Linked {
        let mut out = String::with_capacity(html.len() * 5 / 4);
        let mut count = 0;
        let mut linked_entries = Vec::new();
        for (si, s) in sections.enumerate() {
            let at = SectionRef {
                chapter: ci,
                section: si,
            };
            out.push_str(&html[s.heading_range.0..s.heading_range.1]);
            let body = &html[s.body_range.0..s.body_range.1];
            let skip: &[usize] = self.defined_in.get(&at).map_or(&[], Vec::as_slice);
            let (linked, n) = link_section(
                body,
                &self.matcher,
                &self.link_tags,
                skip,
                &mut linked_entries,
            );
            count += n;
            out.push_str(&linked);
            if let Some(from) = self.referrers.get(&at) {
                out.push_str(&self.referenced_from(from));
            }
        }
        if ci < self.chapter_terms.len() {
            out.push_str(&related_chapters(
                ci,
                &self.chapter_terms,
                &self.term_chapters,
                &self.entries,
                &self.titles,
                &self.words,
            ));
        }
        linked_entries.sort_unstable();
        linked_entries.dedup();
        Linked {
            html: out,
            links: count,
            definitions: self.definitions(&linked_entries),
        }
    }

    /// The definitions of `entries` as a JSON object by entry id, safe inside a `<script>`
    /// element; empty for no entries.
    fn definitions(&self, entries: &[usize]) -> String {
        if entries.is_empty() {
            return String::new();
        }
        let map: BTreeMap<&str, &str> = entries
            .iter()
            .map(|&e| {
                (
                    self.entries[e].id.as_str(),
                    self.entries[e].definition.as_str(),
                )
            })
            .collect();
        serde_json::to_string(&map)
            .unwrap_or_default()
            .replace('<', "\\u003c")
    }

    fn referenced_from(&self, from: &BTreeSet<SectionRef>) -> String {
        use crate::render::highlight::escape_into;
        let mut links = String::new();
        let mut count = 0;
        let mut chapters_seen = BTreeMap::new();
        for r in from {
            // At most two sections per chapter, six in all.
            if count >= 6 {
                break;
            }
            let n = chapters_seen.entry(r.chapter).or_insert(0);
            if *n >= 2 {
                continue;
            }
            *n += 1;
            let (id, heading) = &self.sections[r.chapter][r.section];
            let (slug, title) = &self.titles[r.chapter];
            if count > 0 {
                links.push_str(" · ");
            }
            count += 1;
            // `<a href="slug.html#id">title › heading</a>`, escaped.
            links.push_str("<a href=\"");
            escape_into(&mut links, slug);
            links.push_str(".html");
            if !id.is_empty() {
                links.push('#');
                escape_into(&mut links, id);
            }
            links.push_str("\">");
            escape_into(&mut links, title);
            if !heading.is_empty() {
                links.push_str(" › ");
                escape_into(&mut links, heading);
            }
            links.push_str("</a>");
        }
        if count == 0 {
            return String::new();
        }
        format!(
            "<aside class=\"referenced-from\"><span>{}：</span>{}</aside>\n",
            self.words.referenced_from, links
        )
    }
}

/// The section `body` with the first mention of each term linked (but the terms in `skip`); the
/// number of links; the terms linked are added to `linked_entries`.
fn link_section(
    body: &str,
    matcher: &Matcher,
    link_tags: &[String],
    skip: &[usize],
    linked_entries: &mut Vec<usize>,
) -> (String, usize) {
    // Room for the links too, which add about a quarter to a linked section.
    let mut out = String::with_capacity(body.len() * 5 / 4);
    let mut linked: Vec<usize> = skip.to_vec();
    let mut blocked = 0usize;
    let mut count = 0;
    for (_, tok) in html::token_iter_pre_as_text(body) {
        match tok {
            Token::Tag { name, closing, raw } => {
                if is_unlinked(name) && !raw.ends_with("/>") {
                    if closing {
                        blocked = blocked.saturating_sub(1);
                    } else {
                        blocked += 1;
                    }
                }
                out.push_str(raw);
            }
            Token::Text(t) if blocked > 0 => out.push_str(t),
            Token::Text(t) => {
                let text: std::borrow::Cow<'_, str> = if t.contains('&') {
                    unescape(t).into()
                } else {
                    t.into()
                };
                let mut last = 0;
                let mut changed = false;
                let mut piece = String::new();
                for (entry, found, at) in matcher.find_at_all(&text) {
                    if linked.contains(&entry) {
                        continue;
                    }
                    linked.push(entry);
                    linked_entries.push(entry);
                    piece.push_str(&escape(&text[last..at]));
                    piece.push_str(&link_tags[entry]);
                    piece.push_str(&escape(found));
                    piece.push_str("</a>");
                    last = at + found.len();
                    changed = true;
                    count += 1;
                }
                if changed {
                    piece.push_str(&escape(&text[last..]));
                    out.push_str(&piece);
                } else {
                    out.push_str(t);
                }
            }
        }
    }
    (out, count)
}

fn related_chapters(
    ci: usize,
    chapter_terms: &[BTreeSet<usize>],
    term_chapters: &[Vec<usize>],
    entries: &[Entry],
    titles: &[(String, String)],
    words: &Words,
) -> String {
    // How many terms each other chapter shares with this one, and the chapters that share some.
    let mut shared: Vec<usize> = vec![0; chapter_terms.len()];
    let mut sharing: Vec<usize> = Vec::new();
    for &t in &chapter_terms[ci] {
        for &j in &term_chapters[t] {
            if j != ci {
                if shared[j] == 0 {
                    sharing.push(j);
                }
                shared[j] += 1;
            }
        }
    }
    let mut scored: Vec<(usize, usize)> = sharing
        .into_iter()
        .map(|j| (shared[j], j))
        .filter(|(n, _)| *n >= 2)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    if scored.is_empty() {
        return String::new();
    }
    let items: Vec<String> = scored
        .iter()
        .take(3)
        .map(|&(n, j)| {
            let shared: Vec<&str> = chapter_terms[j]
                .intersection(&chapter_terms[ci])
                .take(5)
                .map(|&t| entries[t].term.as_str())
                .collect();
            format!(
                "<li><a class=\"related-link\" href=\"{}.html\">{}</a> <span class=\"related-terms\">{} {n}：{}</span></li>",
                escape(&titles[j].0),
                escape(&titles[j].1),
                words.shared_terms,
                escape(&shared.join("、"))
            )
        })
        .collect();
    format!(
        "<aside class=\"related-chapters\"><p class=\"related-title\">{}</p><ul>{}</ul></aside>\n",
        words.related,
        items.join("")
    )
}

/// A fragment of a chapter's HTML made to stand on a page at the output's root: relative links
/// rebased, heading ids and anchor links removed (the fragment is shown away from its chapter).
pub fn rebase_fragment(fragment: &str, slug: &str) -> String {
    let mut out = String::with_capacity(fragment.len());
    let mut skip_anchor = false;
    for (_, tok) in html::token_iter(fragment) {
        match tok {
            Token::Tag {
                name: "a",
                closing: false,
                raw,
            } if raw.contains("class=\"anchor\"") => skip_anchor = true,
            Token::Tag {
                name: "a",
                closing: true,
                ..
            } if skip_anchor => skip_anchor = false,
            Token::Text(_) if skip_anchor => {}
            Token::Tag { name, raw, .. } => {
                let mut tag = raw.to_string();
                if html::heading_level(name).is_some()
                    && let Some(id) = html::attribute(raw, "id")
                {
                    tag = tag.replace(&format!(" id=\"{id}\""), "");
                }
                for attr in ["href", "src"] {
                    if let Some(value) = html::attribute(&tag, attr) {
                        let rebased = rebase_url(value, slug);
                        if rebased != value {
                            tag = tag.replacen(
                                &format!(" {attr}=\"{value}\""),
                                &format!(" {attr}=\"{rebased}\""),
                                1,
                            );
                        }
                    }
                }
                out.push_str(&tag);
            }
            Token::Text(t) => out.push_str(t),
        }
    }
    out
}

fn rebase_url(value: &str, slug: &str) -> String {
    if value.contains("://")
        || value.starts_with(['/', '?'])
        || value.starts_with("mailto:")
        || value.starts_with("data:")
    {
        return value.to_string();
    }
    if let Some(rest) = value.strip_prefix("../") {
        return rest.to_string();
    }
    if value.starts_with('#') {
        return format!("chapters/{slug}.html{value}");
    }
    format!("chapters/{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_rebased_to_the_root() {
        let f = "<h3 id=\"x\">X<a class=\"anchor\" href=\"#x\" aria-hidden=\"true\">#</a></h3><p><a href=\"other.html#y\">o</a> <a href=\"#z\">z</a> <img src=\"../files/a.png\"> <a href=\"https://e.com/\">e</a></p>";
        let out = rebase_fragment(f, "ch");
        assert_eq!(
            out,
            "<h3>X</h3><p><a href=\"chapters/other.html#y\">o</a> <a href=\"chapters/ch.html#z\">z</a> <img src=\"files/a.png\"> <a href=\"https://e.com/\">e</a></p>"
        );
    }

    /// A chapter of `html`, named `slug`.
    fn chapter(slug: &str, html: &str) -> crate::model::Chapter {
        crate::model::Chapter {
            slug: slug.into(),
            title: slug.into(),
            date: None,
            tags: Vec::new(),
            categories: Vec::new(),
            source: format!("{slug}.md"),
            html: html.into(),
            headings: Vec::new(),
            term_definitions: String::new(),
        }
    }

    #[test]
    fn a_status_bracketed_after_many_names_joins_none_of_them() {
        let book = Book {
            title: "t".into(),
            chapters: vec![chapter(
                "a",
                "<p>数据过期（GA）：按时间删除过期的数据。</p><p>写出组件（GA）：把数据写到下游系统。</p>\
                 <p>正式支持（GA）的特性可以用于生产环境。</p><p>备份恢复（GA）比以前快了很多倍。</p>\
                 <p>多值索引（GA）可以加速查询。</p><p>容器组（Pod）是最小的调度单位。</p>\
                 <p>数据过期、写出组件、正式支持、备份恢复、多值索引、容器组和 Pod 都在这里。</p>",
            )],
            knowledge: Default::default(),
        };
        let (knowledge, _, _) = build(&book, &[], "zh", &|html| html);
        let names = |e: &GlossaryEntry| -> Vec<String> {
            std::iter::once(e.term.clone())
                .chain(e.aliases.clone())
                .collect()
        };
        // A real translation still joins its name.
        assert!(
            knowledge.glossary.iter().any(|e| {
                let n = names(e);
                n.contains(&"Pod".to_string()) && n.contains(&"容器组".to_string())
            }),
            "{:?}",
            knowledge.glossary
        );
        for e in &knowledge.glossary {
            let n = names(e);
            let joined = [
                "数据过期",
                "写出组件",
                "正式支持",
                "备份恢复",
                "多值索引",
                "GA",
            ]
            .iter()
            .filter(|name| n.contains(&name.to_string()))
            .count();
            assert!(joined <= 1, "{n:?}");
        }
    }

    #[test]
    fn a_remark_or_a_cause_in_brackets_is_not_taken_for_another_name() {
        let book = Book {
            title: "t".into(),
            chapters: vec![chapter(
                "a",
                "<p>etcd (重要 做高可用集群) 保存集群数据。</p><p>备份整个 Namespace(包括 PVC)。</p>\
                 <p>内存不够时容器被终止(OOM)。</p><p>旧分区不会被截断 (Truncate)，数据都在。</p>\
                 <p>污点(Taint)让节点排斥 Pod。</p><p>etcd 是键值数据库，etcd 要做高可用，etcd 用 Raft。</p>\
                 <p>每个 Namespace 有配额，Namespace 隔离资源，Namespace 可以删除。</p>",
            )],
            knowledge: Default::default(),
        };
        let (knowledge, _, _) = build(&book, &[], "zh", &|html| html);
        let entries: Vec<Vec<String>> = knowledge
            .glossary
            .iter()
            .map(|e| {
                std::iter::once(e.term.clone())
                    .chain(e.aliases.clone())
                    .collect()
            })
            .collect();
        let entry = |name: &str| {
            entries
                .iter()
                .find(|n| n.iter().any(|n| n == name))
                .unwrap_or_else(|| panic!("no entry for {name}: {entries:?}"))
        };
        // A remark leaves the name alone in the glossary, without the remark.
        assert_eq!(entry("etcd"), &vec!["etcd".to_string()]);
        assert_eq!(entry("Namespace"), &vec!["Namespace".to_string()]);
        // What a passive verb's bracket holds: a code is its cause, words translate it.
        assert!(!entry("OOM").contains(&"终止".to_string()), "{entries:?}");
        assert!(
            entry("Truncate").contains(&"截断".to_string()),
            "{entries:?}"
        );
        assert!(entry("Taint").contains(&"污点".to_string()), "{entries:?}");
    }

    #[test]
    fn each_linked_term_has_its_definition_once_in_a_script_safe_table() {
        let book = Book {
            title: "t".into(),
            chapters: vec![
                chapter("a", "<p>Widget and more Widget.</p><p>No term here.</p>"),
                chapter("b", "<p>Nothing to link.</p>"),
            ],
            knowledge: Default::default(),
        };
        let user = [UserEntry {
            term: "Widget".into(),
            aliases: Vec::new(),
            definition: Some("A part, see </script><script>alert(1)</script>".into()),
        }];
        let (_, linked, _) = build(&book, &user, "en", &|html| html);
        assert_eq!(linked[0].links, 1, "{}", linked[0].html);
        assert!(!linked[0].html.contains("data-def"), "{}", linked[0].html);
        let table: BTreeMap<String, String> =
            serde_json::from_str(&linked[0].definitions).expect("a JSON object");
        assert_eq!(table.len(), 1);
        assert_eq!(
            table.values().next().unwrap(),
            "A part, see </script><script>alert(1)</script>"
        );
        assert!(!linked[0].definitions.contains('<'));
        // A chapter that links no term has no table.
        assert_eq!(linked[1].links, 0);
        assert_eq!(linked[1].definitions, "");
    }
}
