//! The site: every page and asset of the book as bytes, rendered from the Book with the theme's templates (no IO).

use crate::diagnostics::Fatal;
use crate::model::{Book, Chapter, Heading};
use crate::render::highlight::Highlighter;
use crate::render::sink::Sink;
use crate::render::templates::{Templates, Theme};
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Files of the site by path relative to the output folder (`/` separators).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Interface words, in the book's language.
#[derive(Debug, Clone, Serialize)]
pub struct Words {
    pub home: &'static str,
    pub chapters: &'static str,
    pub chapter_count: &'static str,
    pub on_this_page: &'static str,
    pub prev: &'static str,
    pub next: &'static str,
    pub menu: &'static str,
    pub theme: &'static str,
    pub skip: &'static str,
    pub glossary: &'static str,
    pub terms: &'static str,
    pub letter_index: &'static str,
    pub explained_in: &'static str,
    pub mentioned_in: &'static str,
    pub comparisons: &'static str,
    pub comparison_count: &'static str,
    pub review: &'static str,
    pub question_count: &'static str,
    pub reveal: &'static str,
    pub known: &'static str,
    pub again: &'static str,
    pub study: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub search_none: &'static str,
    pub search_unavailable: &'static str,
    pub print: &'static str,
    pub not_found: &'static str,
    pub not_found_hint: &'static str,
}

impl Words {
    pub fn for_language(lang: &str) -> Words {
        if lang.starts_with("zh") {
            Words {
                home: "目录",
                chapters: "章节",
                chapter_count: "章",
                on_this_page: "本页内容",
                prev: "上一章",
                next: "下一章",
                menu: "显示/隐藏目录",
                theme: "切换明暗主题",
                skip: "跳到正文",
                glossary: "术语表",
                terms: "个术语",
                letter_index: "按字母查找",
                explained_in: "讲解：",
                mentioned_in: "提到：",
                comparisons: "对比",
                comparison_count: "组对比",
                review: "自测",
                question_count: "道题",
                reveal: "显示答案",
                known: "会了",
                again: "再复习",
                study: "学习工具",
                search: "搜索",
                search_placeholder: "搜索（按 / 键）",
                search_none: "没有找到相关内容。",
                search_unavailable: "搜索索引不可用。",
                print: "打印 / PDF",
                not_found: "页面不存在",
                not_found_hint: "这个地址没有页面，可能已经改名或删除。",
            }
        } else {
            Words {
                home: "Contents",
                chapters: "Chapters",
                chapter_count: "chapters",
                on_this_page: "On this page",
                prev: "Previous",
                next: "Next",
                menu: "Toggle the chapter list",
                theme: "Toggle light/dark theme",
                skip: "Skip to content",
                glossary: "Glossary",
                terms: "terms",
                letter_index: "Letter index",
                explained_in: "Explained in: ",
                mentioned_in: "Mentioned in: ",
                comparisons: "Comparisons",
                comparison_count: "comparisons",
                review: "Self-test",
                question_count: "questions",
                reveal: "Show answer",
                known: "Knew it",
                again: "Review again",
                study: "Study",
                search: "Search",
                search_placeholder: "Search (press /)",
                search_none: "No results.",
                search_unavailable: "The search index is unavailable.",
                print: "Print / PDF",
                not_found: "Page not found",
                not_found_hint: "There is no page at this address; it may have been renamed or removed.",
            }
        }
    }
}

#[derive(Serialize)]
struct ChapterLink<'a> {
    slug: &'a str,
    title: &'a str,
    date: &'a Option<String>,
    tags: &'a [String],
}

#[derive(Serialize)]
struct NavLink<'a> {
    href: String,
    title: &'a str,
}

#[derive(Serialize)]
struct TocEntry<'a> {
    id: &'a str,
    text: &'a str,
    depth: u8,
}

