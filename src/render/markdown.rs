//! Markdown to HTML: pulldown-cmark events, with heading anchors, highlighted code, safe links and sanitised raw HTML.

use crate::model::Heading;
use crate::render::highlight::Highlighter;
use crate::render::{nesting, sanitize};
use crate::repair::yaml::{self, Hint};
use crate::slug::{self, UniqueIds, slugify};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;

/// Ids the page templates use themselves; headings never take them.
pub const RESERVED_IDS: &[&str] = &[
    "content",
    "sidebar",
    "toc",
    "search",
    "search-input",
    "search-results",
    "theme-toggle",
    "menu-toggle",
    "page",
    "top",
];

/// How local links are rewritten: a path relative to the notes folder (`dir/a.md`, `img/x.png`) to
/// its URL relative to a chapter page (`dir-a.html`, `../files/img/x.png`).
pub type LinkMap = BTreeMap<String, String>;

/// The result of rendering one note body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
    /// Local links and images whose target is not in the notes folder: byte offset in the body, target.
    pub broken_links: Vec<(usize, String)>,
    /// Schema hints of YAML blocks: byte offset of the block's opening fence in the body, the hint.
    pub hints: Vec<(usize, Hint)>,
}

/// Markdown extensions the book understands.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// Render a note's Markdown body. `note_path` is the note's path relative to the notes folder,
/// used to resolve links to other notes through `links`.
pub fn render(body: &str, note_path: &str, links: &LinkMap, highlighter: &Highlighter) -> Rendered {
    render_bounded(body, note_path, links, highlighter).0
}

