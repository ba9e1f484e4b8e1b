//! The print page: the whole book on one page (cover, contents, every chapter, then appendices), for printing to PDF.
//!
//! Chapters are rendered for `chapters/<slug>.html`; here their ids are prefixed with the chapter slug
//! (`<slug>--<id>`) so they stay unique on one page, and links between chapters become in-page links.

use crate::assemble::FILES_DIR;
use crate::diagnostics::Fatal;
use crate::model::{Book, Chapter};
use crate::render::site::{Pages, Words, can_be_bare, compact};
use crate::render::templates::Templates;
use rustc_hash::FxHashSet as HashSet;
use serde::Serialize;
use std::borrow::Cow;

/// Path of the print page in the output folder.
pub const PRINT_PAGE: &str = "print.html";

/// A section printed after the chapters (glossary, comparison tables...). Its anchor is `appendix-<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appendix {
    pub id: String,
    pub title: String,
    /// Body HTML; ids in it must not contain `--` (those belong to chapters).
    pub html: String,
}

/// The page context shared by pages outside the chapters: what `page.html` reads.
#[derive(Serialize)]
pub struct Frame<'a> {
    pub lang: &'a str,
    pub book_title: &'a str,
    pub root: &'a str,
    pub current: &'a str,
    pub t: &'a Words,
    pub chapters: Vec<SidebarLink<'a>>,
    /// Large books list their chapters from `assets/toc.js` (see `render::site`).
    pub sidebar_script: bool,
}

#[derive(Serialize)]
pub struct SidebarLink<'a> {
    pub slug: &'a str,
    pub title: &'a str,
}

impl<'a> Frame<'a> {
    pub fn new(book: &'a Book, lang: &'a str, root: &'a str, t: &'a Words) -> Frame<'a> {
        Frame {
            sidebar_script: book.chapters.len() > crate::render::site::SIDEBAR_INLINE_MAX,
            lang,
            book_title: &book.title,
            root,
            current: "",
            t,
            chapters: book
                .chapters
                .iter()
                .map(|c| SidebarLink {
                    slug: &c.slug,
                    title: &c.title,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct PrintHeading {
    id: String,
    text: String,
    depth: u8,
}

#[derive(Serialize)]
struct PrintChapter<'a> {
    /// Anchor of the chapter's section.
    id: String,
    title: &'a str,
    date: &'a Option<String>,
    tags: &'a [String],
    html: String,
    /// Headings listed in the contents (the top two levels of the chapter).
    headings: Vec<PrintHeading>,
}

#[derive(Serialize)]
struct PrintAppendix<'a> {
    id: String,
    title: &'a str,
    html: String,
}

#[derive(Serialize)]
struct PrintContext<'a> {
    #[serde(flatten)]
    frame: Frame<'a>,
    /// The newest chapter date: the book is as of then.
    date: Option<&'a str>,
    sections: Vec<PrintChapter<'a>>,
    appendices: Vec<PrintAppendix<'a>>,
}

/// Anchor of a chapter's section on the print page.
pub fn chapter_anchor(slug: &str) -> String {
    format!("chapter-{slug}")
}

/// Anchor on the print page of the element `id` of chapter `slug`.
pub fn heading_anchor(slug: &str, id: &str) -> String {
    let mut anchor = String::with_capacity(slug.len() + 2 + id.len());
    push_heading_anchor(&mut anchor, slug, id);
    anchor
}

/// [`heading_anchor`] written onto the end of `out`.
fn push_heading_anchor(out: &mut String, slug: &str, id: &str) {
    out.push_str(slug);
    out.push_str("--");
    out.push_str(id);
}

/// Write the print page (`print.html` template) with the glossary and comparisons as appendices.
/// Each chapter's body is made on its own, in parallel, and written in its place in order.
pub fn write_print(
    book: &Book,
    lang: &str,
    templates: &Templates,
    pages: &Pages<'_>,
) -> Result<(), Fatal> {
    let words = Words::for_language(lang);
    let slugs: HashSet<&str> = book.chapters.iter().map(|c| c.slug.as_str()).collect();
    let appendices = knowledge_appendices(book, lang);
    let n = book.chapters.len();
    let content = |i: usize, minify: bool| {
        if i < n {
            let c = &book.chapters[i];
            Cow::Owned(rewrite_chapter_html(&c.html, &c.slug, &slugs))
        } else if minify {
            Cow::Owned(compact(&appendices[i - n].html))
        } else {
            Cow::Borrowed(appendices[i - n].html.as_str())
        }
    };
    let render = |slot: &dyn Fn(usize) -> String| {
        let context = PrintContext {
            frame: Frame::new(book, lang, "", &words),
            date: book.chapters.iter().filter_map(|c| c.date.as_deref()).max(),
            sections: book
                .chapters
                .iter()
                .enumerate()
                .map(|(i, c)| print_chapter(c, slot(i)))
                .collect(),
            appendices: appendices
                .iter()
                .enumerate()
                .map(|(i, a)| PrintAppendix {
                    id: format!("appendix-{}", a.id),
                    title: &a.title,
                    html: slot(n + i),
                })
                .collect(),
        };
        templates.render_context(PRINT_PAGE, &templates.context(PRINT_PAGE, &context)?)
    };
    pages.slotted(PRINT_PAGE, n + appendices.len(), render, content)
}

fn print_chapter(chapter: &Chapter, html: String) -> PrintChapter<'_> {
    let top = chapter.headings.iter().map(|h| h.level).min().unwrap_or(1);
    PrintChapter {
        id: chapter_anchor(&chapter.slug),
        title: &chapter.title,
        date: &chapter.date,
        tags: &chapter.tags,
        html,
        headings: chapter
            .headings
            .iter()
            .filter(|h| h.level <= top + 1)
            .map(|h| PrintHeading {
                id: heading_anchor(&chapter.slug, &h.id),
                text: h.text.clone(),
                depth: h.level - top + 1,
            })
            .collect(),
    }
}