#[derive(Serialize)]
struct PageContext<'a> {
    lang: &'a str,
    book_title: &'a str,
    /// Path from the page to the output root: "" or "../".
    root: &'a str,
    /// Slug of the current chapter, "" on other pages.
    current: &'a str,
    t: &'a Words,
    chapters: &'a [ChapterLink<'a>],
    chapter: Option<&'a Chapter>,
    toc: Vec<TocEntry<'a>>,
    prev: Option<NavLink<'a>>,
    next: Option<NavLink<'a>>,
    /// The glossary, comparisons and questions, on the pages that show them.
    knowledge: Option<&'a crate::knowledge::Knowledge>,
    /// The sidebar's chapter list comes from `assets/toc.js` (large books), not from each page.
    sidebar_script: bool,
}

/// Books with more chapters than this list them in the sidebar from one shared script, so each
/// page does not repeat the whole list.
pub const SIDEBAR_INLINE_MAX: usize = 200;

/// `assets/toc.js`: the chapters for the sidebar of a large book.
fn toc_script(book: &Book) -> String {
    let list: Vec<[&str; 2]> = book
        .chapters
        .iter()
        .map(|c| [c.slug.as_str(), c.title.as_str()])
        .collect();
    let json = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
    // `</script>` cannot end the data early: `<` is escaped.
    format!("window.studybookToc = {};\n", json.replace('<', "\\u003c"))
}

/// The headings shown in a chapter's table of contents: the top three levels present in it.
fn toc(headings: &[Heading]) -> Vec<TocEntry<'_>> {
    let Some(top) = headings.iter().map(|h| h.level).min() else {
        return Vec::new();
    };
    headings
        .iter()
        .filter(|h| h.level <= top + 2)
        .map(|h| TocEntry {
            id: &h.id,
            text: &h.text,
            depth: h.level - top + 1,
        })
        .collect()
}

/// How pages are finished: minified or not, and the site URL for canonical links and the sitemap;
/// and the search index script when it was made already (see [`crate::MadeBook`]), else it is made
/// while the site is rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// Pages minified. Chapter bodies are shown as the book holds them: a book made for a
    /// minified site holds them compact already (see [`crate::make_book_with`]).
    pub minify: bool,
    pub site_url: Option<&'a str>,
    pub search_index: Option<&'a [u8]>,
}

/// The text a template sees in place of content spliced in after rendering (see [`Pages`]).
fn placeholder(slot: usize) -> String {
    format!("\u{E000}studybook-slot-{slot}\u{E001}")
}

/// Chapter shells are made compact when that makes them at most 1/COMPACT_SLACK longer than
/// the minifier does.
const COMPACT_SLACK: usize = 40;

/// Pages longer than this (the index, glossary and review pages of a large book) are made
/// compact in one pass instead of going through the minifier: on such pages it takes many times
/// longer for a page about one percent shorter, and its memory grows with the page.
const MINIFY_MAX: usize = 1 << 17;

/// Slots spliced into a page per batch: content made in parallel, written in order.
const SLOT_BATCH: usize = 32;

/// Finishes pages and hands them to a sink: minifies, adds the canonical link, and remembers the
/// pages for the sitemap and the count.
///
/// Large content (a chapter's body, the print page's chapters) does not go through the template
/// engine and the minifier: the template sees a placeholder, the page around it is rendered and
/// minified, and the content, already compact, is written in the placeholder's place. A theme that
/// does not print the content as it is (a filter on it, say) gets the content itself instead.
pub struct Pages<'a> {
    sink: &'a dyn Sink,
    templates: &'a Templates,
    options: RenderOptions<'a>,
    written: Mutex<Vec<String>>,
    /// Whether the shells of chapter pages are made compact (see [`compact`]) rather than
    /// minified: set by the first chapter page, to whether compacting it does nearly as well.
    compact_chapter_shells: std::sync::OnceLock<bool>,
}

impl<'a> Pages<'a> {
    pub fn new(sink: &'a dyn Sink, templates: &'a Templates, options: RenderOptions<'a>) -> Self {
        Pages {
            sink,
            templates,
            options,
            written: Mutex::new(Vec::new()),
            compact_chapter_shells: std::sync::OnceLock::new(),
        }
    }

    fn io_error(path: &str, e: std::io::Error) -> Fatal {
        Fatal::new(path, format!("cannot write this file of the book: {e}"))
    }