/// [`render`], with the bound it found on how deep the page's elements nest (`None` when the
/// page holds HTML from the note, which has no bound).
fn render_bounded(
    body: &str,
    note_path: &str,
    links: &LinkMap,
    highlighter: &Highlighter,
) -> (Rendered, Option<usize>) {
    let mut ids = UniqueIds::with_reserved(RESERVED_IDS);
    let mut headings = Vec::new();
    // About one event for every 32 bytes of Markdown.
    let mut out: Vec<Event<'_>> = Vec::with_capacity(body.len() / 32);
    let mut ctx = LinkContext {
        note_path,
        links,
        has_raw_html: false,
        raw_events: 0,
        broken: Vec::new(),
    };
    let mut footnotes = Footnotes::default();
    let mut hints = Vec::new();
    // Code blocks are highlighted by studybook, safe by construction: they wait in slots while
    // the rest of the page is sanitized, which then reads a fraction of the HTML.
    let slots = !body.contains(CODE_SLOT);
    let mut blocks: Vec<String> = Vec::new();
    // The highlighted code blocks and the events that are to hold them.
    let mut code_events: Vec<(usize, String)> = Vec::new();
    // The events of `out` that hold HTML from the note, in order.
    let mut raw_items: Vec<usize> = Vec::new();
    let mut parser = Parser::new_ext(body, options()).into_offset_iter();
    // How deep the page's elements may nest, at most: the Markdown's own elements are counted
    // twice (one event may open two, `<table><tbody>`), and each block adds what it writes
    // inside. A page without HTML from the note that stays within the bound is not flattened.
    let mut depth = Depth::default();

    while let Some((event, range)) = parser.next() {
        let raw_before = ctx.raw_events;
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let inner: Vec<Event<'_>> = parser
                    .by_ref()
                    .take_while(|(e, _)| !matches!(e, Event::End(TagEnd::Heading(_))))
                    .map(|(e, r)| ctx.safe_event(e, r.start))
                    .collect();
                // The heading, its inline elements, and its anchor or alias.
                depth.inside(1 + 2 * Depth::of(&inner) + 1);
                let text = plain_text(&inner);
                let id = ids.unique(&slugify(&text));
                let mut inner_html = String::new();
                pulldown_cmark::html::push_html(&mut inner_html, inner.into_iter());
                // Links written for GitHub and the editors that follow it reach the heading too.
                let github = slug::github_slug(&text);
                let alias = if !github.is_empty() && github != id && ids.claim(&github) {
                    format!("<span id=\"{}\"></span>", escape_attr(&github))
                } else {
                    String::new()
                };
                let n = heading_number(level);
                out.push(Event::Html(CowStr::from(format!(
                    "<h{n} id=\"{id}\">{alias}{inner_html}<a class=\"anchor\" href=\"#{id}\" aria-hidden=\"true\">#</a></h{n}>\n",
                    id = escape_attr(&id),
                ))));
                headings.push(Heading {
                    level: n,
                    text: text.trim().to_string(),
                    id,
                });
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match &kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut code = String::new();
                for (e, _) in parser.by_ref() {
                    match e {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(t) => code.push_str(&t),
                        _ => {}
                    }
                }
                let block_hints = if is_yaml(&info) {
                    yaml::schema_hints(&code)
                } else {
                    Vec::new()
                };
                let (mut html, nested) = code_block_nested(&info, &code, highlighter);
                // The hints: `<aside><ul><li><code>`.
                depth.inside(nested.max(4));
                html.push_str(&hints_html(&block_hints));
                hints.extend(block_hints.into_iter().map(|h| (range.start, h)));
                if slots {
                    // Put in its event at the end, or in a slot if the page is sanitized.
                    code_events.push((out.len(), html));
                    out.push(Event::Html(CowStr::from("")));
                } else {
                    out.push(Event::Html(CowStr::from(html)));
                }
            }
            Event::FootnoteReference(label) => {
                depth.inside(2);
                let (id, number) = footnotes.number(&label);
                out.push(Event::Html(CowStr::from(format!(
                    "<sup class=\"footnote-reference\"><a href=\"#fn-{id}\" id=\"fnref-{id}\">{number}</a></sup>"
                ))));
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                depth.open();
                depth.inside(2);
                let (id, number) = footnotes.number(&label);
                out.push(Event::Html(CowStr::from(format!(
                    "<div class=\"footnote-definition\" id=\"fn-{id}\"><sup class=\"footnote-definition-label\"><a href=\"#fnref-{id}\">{number}</a></sup>\n"
                ))));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                depth.close();
                out.push(Event::Html(CowStr::from("</div>\n")));
            }
            other => {
                depth.event(&other);
                out.push(ctx.safe_event(other, range.start));
            }
        }
        if ctx.raw_events > raw_before {
            raw_items.push(out.len() - 1);
        }
    }
    for (at, mut html) in code_events {
        out[at] = if ctx.has_raw_html {
            // The slot ends as the block does, for the line breaks the writer adds.
            let mut slot = code_slot(blocks.len());
            if html.ends_with('\n') {
                html.pop();
                slot.push('\n');
            }
            blocks.push(html);
            Event::Html(CowStr::from(slot))
        } else {
            // Nothing is sanitized: the block is written in place.
            Event::Html(CowStr::from(html))
        };
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    if ctx.has_raw_html && slots {
        // Blocks made of Markdown alone are safe by construction too: they wait in slots as well.
        out = slot_safe_blocks(out, &raw_items, &mut blocks);
    }
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    if ctx.has_raw_html {
        // Elements nested without end (`<div>` thousands of times) are flattened first: the
        // sanitizer's parser slows down with the depth of what is open.
        html = sanitize::clean(&nesting::limit_depth(html, nesting::MAX_DEPTH));
    }
    if !blocks.is_empty() {
        html = fill_code_slots(&html, &mut blocks);
    }
    let bound = (!ctx.has_raw_html).then_some(depth.deepest);
    let html = if bound.is_some_and(|deepest| deepest <= nesting::MAX_DEPTH) {
        html
    } else {
        nesting::limit_depth(html, nesting::MAX_DEPTH)
    };
    let rendered = Rendered {
        html,
        headings,
        broken_links: ctx.broken,
        hints,
    };
    (rendered, bound)
}

/// Marks a code block's slot in a page's HTML (a private-use character; a note that holds one has
/// its code blocks in place from the start).
const CODE_SLOT: char = '\u{E002}';

/// The text standing for code block `i` until [`fill_code_slots`].
fn code_slot(i: usize) -> String {
    format!("{CODE_SLOT}{i}{CODE_SLOT}")
}