/// The glossary and the comparisons as appendices of the print page. Glossary entries are
/// anchored `gl-<id>`, where the chapters' glossary links lead on that page.
pub fn knowledge_appendices(book: &Book, lang: &str) -> Vec<Appendix> {
    use crate::knowledge::html::escape;
    let words = Words::for_language(lang);
    let k = &book.knowledge;
    let mut appendices = Vec::new();
    if !k.glossary.is_empty() {
        let mut html = String::from("<dl class=\"glossary\">\n");
        for e in &k.glossary {
            html.push_str(&format!(
                "<dt id=\"gl-{}\"><dfn class=\"term-name\">{}</dfn>",
                escape(&e.id),
                escape(&e.term)
            ));
            for a in &e.aliases {
                html.push_str(&format!("<span class=\"alias\">{}</span>", escape(a)));
            }
            html.push_str(&format!(
                "</dt>\n<dd><p class=\"definition\">{}</p></dd>\n",
                escape(&e.definition)
            ));
        }
        html.push_str("</dl>\n");
        appendices.push(Appendix {
            id: "glossary".into(),
            title: words.glossary.into(),
            html,
        });
    }
    if !k.comparisons.is_empty() {
        let mut html = String::new();
        for c in &k.comparisons {
            html.push_str(&format!(
                "<section class=\"comparison\"><h2 class=\"comparison-title\">{}</h2>\n",
                escape(&c.title)
            ));
            for item in &c.items {
                html.push_str(&format!(
                    "<div class=\"comparison-item\"><p class=\"source\">{}{}</p>\n{}</div>\n",
                    escape(&item.place.chapter_title),
                    if item.place.section_title.is_empty() {
                        String::new()
                    } else {
                        format!(" › {}", escape(&item.place.section_title))
                    },
                    item.html
                ));
            }
            html.push_str("</section>\n");
        }
        appendices.push(Appendix {
            id: "comparisons".into(),
            title: words.comparisons.into(),
            html,
        });
    }
    appendices
}