    /// Store a file that is not a page (assets, the search index...).
    pub fn file(&self, path: &str, bytes: &[u8]) -> Result<(), Fatal> {
        self.sink
            .put(path, bytes)
            .map_err(|e| Self::io_error(path, e))
    }

    pub fn site_url(&self) -> Option<&'a str> {
        self.options.site_url
    }

    pub fn templates(&self) -> &'a Templates {
        self.templates
    }

    /// The HTML pages stored so far, sorted.
    pub fn written(&self) -> Vec<String> {
        let mut pages = self.written.lock().map(|w| w.clone()).unwrap_or_default();
        pages.sort();
        pages
    }

    fn finish_shell(&self, path: &str, html: String) -> String {
        let minified = |html: String| String::from_utf8(minify(&html)).unwrap_or(html);
        let mut html = if !self.options.minify {
            html
        } else if html.len() > MINIFY_MAX {
            compact(&html)
        } else if path.starts_with("chapters/") {
            // A book has many chapter pages, all from one template: when the one-pass compactor
            // does about as well as the minifier on the first, it does the rest, faster.
            match self.compact_chapter_shells.get() {
                Some(true) => compact(&html),
                Some(false) => minified(html),
                None => {
                    let compacted = compact(&html);
                    let html = minified(html);
                    let _ = self
                        .compact_chapter_shells
                        .set(compacted.len() <= html.len() + html.len() / COMPACT_SLACK);
                    html
                }
            }
        } else {
            minified(html)
        };
        if let Some(url) = self.options.site_url
            && path != crate::render::publish::NOT_FOUND_PAGE
        {
            let link = format!(
                "<link rel=\"canonical\" href=\"{}\">",
                crate::render::publish::xml_escape(&crate::render::publish::page_url(url, path))
            );
            let at = html
                .find("</head>")
                .or_else(|| html.find("<body"))
                .unwrap_or(0);
            html.insert_str(at, &link);
        }
        html
    }

    /// Render template `name` with `context` into page `path`.
    pub fn page(&self, path: &str, name: &str, context: &tera::Context) -> Result<(), Fatal> {
        let html = self.templates.render_context(name, context)?;
        let html = self.finish_shell(path, html);
        self.store(path, |w| w.write_all(html.as_bytes()))
    }

    /// Render page `path` with `slots` pieces of content: `render` renders its template given
    /// the text of each slot, `content(i, compact)` makes the HTML of slot `i`, made compact
    /// (see [`compact`]) when `compact`, as it is when pages are minified.
    pub fn slotted<'c>(
        &self,
        path: &str,
        slots: usize,
        render: impl Fn(&dyn Fn(usize) -> String) -> Result<String, Fatal>,
        content: impl Fn(usize, bool) -> Cow<'c, str> + Sync,
    ) -> Result<(), Fatal> {
        let shell = render(&placeholder)?;
        let shell = self.finish_shell(path, shell);
        let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
            match split_slots(&shell, slots) {
                Some(pieces) => {
                    w.write_all(pieces[0].as_bytes())?;
                    let make = |from: usize| -> Vec<Cow<'c, str>> {
                        (from..(from + SLOT_BATCH).min(slots))
                            .into_par_iter()
                            .map(|i| content(i, self.options.minify))
                            .collect()
                    };
                    // Each batch is written while the next one is made.
                    let mut start = 0;
                    let mut batch = make(0);
                    while !batch.is_empty() {
                        let after = start + batch.len();
                        let mut next = Vec::new();
                        rayon::in_place_scope(|scope| {
                            scope.spawn(|_| next = make(after));
                            for (i, html) in (start..after).zip(&batch) {
                                w.write_all(html.as_bytes())?;
                                w.write_all(pieces[i + 1].as_bytes())?;
                            }
                            std::io::Result::Ok(())
                        })?;
                        (start, batch) = (after, next);
                    }
                }
                None => {
                    let real = |i: usize| content(i, false).into_owned();
                    let html = render(&real).map_err(|e| std::io::Error::other(e.to_string()))?;
                    w.write_all(self.finish_shell(path, html).as_bytes())?;
                }
            }
            Ok(())
        };
        self.store(path, write)
    }

    /// Write page `path` with `write`, and keep its name among the pages written.
    fn store(
        &self,
        path: &str,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), Fatal> {
        let mut file = self
            .sink
            .create(path)
            .map_err(|e| Self::io_error(path, e))?;
        write(&mut file)
            .and_then(|()| file.flush())
            .map_err(|e| Self::io_error(path, e))?;
        drop(file);
        if path.ends_with(".html")
            && let Ok(mut w) = self.written.lock()
        {
            w.push(path.to_string());
        }
        Ok(())
    }
}