/// `events` with each top-level block that holds no HTML from the note (`raw`: the indexes of
/// the events that do, ascending) written ahead, its code blocks filled in, and put in a slot of
/// `blocks`.
fn slot_safe_blocks<'a>(
    events: Vec<Event<'a>>,
    raw: &[usize],
    blocks: &mut Vec<String>,
) -> Vec<Event<'a>> {
    let mut reduced = Vec::with_capacity(events.len() / 4);
    let mut raw = raw.iter().copied().peekable();
    let mut item: Vec<Event<'a>> = Vec::new();
    let mut item_raw = false;
    let mut depth = 0usize;
    for (i, event) in events.into_iter().enumerate() {
        if raw.peek() == Some(&i) {
            raw.next();
            item_raw = true;
        }
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        item.push(event);
        if depth > 0 {
            continue;
        }
        if item_raw || !matches!(item[0], Event::Start(_)) {
            reduced.append(&mut item);
        } else {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, item.drain(..));
            let mut html = fill_code_slots(&html, blocks);
            let mut slot = code_slot(blocks.len());
            if html.ends_with('\n') {
                html.pop();
                slot.push('\n');
            }
            blocks.push(html);
            reduced.push(Event::Html(CowStr::from(slot)));
        }
        item_raw = false;
    }
    reduced.append(&mut item);
    reduced
}

/// `html` with each code block's slot replaced by the block (taken from `blocks`).
fn fill_code_slots(html: &str, blocks: &mut [String]) -> String {
    // Room for the blocks this HTML holds, not for all of them: a page's blocks are filled into
    // each of its parts in turn.
    let mut room = html.len();
    let mut rest = html;
    while let Some(at) = rest.find(CODE_SLOT) {
        let after = &rest[at + CODE_SLOT.len_utf8()..];
        match slot_index(after) {
            Some((len, i)) => {
                room += blocks.get(i).map_or(0, String::len);
                rest = &after[len..];
            }
            None => rest = after,
        }
    }
    let mut out = String::with_capacity(room);
    let mut rest = html;
    while let Some(at) = rest.find(CODE_SLOT) {
        out.push_str(&rest[..at]);
        let after = &rest[at + CODE_SLOT.len_utf8()..];
        match slot_index(after).and_then(|(len, i)| Some((len, blocks.get_mut(i)?))) {
            Some((len, block)) => {
                out.push_str(&std::mem::take(block));
                rest = &after[len..];
            }
            None => {
                out.push(CODE_SLOT);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// For the text `after` the opening mark of a code slot: the slot's block index and the length
/// of the rest of the slot (its digits and closing mark).
fn slot_index(after: &str) -> Option<(usize, usize)> {
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if !after[digits..].starts_with(CODE_SLOT) {
        return None;
    }
    let i = after[..digits].parse::<usize>().ok()?;
    Some((digits + CODE_SLOT.len_utf8(), i))
}

/// Footnotes numbered in order of first appearance, with ids (`fn-<label>`) that cannot clash with headings.
#[derive(Default)]
struct Footnotes {
    numbers: std::collections::HashMap<String, usize>,
}

impl Footnotes {
    /// The id part and the number shown for a footnote label.
    fn number(&mut self, label: &str) -> (String, usize) {
        let next = self.numbers.len() + 1;
        let number = *self.numbers.entry(label.to_string()).or_insert(next);
        (escape_attr(&slugify(label)), number)
    }
}

/// What link rewriting needs while walking one note's events, and what it finds.
struct LinkContext<'l> {
    note_path: &'l str,
    links: &'l LinkMap,
    has_raw_html: bool,
    /// How many events of HTML from the note have been made safe so far.
    raw_events: usize,
    broken: Vec<(usize, String)>,
}

impl LinkContext<'_> {
    /// Make an event safe to emit: rewrite local links, neutralise script URLs, note raw HTML.
    fn safe_event<'a>(&mut self, mut event: Event<'a>, offset: usize) -> Event<'a> {
        match &mut event {
            Event::Html(_) | Event::InlineHtml(_) => {
                self.has_raw_html = true;
                self.raw_events += 1;
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                *dest_url = CowStr::from(self.rewrite(dest_url, offset));
            }
            _ => {}
        }
        event
    }

    fn rewrite(&mut self, dest: &str, offset: usize) -> String {
        match resolve_link(dest, self.note_path, self.links) {
            Resolved::Rewritten(url) | Resolved::Kept(url) => url,
            Resolved::Missing(url) => {
                self.broken.push((offset, dest.to_string()));
                url
            }
        }
    }
}