/// A chapter's HTML as it sits on the print page: ids prefixed with the slug, links to headings of
/// this or another chapter turned into in-page links, other relative links made relative to the
/// output root (chapter pages live in `chapters/`). The `id`, `href` and `src` attributes of start
/// tags are rewritten, quoted or not (a compact chapter's are not); nothing else changes.
pub fn rewrite_chapter_html(html: &str, slug: &str, slugs: &HashSet<&str>) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    // The new value of the attribute being rewritten.
    let mut value = String::new();
    let mut last = 0;
    let mut pos = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[pos..]) {
        let start = pos + off;
        pos = start + 1;
        // A start tag: `<`, a letter, then everything up to the next `>`.
        if !bytes.get(pos).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let Some(len) = memchr::memchr(b'>', &bytes[pos..]) else {
            break;
        };
        let end = pos + len + 1;
        let raw = &html[start..end];
        pos = end;
        // Highlighted code holds most of a page's tags, and none of these attributes: a `<pre>`
        // whose content has none is passed over whole.
        if raw.starts_with("<pre")
            && !raw.as_bytes().get(4).is_some_and(u8::is_ascii_alphanumeric)
            && let Some(len) = PRE_END.find(&bytes[pos..])
            && !WANTED
                .iter()
                .any(|f| f.find(&bytes[pos..pos + len]).is_some())
        {
            pos += len;
        }
        // Most tags (the spans of highlighted code) have none of these attributes.
        let wanted = memchr::memchr_iter(b'=', raw.as_bytes()).any(|at| {
            let name = &raw.as_bytes()[..at];
            name.ends_with(b"id") || name.ends_with(b"href") || name.ends_with(b"src")
        });
        if !wanted {
            continue;
        }
        out.push_str(&html[last..start]);
        last = end;
        rewrite_tag(raw, &mut out, &mut value, |name, old, new| {
            match name {
                "id" => push_heading_anchor(new, slug, old),
                "href" => rewrite_link(old, slug, slugs, new),
                "src" => new.push_str(&from_root(old, slugs)),
                _ => return false,
            }
            true
        });
    }
    out.push_str(&html[last..]);
    out
}

/// The end tag of a `<pre>` element, as a chapter's HTML writes it.
static PRE_END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"</pre"));

/// What starts each attribute [`rewrite_chapter_html`] rewrites, as the tags it reads write it.
static WANTED: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 3]> =
    std::sync::LazyLock::new(|| {
        [b"id=".as_slice(), b"href=", b"src="].map(memchr::memmem::Finder::new)
    });

/// Copy the start tag `raw` (`<` to `>`) to `out`, replacing each attribute value for which
/// `new(name, value, buffer)` writes a new value into `buffer` (given empty) and returns true.
/// Values are read quoted or bare, as HTML reads them; a bare value stays bare when the new one
/// can, a quoted one keeps its quotes.
fn rewrite_tag(
    raw: &str,
    out: &mut String,
    buffer: &mut String,
    new: impl Fn(&str, &str, &mut String) -> bool,
) {
    let bytes = raw.as_bytes();
    let end = raw.len() - 1;
    let mut copied = 0;
    let mut i = 1 + bytes[1..end]
        .iter()
        .take_while(|b| !b.is_ascii_whitespace() && **b != b'/')
        .count();
    loop {
        while i < end && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= end {
            break;
        }
        let name_start = i;
        while i < end && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'/') {
            i += 1;
        }
        let name = &raw[name_start..i];
        while i < end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= end || bytes[i] != b'=' {
            continue;
        }
        i += 1;
        while i < end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let quote = bytes.get(i).copied().filter(|b| matches!(b, b'"' | b'\''));
        let (value_start, value_end, next) = match quote {
            Some(q) => match memchr::memchr(q, &bytes[i + 1..end]) {
                Some(len) => (i + 1, i + 1 + len, i + 2 + len),
                // An unclosed quote runs to the end of the tag: left as it is.
                None => break,
            },
            None => {
                let len = bytes[i..end]
                    .iter()
                    .take_while(|b| !b.is_ascii_whitespace())
                    .count();
                (i, i + len, i + len)
            }
        };
        i = next;
        buffer.clear();
        if !new(name, &raw[value_start..value_end], buffer) {
            continue;
        }
        let value = buffer.as_str();
        out.push_str(&raw[copied..value_start]);
        match quote {
            Some(q) if !value.as_bytes().contains(&q) => out.push_str(value),
            Some(b'"') => out.push_str(&value.replace('"', "&quot;")),
            Some(_) => out.push_str(&value.replace('\'', "&#39;")),
            None if can_be_bare(value) => out.push_str(value),
            None => {
                out.push('"');
                out.push_str(value);
                out.push('"');
            }
        }
        copied = value_end;
    }
    out.push_str(&raw[copied..]);
}