/// The page split at its placeholders `0..slots`, when each appears once and in order.
fn split_slots(shell: &str, slots: usize) -> Option<Vec<&str>> {
    let mut pieces = Vec::with_capacity(slots + 1);
    let mut rest = shell;
    for i in 0..slots {
        let mark = placeholder(i);
        let at = rest.find(&mark)?;
        pieces.push(&rest[..at]);
        rest = &rest[at + mark.len()..];
    }
    if rest.contains('\u{E000}') && (0..slots).any(|i| rest.contains(&placeholder(i))) {
        return None;
    }
    pieces.push(rest);
    Some(pieces)
}

/// Content HTML made compact in one pass, as the minifier would make markup that studybook
/// built: line breaks right after block tags go, and attribute values that need no quotes lose
/// them. `<pre>`, `<textarea>`, `<script>` and `<style>` content and comments are kept as they are.
pub fn compact(html: &str) -> String {
    let html = html.trim_matches('\n');
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut pos = 0;
    // Whether `out` ends with a block element's start or end tag.
    let mut after_block = false;
    while pos < bytes.len() {
        let Some(off) = memchr::memchr2(b'\n', b'<', &bytes[pos..]) else {
            out.push_str(&html[pos..]);
            break;
        };
        let at = pos + off;
        if at > pos {
            out.push_str(&html[pos..at]);
            after_block = false;
        }
        if bytes[at] == b'\n' {
            if !after_block {
                out.push('\n');
            }
            after_block = false;
            pos = at + 1;
            continue;
        }
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            let end = memchr::memmem::find(rest.as_bytes(), b"-->").map_or(rest.len(), |e| e + 3);
            out.push_str(&rest[..end]);
            after_block = false;
            pos = at + end;
            continue;
        }
        let Some((len, name, closing)) = compact_tag(rest, &mut out) else {
            out.push('<');
            after_block = false;
            pos = at + 1;
            continue;
        };
        pos = at + len;
        after_block = crate::render::nesting::is_block(name);
        if !closing && let Some(raw) = RAW_TEXT.iter().position(|t| t.eq_ignore_ascii_case(name)) {
            let end = find_end_tag(&html[pos..], raw).map_or(html.len(), |e| pos + e);
            if end > pos {
                out.push_str(&html[pos..end]);
                after_block = false;
            }
            pos = end;
        }
    }
    out
}

/// Whether an attribute value can be written without quotes (and without ambiguity in a tag
/// that ends with `/>`).
pub fn can_be_bare(value: &str) -> bool {
    // Read without a branch per byte: most values (links) need no quotes and are read whole.
    !value.is_empty()
        && !value.ends_with('/')
        && !value
            .bytes()
            .fold(false, |quoted, b| quoted | NEEDS_QUOTES[usize::from(b)])
}

/// The bytes that keep an attribute value in quotes: ASCII white space and `"'=<>` and backtick.
static NEEDS_QUOTES: [bool; 256] = {
    let mut table = [false; 256];
    let special = b" \t\n\x0c\r\"'=<>`";
    let mut i = 0;
    while i < special.len() {
        table[special[i] as usize] = true;
        i += 1;
    }
    table
};

/// Elements whose content [`compact`] copies as it is.
const RAW_TEXT: [&str; 4] = ["pre", "textarea", "script", "style"];