/// A URL whose scheme can run script is replaced by nothing.
pub fn safe_url(url: &str) -> Option<&str> {
    // The scheme, read without white space and control characters (`java\tscript:`), in lower
    // case; only a short ASCII one can be one of those refused.
    let mut scheme = [0u8; UNSAFE_SCHEME_MAX];
    let chars = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control());
    for (len, c) in chars.enumerate() {
        if c == ':' {
            return match &scheme[..len] {
                b"javascript" | b"vbscript" | b"data" => None,
                _ => Some(url),
            };
        }
        if !c.is_ascii() || len == UNSAFE_SCHEME_MAX {
            return Some(url);
        }
        scheme[len] = (c as u8).to_ascii_lowercase();
    }
    Some(url)
}

/// The length of the longest scheme [`safe_url`] refuses (`javascript`).
const UNSAFE_SCHEME_MAX: usize = 10;

/// Where a link of a note goes in the book.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    /// A local link rewritten to its place in the book.
    Rewritten(String),
    /// A link kept as written: external, in-page, or unsafe and replaced.
    Kept(String),
    /// A local link whose target is not in the notes folder, kept as written.
    Missing(String),
}

/// Resolve a link or image of a note (`../k8s/pod.md#probes`, `img/a.png`) against the book.
fn resolve_link(dest: &str, note_path: &str, links: &LinkMap) -> Resolved {
    let Some(dest) = safe_url(dest) else {
        return Resolved::Kept("#".to_string());
    };
    let has_scheme = dest.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if has_scheme || dest.starts_with('#') || dest.starts_with("//") || dest.is_empty() {
        return Resolved::Kept(dest.to_string());
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    let decoded = crate::render::print::percent_decode(path).into_owned();
    // A path from the root (`/k8s/pod.md`) starts at the root of the site the note was written
    // for: the notes folder, or the first folder above the note (a copied documentation site)
    // where the path names something. One that names nothing may be a page of the site, kept
    // as written.
    let from_root = decoded.starts_with('/');
    let dir = note_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let join = |base: &str| {
        normalize_path(&if base.is_empty() {
            decoded.clone()
        } else {
            format!("{base}/{decoded}")
        })
    };
    let joined = if from_root {
        let above = dir
            .match_indices('/')
            .map(|(at, _)| &dir[..at])
            .chain((!dir.is_empty()).then_some(dir));
        std::iter::once("")
            .chain(above)
            .map(join)
            .find(|path| links.contains_key(path))
            .unwrap_or_else(|| join(""))
    } else {
        join(dir)
    };
    match links.get(&joined) {
        Some(page) => Resolved::Rewritten(match fragment {
            Some(f) => format!("{page}#{f}"),
            None => page.clone(),
        }),
        None if from_root && !is_note_path(&joined) => Resolved::Kept(dest.to_string()),
        None => Resolved::Missing(dest.to_string()),
    }
}

/// Whether a path names a Markdown note.
fn is_note_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The text a reader sees in a run of inline events.
fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for e in events {
        match e {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text
}

/// A highlighted code block. The info string's first word is the language; the word `truncated`
/// marks a remnant of a longer block.
pub fn code_block(info: &str, code: &str, highlighter: &Highlighter) -> String {
    code_block_nested(info, code, highlighter).0
}

/// [`code_block`], with how deep its elements nest at most.
fn code_block_nested(info: &str, code: &str, highlighter: &Highlighter) -> (String, usize) {
    let mut words = info.split_whitespace();
    let lang = Highlighter::canonical_lang(words.next().unwrap_or(""));
    let truncated = words.any(|w| w == "truncated");
    let lang_attr = escape_attr(&lang);
    let (body, spans) = highlighter.highlight_nested(&lang, code);
    let class = if truncated { "hl truncated" } else { "hl" };
    let mut html = format!(
        "<pre class=\"{class}\" data-lang=\"{lang_attr}\"><code class=\"language-{lang_attr}\">{body}</code></pre>\n"
    );
    if truncated {
        html.push_str(
            "<p class=\"truncated-note\">The source of this block was cut off here; the rest of it is lost.</p>\n",
        );
    }
    // `<pre><code>` and the spans inside.
    (html, 2 + spans)
}

/// The nesting of the elements written so far (see [`render`]): Markdown containers open, and
/// the deepest any element has been.
#[derive(Default)]
struct Depth {
    open: usize,
    deepest: usize,
}

impl Depth {
    /// A container opens: it may write two elements.
    fn open(&mut self) {
        self.open += 1;
        self.deepest = self.deepest.max(2 * self.open);
    }

    fn close(&mut self) {
        self.open = self.open.saturating_sub(1);
    }

    /// Something `levels` deep is written inside the open containers.
    fn inside(&mut self, levels: usize) {
        self.deepest = self.deepest.max(2 * self.open + levels);
    }

    /// A Markdown event as the HTML writer writes it: a start or end tag, or an inline element
    /// (code, math) at most one deep.
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(_) => self.open(),
            Event::End(_) => self.close(),
            _ => self.inside(1),
        }
    }

    /// How deep the start and end events of `events` nest.
    fn of(events: &[Event<'_>]) -> usize {
        let mut depth = Depth::default();
        for e in events {
            depth.event(e);
        }
        depth.deepest.div_ceil(2)
    }
}

fn is_yaml(info: &str) -> bool {
    Highlighter::canonical_lang(info.split_whitespace().next().unwrap_or("")) == "yaml"
}

/// Schema hints shown under a YAML block: a quiet note, with `field` names as code.
fn hints_html(hints: &[Hint]) -> String {
    if hints.is_empty() {
        return String::new();
    }
    let mut html = String::from("<aside class=\"schema-hints\" role=\"note\"><ul>");
    for hint in hints {
        let message = escape_attr(&hint.message);
        let mut parts = message.split('`');
        let mut text = parts.next().unwrap_or("").to_string();
        for (i, part) in parts.enumerate() {
            if i % 2 == 0 {
                text.push_str(&format!("<code>{part}</code>"));
            } else {
                text.push_str(part);
            }
        }
        html.push_str(&format!(
            "<li><span class=\"hint-line\">line {}</span> {text}</li>",
            hint.line
        ));
    }
    html.push_str("</ul></aside>\n");
    html
}

/// Escape text for an HTML attribute value or text node.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::render::highlight::escape_into(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(body: &str) -> Rendered {
        render(body, "a.md", &LinkMap::new(), Highlighter::global())
    }

    /// [`safe_url`] as it reads: the URL without white space and control characters, its
    /// scheme in lower case.
    fn safe_url_by_cleaning(url: &str) -> Option<&str> {
        let cleaned: String = url
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        let scheme = cleaned.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("javascript" | "vbscript" | "data") => None,
            _ => Some(url),
        }
    }

    #[test]
    fn script_and_data_urls_are_refused_in_any_case_and_spacing() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:x",
            " java\tscript :x",
            "java\u{0}script:x",
            "VBSCRIPT:x",
            "data:text/html,x",
            "da ta:x",
        ] {
            assert_eq!(safe_url(url), None, "{url:?}");
        }
        for url in [
            "https://a.b/javascript:x",
            "javascripts:x",
            "jаvascript:x",
            "x.html#data:1",
            "../data/a.png",
            "",
        ] {
            assert_eq!(safe_url(url), Some(url), "{url:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn urls_are_judged_as_when_cleaned(
            url in "(javascript|JAVA|vb|script|data|Dat|[ \t\u{0}\u{3000}:a/é中]){0,6}",
        ) {
            proptest::prop_assert_eq!(safe_url(&url), safe_url_by_cleaning(&url));
        }
    }

    /// How deep the elements of `html` (as the renderer writes it) nest.
    fn nesting_of(html: &str) -> usize {
        const VOID: [&str; 5] = ["br", "hr", "img", "input", "meta"];
        let (mut depth, mut deepest) = (0usize, 0usize);
        for (at, _) in html.match_indices('<') {
            let tag = &html[at + 1..];
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if name.is_empty() || VOID.contains(&name.as_str()) {
                continue;
            }
            if tag.starts_with('/') {
                depth -= 1;
            } else {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
        assert_eq!(depth, 0, "{html}");
        deepest
    }

    #[test]
    fn the_nesting_bound_holds_and_only_deeper_pages_are_flattened() {
        let nested_lists: String = (0..12)
            .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
            .collect();
        let bodies = [
            "# A *b* [c](d.md)\n\npara **bold _it `code` x_** ~~s~~ $x$\n".to_string(),
            nested_lists,
            "> > > - a\n> > >   > | a | b |\n> > >   > |---|---|\n> > >   > | `1` | **2** |\n".to_string(),
            "- [ ] task[^n]\n\n[^n]: note *em* [l](x.md)\n\n---\n\n![alt *x*](a.png)\n".to_string(),
            "```yaml\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    imagee: b\n```\n".to_string(),
            "```console\n$ echo $(a $(b $(c)))\nout\n```\n\n```sql\nselect 1;\n+---+\n| 1 |\n+---+\n```\n".to_string(),
            format!("1. a\n   ```bash\n   echo {}x{}\n   ```\n", "$(".repeat(60), ")".repeat(60)),
            "| `a` | b |\n|---|---|\n| c | d |\n".to_string(),
            "Term\n: *definition* `x`\n\n## H *i* <span>raw</span>\n".to_string(),
        ];
        for body in &bodies {
            let (out, bound) = render_bounded(body, "a.md", &LinkMap::new(), Highlighter::global());
            assert_eq!(bound.is_none(), body.contains("<span>"), "{body}");
            if let Some(bound) = bound {
                assert!(nesting_of(&out.html) <= bound, "{bound}: {}", out.html);
            }
        }
        // Lists nested beyond the limit are past the bound, and flattened.
        let deep: String = (0..120)
            .map(|i| format!("{}- {i}\n", "  ".repeat(i)))
            .collect();
        let (out, bound) = render_bounded(&deep, "a.md", &LinkMap::new(), Highlighter::global());
        assert!(bound.is_some_and(|b| b > nesting::MAX_DEPTH));
        assert!(nesting_of(&out.html) <= nesting::MAX_DEPTH);
    }

    #[test]
    fn attribute_values_escape_the_five_characters_and_keep_the_rest() {
        assert_eq!(escape_attr(""), "");
        assert_eq!(escape_attr("持久卷 PV"), "持久卷 PV");
        assert_eq!(
            escape_attr("a&b<c>d\"e'f"),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f"
        );
        assert_eq!(escape_attr("\"卷\"&"), "&quot;卷&quot;&amp;");
    }

    #[test]
    fn code_blocks_beside_raw_html_are_kept_whole_and_the_html_is_still_cleaned() {
        let body = "<div onclick=\"x()\">a</div>\n\n```yaml\nkey: \"v\" # <b>\n```\n\n- item\n\n  ```bash\n  echo '<script>'\n  ```\n\n<script>alert(1)</script>\n";
        let out = r(body);
        assert!(!out.html.contains("onclick"), "{}", out.html);
        assert!(!out.html.contains("alert"), "{}", out.html);
        assert!(!out.html.contains(CODE_SLOT), "{}", out.html);
        assert_eq!(
            out.html.matches("<pre class=\"hl\"").count(),
            2,
            "{}",
            out.html
        );
        assert!(out.html.contains("&lt;b&gt;"), "{}", out.html);
        assert!(out.html.contains("&lt;script&gt;"), "{}", out.html);
        // Each block is followed by one line break, as any block is.
        assert!(!out.html.contains("</pre>\n\n"), "{}", out.html);
    }

    #[test]
    fn markdown_blocks_beside_raw_html_are_kept_in_place_and_only_the_html_is_cleaned() {
        let body = "前言 [链接](javascript:alert(1))\n\n<div class=\"note\">\n\n| 左 | 中 |\n|:--|:-:|\n| a | b |\n\n- [ ] 待办\n\n</div>\n\n段落 <img src=\"a.png\" onerror=\"x()\"> 尾\n\n<script>alert(2)</script>\n\n结语\n";
        let html = r(body).html;
        for gone in [
            "onerror",
            "alert",
            "javascript:",
            CODE_SLOT.to_string().as_str(),
        ] {
            assert!(!html.contains(gone), "{gone}: {html}");
        }
        // In order, the Markdown table inside the note's <div>, its alignment kept as in any
        // chapter.
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s}: {html}"));
        assert!(at("前言") < at("<div class=\"note\">"));
        assert!(at("<div class=\"note\">") < at("<th style=\"text-align: center\">中</th>"));
        assert!(at("type=\"checkbox\"") < at("</div>"));
        assert!(at("</div>") < at("<img src=\"a.png\">"));
        assert!(at("<img src=\"a.png\">") < at("结语"));
    }

    #[test]
    fn a_note_holding_the_slot_mark_keeps_its_text_and_its_code() {
        let body = "a \u{E002}0\u{E002} b <br>\n\n```\ncode\n```\n";
        let out = r(body);
        assert!(out.html.contains("a \u{E002}0\u{E002} b"), "{}", out.html);
        assert!(out.html.contains(">code\n</code></pre>"), "{}", out.html);
    }

    #[test]
    fn headings_get_unique_chinese_ids() {
        let out = r("## 什么是 Pod\n\ntext\n\n## 什么是 Pod\n\n### `kubectl` 命令\n");
        let ids: Vec<_> = out.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["什么是-pod", "什么是-pod-1", "kubectl-命令"]);
        assert!(out.html.contains("<h2 id=\"什么是-pod\">"));
        assert_eq!(out.headings[2].text, "kubectl 命令");
        assert_eq!(out.headings[2].level, 3);
    }

    #[test]
    fn heading_ids_avoid_template_ids() {
        let out = r("# Content\n");
        assert_eq!(out.headings[0].id, "content-1");
    }

    #[test]
    fn thousands_of_nested_lists_and_quotes_are_bounded_and_keep_their_text() {
        for body in [
            format!("{}deepest\n", "- ".repeat(3000)),
            format!("{}deepest\n", "> ".repeat(3000)),
            format!(
                "<div>{}deepest{}</div>\n",
                "<div>".repeat(3000),
                "</div>".repeat(3000)
            ),
        ] {
            let out = r(&body);
            assert!(out.html.contains("deepest"), "{}", &out.html[..200]);
            let opened = out.html.matches("<ul>").count()
                + out.html.matches("<li>").count()
                + out.html.matches("<blockquote>").count()
                + out.html.matches("<div>").count();
            assert!(opened <= nesting::MAX_DEPTH, "{opened} elements kept");
        }
    }

    #[test]
    fn template_braces_stay_literal() {
        let out = r("Use {{ .Values.image }} and {% raw %} here.\n");
        assert!(out.html.contains("{{ .Values.image }}"), "{}", out.html);
        assert!(out.html.contains("{% raw %}"));
    }

    #[test]
    fn script_and_event_handlers_are_removed() {
        let out = r(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[x](javascript:alert(3)) <a href=\"javascript:alert(4)\">y</a>\n",
        );
        for bad in ["<script", "onerror", "javascript:", "alert(1)"] {
            assert!(!out.html.contains(bad), "{bad} in {}", out.html);
        }
    }

    #[test]
    fn harmless_html_is_kept() {
        let out = r(
            "a<br>b <kbd>Ctrl</kbd>\n\n<details><summary>more</summary>\n\nhidden\n\n</details>\n",
        );
        assert!(out.html.contains("<kbd>Ctrl</kbd>"), "{}", out.html);
        assert!(out.html.contains("<details>"), "{}", out.html);
    }

    #[test]
    fn extensions() {
        let out = r("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~ [^1]\n\n- [x] done\n\n[^1]: note\n");
        assert!(out.html.contains("<table>"));
        assert!(out.html.contains("<del>x</del>"));
        assert!(out.html.contains("checkbox"));
        assert!(out.html.contains("footnote"));
    }

    #[test]
    fn code_blocks_are_highlighted_with_classes() {
        let out = r("```yml\napiVersion: v1\nkind: Pod\n```\n");
        assert!(
            out.html.contains("<pre class=\"hl\" data-lang=\"yaml\">"),
            "{}",
            out.html
        );
        assert!(out.html.contains("<span class=\"hl-"), "{}", out.html);
        assert!(!out.html.contains("style="));
    }

    #[test]
    fn yaml_blocks_get_schema_hints() {
        let out = r(
            "```yaml\napiVersion: apps/v1\nkind: Deployment\nspec:\n  selector:\n    matchLables:\n      app: web\n```\n",
        );
        assert_eq!(out.hints.len(), 1, "{:?}", out.hints);
        assert_eq!(out.hints[0].1.line, 5);
        assert!(out.html.contains("class=\"schema-hints\""), "{}", out.html);
        assert!(
            out.html.contains("<code>matchLabels</code>"),
            "{}",
            out.html
        );
    }

    #[test]
    fn truncated_blocks_are_marked() {
        let out = r("```yaml truncated\napiVersion: v1\n```\n");
        assert!(out.html.contains("class=\"hl truncated\""));
        assert!(out.html.contains("truncated-note"));
    }

    #[test]
    fn note_links_point_to_chapter_pages() {
        let mut links = LinkMap::new();
        links.insert("k8s/存储.md".to_string(), "k8s-存储.html".to_string());
        let out = render(
            "[s](存储.md#pv) [t](%E5%AD%98%E5%82%A8.md) [u](https://x.io/a.md)",
            "k8s/pod.md",
            &links,
            Highlighter::global(),
        );
        assert!(
            out.html.contains("href=\"k8s-%E5%AD%98%E5%82%A8.html#pv\""),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("href=\"k8s-%E5%AD%98%E5%82%A8.html\""),
            "{}",
            out.html
        );
        assert!(out.html.contains("href=\"https://x.io/a.md\""));
        assert!(out.broken_links.is_empty());
    }

    #[test]
    fn headings_answer_to_their_github_anchors_too() {
        let out = render(
            "## tidb_gc_enable 从 v5.0 版本开始引入\n\n## Pod 生命周期\n",
            "a.md",
            &LinkMap::new(),
            Highlighter::global(),
        );
        assert!(
            out.html.contains(
                "<h2 id=\"tidb_gc_enable-从-v5-0-版本开始引入\"><span id=\"tidb_gc_enable-从-v50-版本开始引入\"></span>"
            ),
            "{}",
            out.html
        );
        // The same anchor either way: no second id.
        assert!(
            out.html.contains("<h2 id=\"pod-生命周期\">Pod"),
            "{}",
            out.html
        );
    }

    #[test]
    fn links_from_the_root_start_at_the_notes_folder() {
        let mut links = LinkMap::new();
        links.insert("k8s/存储.md".to_string(), "k8s-存储.html".to_string());
        links.insert("img/a.png".to_string(), "../files/img/a.png".to_string());
        // A documentation site copied into the notes has its own root.
        links.insert(
            "site/v1/setup.md".to_string(),
            "site-v1-setup.html".to_string(),
        );
        let body = "[s](/k8s/存储.md#pv) ![a](/img/a.png) [site](/about/) [cdn](//cdn.io/x.js) [gone](/k8s/gone.md)";
        let out = render(body, "docs/intro.md", &links, Highlighter::global());
        let copied = render(
            "[v](/v1/setup.md) [k](/k8s/存储.md)",
            "site/guide/intro.md",
            &links,
            Highlighter::global(),
        );
        assert!(
            copied.html.contains("href=\"site-v1-setup.html\"")
                && copied.html.contains("href=\"k8s-%E5%AD%98%E5%82%A8.html\""),
            "{}",
            copied.html
        );
        for href in [
            "href=\"k8s-%E5%AD%98%E5%82%A8.html#pv\"",
            "src=\"../files/img/a.png\"",
            "href=\"/about/\"",
            "href=\"//cdn.io/x.js\"",
        ] {
            assert!(out.html.contains(href), "{href} in {}", out.html);
        }
        let broken: Vec<&str> = out.broken_links.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(broken, ["/k8s/gone.md"]);
    }

    #[test]
    fn images_are_found_and_missing_targets_reported() {
        let mut links = LinkMap::new();
        links.insert(
            "k8s/img/a b.png".to_string(),
            "../files/k8s/img/a b.png".to_string(),
        );
        let body = "![a](img/a%20b.png)\n\n![x](../../img/x.png) [y](missing.md)\n";
        let out = render(body, "k8s/pod.md", &links, Highlighter::global());
        assert!(
            out.html.contains("src=\"../files/k8s/img/a%20b.png\""),
            "{}",
            out.html
        );
        let broken: Vec<_> = out
            .broken_links
            .iter()
            .map(|(o, t)| (*o, t.as_str()))
            .collect();
        assert_eq!(broken, [(21, "../../img/x.png"), (43, "missing.md")]);
    }
}