fn has_scheme(url: &str) -> bool {
    url.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    })
}

/// A URL of a chapter page made relative to the output root: the book's own files (`../files/…`)
/// and chapter pages (`x.html`, `../chapters/x.html`). Anything else (external, or a link the build
/// reported as missing) is kept as written.
fn from_root(url: &str, slugs: &HashSet<&str>) -> String {
    if let Some(rest) = url.strip_prefix("../")
        && (rest
            .strip_prefix(FILES_DIR)
            .is_some_and(|r| r.starts_with('/'))
            || rest.starts_with("chapters/"))
    {
        return rest.to_string();
    }
    let path = url.split('#').next().unwrap_or("");
    let is_chapter = path
        .strip_suffix(".html")
        .is_some_and(|stem| slugs.contains(percent_decode(stem).as_ref()));
    if is_chapter && !has_scheme(url) {
        format!("chapters/{url}")
    } else {
        url.to_string()
    }
}

/// The link `href` of chapter `slug` as the print page has it, written to `out`: glossary links
/// lead to the glossary appendix, links to the book's chapters to their place on the page.
fn rewrite_link(href: &str, slug: &str, slugs: &HashSet<&str>, out: &mut String) {
    // Glossary links lead to the glossary appendix of the same page.
    if let Some(id) = href.strip_prefix("../glossary.html#") {
        out.push_str("#gl-");
        out.push_str(id);
        return;
    }
    if let Some(fragment) = href.strip_prefix('#') {
        if fragment.is_empty() {
            out.push_str(href);
        } else {
            out.push('#');
            push_heading_anchor(out, slug, fragment);
        }
        return;
    }
    let rooted = from_root(href, slugs);
    let (path, fragment) = match rooted.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (rooted.as_str(), None),
    };
    let target = path
        .strip_prefix("chapters/")
        .and_then(|p| p.strip_suffix(".html"))
        .filter(|stem| !stem.contains('/') && slugs.contains(percent_decode(stem).as_ref()));
    match (target, fragment) {
        (Some(stem), Some(f)) if !f.is_empty() => {
            out.push('#');
            push_heading_anchor(out, stem, f);
        }
        (Some(stem), _) => {
            out.push('#');
            out.push_str(&chapter_anchor(stem));
        }
        (None, _) => out.push_str(&rooted),
    }
}