/// Finders for each element of [`RAW_TEXT`]: of its end tag in lower case, and of the starts of
/// its end tag written in other cases (`</P`, `</pR`, `</prE`).
static END_TAGS: std::sync::LazyLock<Vec<EndTagFinders>> = std::sync::LazyLock::new(|| {
    RAW_TEXT
        .iter()
        .map(|name| {
            let lower = format!("</{name}");
            let other_cases = (0..name.len())
                .map(|k| {
                    let mut start = format!("</{}", &name[..k]).into_bytes();
                    start.push(name.as_bytes()[k].to_ascii_uppercase());
                    memchr::memmem::Finder::new(&start).into_owned()
                })
                .collect();
            (
                memchr::memmem::Finder::new(lower.as_bytes()).into_owned(),
                other_cases,
            )
        })
        .collect()
});

type EndTagFinders = (
    memchr::memmem::Finder<'static>,
    Vec<memchr::memmem::Finder<'static>>,
);

/// Where the end tag of element `RAW_TEXT[raw]` (any case) first starts in `html`.
fn find_end_tag(html: &str, raw: usize) -> Option<usize> {
    // The end tag in lower case is found at once; one in other cases before it only when some
    // `</` there goes on with an upper-case letter of the name.
    let (lower, other_cases) = &END_TAGS[raw];
    let found = lower.find(html.as_bytes());
    let before = &html.as_bytes()[..found.unwrap_or(html.len())];
    if other_cases.iter().any(|f| f.find(before).is_some()) {
        return find_end_tag_any_case(html, RAW_TEXT[raw]);
    }
    found
}

/// [`find_end_tag`] byte by byte.
fn find_end_tag_any_case(html: &str, name: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[from..]) {
        let at = from + off;
        let after = &bytes[at + 1..];
        if after.first() == Some(&b'/')
            && after.len() > name.len()
            && after[1..=name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Where a tag whose text is `bytes` ends: its first `>` from `from` on outside quotes, `None` when
/// it has none (or a quote is never closed).
pub fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let at = i + memchr::memchr3(b'>', b'"', b'\'', &bytes[i..])?;
        match bytes[at] {
            b'>' => return Some(at),
            quote => i = at + 1 + memchr::memchr(quote, &bytes[at + 1..])? + 1,
        }
    }
}

/// Copy the start or end tag at the start of `text` to `out` with its attribute values unquoted
/// where HTML allows; returns the tag's length, its name as written and whether it is an end tag,
/// or `None` when `text` does not start with a tag.
fn compact_tag<'t>(text: &'t str, out: &mut String) -> Option<(usize, &'t str, bool)> {
    let bytes = text.as_bytes();
    let closing = bytes.get(1) == Some(&b'/');
    let name_start = if closing { 2 } else { 1 };
    if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let name_len = bytes[name_start..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = &text[name_start..name_start + name_len];
    // Most tags have no attributes (`<p>`, `</span>`): copied as they are.
    if bytes.get(name_start + name_len) == Some(&b'>') {
        let len = name_start + name_len + 1;
        out.push_str(&text[..len]);
        return Some((len, name, closing));
    }
    let end = tag_end(bytes, name_start)?;
    let tag = &text[..=end];
    let mut rest = tag;
    // Single-quoted values are rare in studybook's markup: such a tag is kept as it is.
    let quoted_once = memchr::memchr(b'\'', tag.as_bytes()).is_some();
    while let Some(q) = find_eq_quote(rest).filter(|_| !quoted_once) {
        let value_start = q + 2;
        let Some(len) = memchr::memchr(b'"', &rest.as_bytes()[value_start..]) else {
            break;
        };
        let value = &rest[value_start..value_start + len];
        out.push_str(&rest[..=q]);
        // A bare value would take the `/` of a closing `/>` into it (`type=checkbox/`).
        if can_be_bare(value) && !rest[value_start + len + 1..].starts_with('/') {
            out.push_str(value);
        } else {
            out.push('"');
            out.push_str(value);
            out.push('"');
        }
        rest = &rest[value_start + len + 1..];
    }
    out.push_str(rest);
    Some((end + 1, name, closing))
}

/// Where `="` first starts in `text`.
fn find_eq_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'"', bytes)
        .find(|&i| i > 0 && bytes[i - 1] == b'=')
        .map(|i| i - 1)
}

/// The chapter as its page's template sees it: its body and its terms' definitions are slots'
/// texts (see [`Pages::slotted`]).
#[derive(Serialize)]
struct ChapterView<'a> {
    slug: &'a str,
    title: &'a str,
    date: &'a Option<String>,
    tags: &'a [String],
    categories: &'a [String],
    source: &'a str,
    headings: &'a [Heading],
    html: String,
    term_definitions: String,
}

impl<'a> ChapterView<'a> {
    fn new(c: &'a Chapter, html: String, term_definitions: String) -> Self {
        ChapterView {
            slug: &c.slug,
            title: &c.title,
            date: &c.date,
            tags: &c.tags,
            categories: &c.categories,
            source: &c.source,
            headings: &c.headings,
            html,
            term_definitions,
        }
    }
}

/// Render every page of the book into `sink`, in parallel: the index, the chapters, the glossary,
/// comparison and review pages, the print page, the search index, the publishing files and the
/// theme's assets. Returns the HTML pages written.
pub fn render_site(
    book: &Book,
    lang: &str,
    theme: &Theme,
    templates: &Templates,
    highlighter: &Highlighter,
    options: RenderOptions<'_>,
    sink: &dyn Sink,
) -> Result<Vec<String>, Fatal> {
    let pages = Pages::new(sink, templates, options);
    let ((chapters, print), (search, rest)) = rayon::join(
        || {
            rayon::join(
                || {
                    crate::timed("render: chapters", || {
                        render_chapters(book, lang, templates, &pages)
                    })
                },
                || {
                    crate::timed("render: print", || {
                        crate::render::print::write_print(book, lang, templates, &pages)
                    })
                },
            )
        },
        || {
            rayon::join(
                || match options.search_index {
                    Some(index) => pages.file(crate::search::INDEX_PATH, index),
                    None => {
                        let index =
                            crate::timed("render: search", || crate::search::index_script(book));
                        pages.file(crate::search::INDEX_PATH, &index)
                    }
                },
                || -> Result<(), Fatal> {
                    crate::timed("render: other pages", || {
                        render_other_pages(book, lang, templates, &pages)
                    })?;
                    if book.chapters.len() > SIDEBAR_INLINE_MAX {
                        pages.file("assets/toc.js", toc_script(book).as_bytes())?;
                    }
                    for (name, bytes) in theme.assets() {
                        pages.file(&format!("assets/{name}"), bytes)?;
                    }
                    pages.file("assets/highlight.css", highlighter.css().as_bytes())?;
                    crate::render::publish::write_not_found(book, lang, &pages)?;
                    pages.file(".nojekyll", b"")
                },
            )
        },
    );
    chapters?;
    print?;
    search?;
    rest?;
    let written = pages.written();
    if let Some(url) = options.site_url {
        let map = crate::render::publish::sitemap(&written, url);
        pages.file("sitemap.xml", map.as_bytes())?;
    }
    Ok(written)
}

/// The context every page shares.
fn base_context(book: &Book, lang: &str, templates: &Templates) -> Result<tera::Context, Fatal> {
    let words = Words::for_language(lang);
    let links: Vec<ChapterLink<'_>> = book
        .chapters
        .iter()
        .map(|c| ChapterLink {
            slug: &c.slug,
            title: &c.title,
            date: &c.date,
            tags: &c.tags,
        })
        .collect();
    let base = PageContext {
        lang,
        book_title: &book.title,
        root: "",
        current: "",
        t: &words,
        chapters: &links,
        chapter: None,
        toc: Vec::new(),
        prev: None,
        next: None,
        knowledge: None,
        sidebar_script: book.chapters.len() > SIDEBAR_INLINE_MAX,
    };
    templates.context("page.html", &base)
}

/// The index page and the glossary, comparison and review pages.
fn render_other_pages(
    book: &Book,
    lang: &str,
    templates: &Templates,
    pages: &Pages<'_>,
) -> Result<(), Fatal> {
    let mut context = base_context(book, lang, templates)?;
    pages.page("index.html", "index.html", &context)?;
    // The knowledge of a big book is a big value: one context holds it for every page that
    // shows it, rather than a copy for each.
    context.insert_value(
        "knowledge",
        tera::value::Value::from_serializable(&book.knowledge),
    );
    for page in ["glossary.html", "comparisons.html", "review.html"] {
        context.insert("current", page);
        pages.page(page, page, &context)?;
    }
    Ok(())
}