/// `%XX` escapes of a URL path decoded (UTF-8); a path without any is returned as it is.
pub(crate) fn percent_decode(s: &str) -> std::borrow::Cow<'_, str> {
    let bytes = s.as_bytes();
    let Some(first) = memchr::memchr(b'%', bytes) else {
        return std::borrow::Cow::Borrowed(s);
    };
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(&[high, low]) = bytes.get(i + 1..i + 3)
            && let (Some(high), Some(low)) = (hex(high), hex(low))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded_and_other_percent_signs_kept() {
        assert!(matches!(
            percent_decode("k8s-存储.html"),
            std::borrow::Cow::Borrowed("k8s-存储.html")
        ));
        assert_eq!(
            percent_decode("k8s-%E5%AD%98%e5%82%a8.html"),
            "k8s-存储.html"
        );
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        for kept in ["100%", "%zz", "%+1", "a%4", "%%41"] {
            let expected = kept.replace("%41", "A");
            assert_eq!(percent_decode(kept), expected, "{kept}");
        }
    }

    fn rewrite(html: &str) -> String {
        let slugs: HashSet<&str> = ["a", "k8s-存储"].into_iter().collect();
        rewrite_chapter_html(html, "a", &slugs)
    }

    #[test]
    fn ids_get_the_chapter_prefix_and_in_chapter_links_follow() {
        assert_eq!(
            rewrite("<h2 id=\"pod\">Pod<a class=\"anchor\" href=\"#pod\">#</a></h2>"),
            "<h2 id=\"a--pod\">Pod<a class=\"anchor\" href=\"#a--pod\">#</a></h2>"
        );
    }

    #[test]
    fn links_to_other_chapters_become_in_page_links() {
        assert_eq!(
            rewrite("<a href=\"k8s-%E5%AD%98%E5%82%A8.html#pv\">x</a>"),
            "<a href=\"#k8s-%E5%AD%98%E5%82%A8--pv\">x</a>"
        );
        assert_eq!(
            rewrite("<a href=\"../chapters/a.html\">x</a>"),
            "<a href=\"#chapter-a\">x</a>"
        );
    }

    #[test]
    fn files_and_external_links_are_made_relative_to_the_root_or_kept() {
        assert_eq!(
            rewrite("<img src=\"../files/img/a.png\" alt=\"\">"),
            "<img src=\"files/img/a.png\" alt=\"\">"
        );
        assert_eq!(
            rewrite("<a href=\"https://k8s.io/#x\">k</a> <a href=\"missing.md\">m</a>"),
            "<a href=\"https://k8s.io/#x\">k</a> <a href=\"missing.md\">m</a>"
        );
    }

    #[test]
    fn only_whole_attribute_names_are_rewritten_quoted_or_not() {
        // `data-id` is not `id`, nor is an `id=` inside another value; a value without its
        // closing quote is left as it is; bare and single-quoted values are read too.
        assert_eq!(
            rewrite("<p data-id=\"x\"\tid=\"y\" title=\"a id=b\" class=c>"),
            "<p data-id=\"x\"\tid=\"a--y\" title=\"a id=b\" class=c>"
        );
        assert_eq!(
            rewrite("<p title=\"x\" id=\"y>t"),
            "<p title=\"x\" id=\"y>t"
        );
        assert_eq!(rewrite("<p id=y>"), "<p id=a--y>");
        assert_eq!(
            rewrite("<a href='#y' id = z>"),
            "<a href='#a--y' id = a--z>"
        );
        // A bare value takes a slash before `>` as its own (compact values never end in one).
        assert_eq!(
            rewrite("<img src=../files/a.png/>"),
            "<img src=\"files/a.png/\">"
        );
    }

    #[test]
    fn code_is_passed_over_unless_it_holds_links_or_ids() {
        let code =
            "<pre class=hl data-lang=bash><code><span class=hl-k>echo</span> a=1</code></pre>";
        assert_eq!(
            rewrite(&format!("{code}<p id=y>")),
            format!("{code}<p id=a--y>")
        );
        assert_eq!(
            rewrite("<pre><span>x</span><a href=#y>y</a></pre><a href=#z>"),
            "<pre><span>x</span><a href=#a--y>y</a></pre><a href=#a--z>"
        );
        assert_eq!(
            rewrite("<pre>id=<span id=q>q</span></pre><pre>b</pre><p id=r>"),
            "<pre>id=<span id=a--q>q</span></pre><pre>b</pre><p id=a--r>"
        );
        // A `<pre>` that does not end is read to the end.
        assert_eq!(rewrite("<pre>a<b id=c>"), "<pre>a<b id=a--c>");
    }

    #[test]
    fn compact_chapters_are_rewritten_as_the_compact_rewritten_ones() {
        let slugs: HashSet<&str> = ["a", "b"].into_iter().collect();
        for html in [
            "<h2 id=\"pod\">Pod<a class=\"anchor\" href=\"#pod\">#</a></h2>\n<p>x</p>\n",
            "<p data-id=\"x\" id=\"y\">t <a href=\"b.html#z\" title='q'>b</a></p>\n",
            "<pre><code><a href=\"b.html\">in code</a> id=\"no\"</code></pre>\n<img src=\"../files/x.png\" alt=\"a b\">",
            "<div class=\"c\"\nid=\"n\"><span>a</span></div>\n\n<p>&lt;a href=\"x\"&gt;</p>",
            "<a href=\"../glossary.html#pod\" data-def=\"a &quot;pod&quot;\">pod</a>",
        ] {
            assert_eq!(
                rewrite_chapter_html(&compact(html), "a", &slugs),
                compact(&rewrite_chapter_html(html, "a", &slugs)),
                "{html}"
            );
        }
    }

    #[test]
    fn text_that_looks_like_attributes_is_left_alone() {
        let code = "<pre><code>id=&quot;x&quot; href=\"#y\"</code></pre>";
        assert_eq!(rewrite(code), code);
    }
}