/// Every chapter's page.
fn render_chapters(
    book: &Book,
    lang: &str,
    templates: &Templates,
    pages: &Pages<'_>,
) -> Result<(), Fatal> {
    let words = Words::for_language(lang);
    let mut base = base_context(book, lang, templates)?;
    base.insert("root", "../");
    // The first chapter alone first: it settles how chapter pages are minified.
    let Some(first) = book.chapters.first() else {
        return Ok(());
    };
    render_chapter(book, 0, first, &words, &RefCell::new(base.clone()), pages)?;
    // Each thread fills one copy of the context for chapter after chapter: a copy for every
    // chapter would copy the list of all chapters as many times.
    book.chapters
        .par_iter()
        .enumerate()
        .skip(1)
        .try_for_each_init(
            || RefCell::new(base.clone()),
            |context, (i, chapter)| render_chapter(book, i, chapter, &words, context, pages),
        )
}

/// The page of chapter `i` of `book`, with `chapter` in its place (a chapter rebuilt alone).
pub fn render_one_chapter(
    book: &Book,
    i: usize,
    chapter: &Chapter,
    lang: &str,
    templates: &Templates,
    options: RenderOptions<'_>,
    sink: &dyn Sink,
) -> Result<(), Fatal> {
    let pages = Pages::new(sink, templates, options);
    let words = Words::for_language(lang);
    let mut base = base_context(book, lang, templates)?;
    base.insert("root", "../");
    render_chapter(book, i, chapter, &words, &RefCell::new(base), &pages)
}

fn render_chapter(
    book: &Book,
    i: usize,
    chapter: &Chapter,
    words: &Words,
    context: &RefCell<tera::Context>,
    pages: &Pages<'_>,
) -> Result<(), Fatal> {
    let prev = match i.checked_sub(1) {
        Some(p) => NavLink {
            href: format!("{}.html", book.chapters[p].slug),
            title: &book.chapters[p].title,
        },
        None => NavLink {
            href: "../index.html".into(),
            title: words.home,
        },
    };
    let next = book.chapters.get(i + 1).map(|n| NavLink {
        href: format!("{}.html", n.slug),
        title: &n.title,
    });
    let toc = toc(&chapter.headings);
    // The body is slot 0; the definitions, a big part of a page linked to many terms, slot 1
    // (none when there are none: the template leaves out what is empty).
    let definitions = !chapter.term_definitions.is_empty();
    // Every key a chapter sets is set again for the next one.
    let render = |slot: &dyn Fn(usize) -> String| {
        let mut context = context.borrow_mut();
        context.insert("current", &chapter.slug);
        let term_definitions = if definitions { slot(1) } else { String::new() };
        context.insert(
            "chapter",
            &ChapterView::new(chapter, slot(0), term_definitions),
        );
        context.insert("toc", &toc);
        context.insert("prev", &prev);
        context.insert("next", &next);
        pages.templates().render_context("chapter.html", &context)
    };
    pages.slotted(
        &format!("chapters/{}.html", chapter.slug),
        1 + usize::from(definitions),
        render,
        |i, _| match i {
            0 => Cow::Borrowed(chapter.html.as_str()),
            _ => Cow::Borrowed(chapter.term_definitions.as_str()),
        },
    )
}

/// Minify a page; `<pre>` content and scripts are left as they are.
pub fn minify(html: &str) -> Vec<u8> {
    let mut cfg = minify_html::Cfg::new();
    cfg.minify_css = true;
    cfg.minify_js = false;
    cfg.keep_closing_tags = true;
    cfg.keep_html_and_head_opening_tags = true;
    minify_html::minify(html.as_bytes(), &cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_pre_content_byte_for_byte() {
        let code = "<code>  a:\n    b: 1   # c\n\n\tx &lt;y&gt;\n</code>";
        let out = String::from_utf8(minify(&format!(
            "<p>  x  </p>\n<pre class=\"hl\">{code}</pre>\n"
        )))
        .unwrap();
        // Entities may be shortened (`&gt;` to `>`); the text a reader sees is unchanged.
        assert!(out.contains(&code.replace("&gt;", ">")), "{out}");
    }

    #[test]
    fn bare_values_have_no_white_space_quotes_or_markup() {
        for b in 0u8..128 {
            let value = format!("a{}", b as char);
            let needs_quotes = b.is_ascii_whitespace() || b"\"'=<>`".contains(&b);
            assert_eq!(can_be_bare(&value), !needs_quotes && b != b'/', "{b}");
        }
        assert!(can_be_bare("名称-1.2_x"));
        assert!(!can_be_bare(""));
    }

    #[test]
    fn end_tags_are_found_in_any_case() {
        for (html, name) in [
            ("a<span>b</span></pre>c", "pre"),
            ("a</PRE>b</pre>", "pre"),
            ("a</pRe>b</pre>", "PRE"),
            ("a</prE", "pre"),
            ("a</Path>b</pre>", "pre"),
            ("</pr</pre", "pre"),
            ("x</Script >y", "script"),
            ("no end", "pre"),
            ("</pr", "pre"),
            ("</p</P</pr</PR</pre", "pre"),
        ] {
            let raw = RAW_TEXT
                .iter()
                .position(|t| t.eq_ignore_ascii_case(name))
                .unwrap();
            assert_eq!(
                find_end_tag(html, raw),
                find_end_tag_any_case(html, name),
                "{html} {name}"
            );
        }
        // Every short text of the letters that matter.
        let letters = ['<', '/', 'p', 'P', 'r', 'E', 'e'];
        let mut texts = vec![String::new()];
        for _ in 0..6 {
            texts = texts
                .iter()
                .flat_map(|t| letters.iter().map(move |c| format!("{t}{c}")))
                .collect();
            for t in &texts {
                assert_eq!(find_end_tag(t, 0), find_end_tag_any_case(t, "pre"), "{t}");
            }
        }
        assert_eq!(RAW_TEXT[0], "pre");
        assert_eq!(find_end_tag("a</PRE>b</pre>", 0), Some(1));
        assert_eq!(find_end_tag("ab</Path></pre>", 0), Some(9));
    }

    #[test]
    fn compact_drops_breaks_after_block_tags_and_needless_quotes() {
        let html = "\n<h2 id=\"a\">A</h2>\n<p>x <em class=\"e\">y</em>\nz <a href=\"a b\" title=\"\">w</a></p>\n<ul>\n<li>1</li>\n</ul>\n";
        assert_eq!(
            compact(html),
            "<h2 id=a>A</h2><p>x <em class=e>y</em>\nz <a href=\"a b\" title=\"\">w</a></p><ul><li>1</li></ul>"
        );
    }

    #[test]
    fn compact_keeps_preformatted_text_and_odd_markup() {
        let html = "<pre class=\"hl\"><code>a:\n  b: \"c\"\n</code></pre>\n<p>1 < 2 & <!-- x=\"y\" -->\n<span title='a=\"b\"'>s</span></p>";
        assert_eq!(
            compact(html),
            "<pre class=hl><code>a:\n  b: \"c\"\n</code></pre><p>1 < 2 & <!-- x=\"y\" -->\n<span title='a=\"b\"'>s</span></p>"
        );
        assert_eq!(compact("<a href=\"x/\">"), "<a href=\"x/\">");
        assert_eq!(
            compact("<input disabled=\"\" type=\"checkbox\"/>"),
            "<input disabled=\"\" type=\"checkbox\"/>"
        );
        assert_eq!(
            compact("<img src=\"a.png\" alt=\"a\" />"),
            "<img src=a.png alt=a />"
        );
        assert_eq!(compact("<p>a</p\nb"), "<p>a</p\nb");
    }

    #[test]
    fn toc_takes_the_top_three_levels() {
        let h = |level, id: &str| Heading {
            level,
            text: id.into(),
            id: id.into(),
        };
        let headings = [h(2, "a"), h(3, "b"), h(4, "c"), h(5, "d")];
        let entries = toc(&headings);
        let ids: Vec<_> = entries.iter().map(|e| (e.id, e.depth)).collect();
        assert_eq!(ids, [("a", 1), ("b", 2), ("c", 3)]);
    }
}
