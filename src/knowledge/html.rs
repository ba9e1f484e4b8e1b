//! Reading the HTML of a rendered chapter: its tags and text, and its sections by heading.
//!
//! The HTML comes from the Markdown renderer and the sanitizer, so it is well-formed: tags are
//! balanced, attribute values are quoted, and text holds only the five basic entities or numeric ones.

/// One piece of a chapter's HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// A start or end tag: its lower-case name, whether it closes, and its whole text.
    Tag {
        name: &'a str,
        closing: bool,
        raw: &'a str,
    },
    /// Text between tags, still escaped.
    Text(&'a str),
}

/// The tokens of `html` with their byte offsets.
pub fn tokens(html: &str) -> Vec<(usize, Token<'_>)> {
    token_iter(html).collect()
}

/// The tokens of `html` with their byte offsets, one by one.
pub fn token_iter(html: &str) -> impl Iterator<Item = (usize, Token<'_>)> {
    token_iter_from(html, 0)
}

/// [`token_iter`] from byte offset `from` on.
fn token_iter_from(html: &str, from: usize) -> impl Iterator<Item = (usize, Token<'_>)> {
    let bytes = html.as_bytes();
    let mut i = from;
    std::iter::from_fn(move || {
        if i >= html.len() {
            return None;
        }
        let start = i;
        if bytes[i] == b'<' {
            let end = memchr::memchr(b'>', &bytes[i..]).map_or(html.len(), |e| i + e + 1);
            let raw = &html[i..end];
            let (name, closing) = tag_name(raw);
            i = end;
            Some((start, Token::Tag { name, closing, raw }))
        } else {
            let end = memchr::memchr(b'<', &bytes[i..]).map_or(html.len(), |e| i + e);
            i = end;
            Some((start, Token::Text(&html[start..end])))
        }
    })
}

/// The name of the tag whose text is `raw` (`<` to `>`), and whether it is an end tag.
fn tag_name(raw: &str) -> (&str, bool) {
    // Byte by byte: `<`, `>` and `/` are ASCII, and so are the names of tags.
    let raw_bytes = raw.as_bytes();
    // Most tags are `<name`, or `</name`, then white space, `/` or the closing `>`.
    let closing = raw_bytes.get(1) == Some(&b'/');
    let start = 1 + usize::from(closing);
    if raw_bytes.first() == Some(&b'<') && !matches!(raw_bytes.get(start), Some(b'<' | b'/')) {
        let end = start
            + raw_bytes[start.min(raw.len())..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
        match raw_bytes.get(end) {
            Some(b'/') => return (&raw[start..end], closing),
            Some(b) if b.is_ascii_whitespace() => return (&raw[start..end], closing),
            Some(b'>') if end + 1 == raw.len() => return (&raw[start..end], closing),
            _ => {}
        }
    }
    tag_name_of_any_shape(raw)
}

/// [`tag_name`] of any tag, with any number of `<`, `/` and `>` around its name.
fn tag_name_of_any_shape(raw: &str) -> (&str, bool) {
    let raw_bytes = raw.as_bytes();
    let first = raw_bytes.iter().take_while(|&&b| b == b'<').count();
    let last = raw_bytes.len()
        - raw_bytes[first..]
            .iter()
            .rev()
            .take_while(|&&b| b == b'>')
            .count();
    let inner = &raw[first..last];
    let closing = inner.starts_with('/');
    let inner = &inner[inner.bytes().take_while(|&b| b == b'/').count()..];
    let name_end = match inner
        .bytes()
        .position(|b| b >= 0x80 || b == b'/' || (b as char).is_whitespace())
    {
        // A name that runs into other characters ends at the first white space among them.
        Some(p) if inner.as_bytes()[p] >= 0x80 => {
            p + inner[p..]
                .find(|c: char| c.is_whitespace() || c == '/')
                .unwrap_or(inner.len() - p)
        }
        Some(p) => p,
        None => inner.len(),
    };
    (&inner[..name_end], closing)
}

/// [`token_iter`], but the content of each `<pre>` element (highlighted code: most of a page's
/// tags) comes as one [`Token::Text`], tags and all, as it is written: readers that do not look
/// into code blocks skip it at once.
pub fn token_iter_pre_as_text(html: &str) -> impl Iterator<Item = (usize, Token<'_>)> {
    let mut tokens = token_iter_from(html, 0);
    // Where the content of a `<pre>` just read starts.
    let mut pre_content: Option<usize> = None;
    std::iter::from_fn(move || {
        if let Some(start) = pre_content.take() {
            let end = start + pre_content_len(&html[start..]);
            if end > start {
                tokens = token_iter_from(html, end);
                return Some((start, Token::Text(&html[start..end])));
            }
        }
        let (at, token) = tokens.next()?;
        if let Token::Tag {
            name: "pre",
            closing: false,
            raw,
        } = token
            && !raw.ends_with("/>")
        {
            pre_content = Some(at + raw.len());
        }
        Some((at, token))
    })
}

/// The length of the content of a `<pre>` element starting `html`: up to its end tag, `<pre>`
/// elements inside it included; all of `html` when the element is not closed.
fn pre_content_len(html: &str) -> usize {
    let bytes = html.as_bytes();
    let mut depth = 1usize;
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[from..]) {
        let at = from + off;
        let rest = &bytes[at + 1..];
        let (closing, name) = match rest.strip_prefix(b"/") {
            Some(name) => (true, name),
            None => (false, rest),
        };
        let is_pre = name.starts_with(b"pre")
            && name
                .get(3)
                .is_none_or(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace());
        if is_pre {
            if closing {
                depth -= 1;
                if depth == 0 {
                    return at;
                }
            } else {
                depth += 1;
            }
        }
        from = at + 1;
    }
    html.len()
}

/// Text with its entities decoded.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_unescaped(&mut out, text);
    out
}

/// [`unescape`] onto the end of `out`.
pub fn push_unescaped(out: &mut String, text: &str) {
    if memchr::memchr(b'&', text.as_bytes()).is_none() {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|&b| b == b';')
        else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Text escaped for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    crate::render::markdown::escape_attr(text)
}

/// Whether a tag name is a heading (`h1` … `h6`) and its level.
pub fn heading_level(name: &str) -> Option<u8> {
    let mut chars = name.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some('h' | 'H'), Some(d @ '1'..='6'), None) => Some(d as u8 - b'0'),
        _ => None,
    }
}

/// The value of attribute `attr` in a tag's text.
pub fn attribute<'a>(raw: &'a str, attr: &str) -> Option<&'a str> {
    // The first ` attr="`: the name with a space before it and `="` after.
    let bytes = raw.as_bytes();
    let mut from = 0;
    let start = loop {
        let at = from + raw.get(from..)?.find(attr)?;
        let after = at + attr.len();
        if at > 0 && bytes[at - 1] == b' ' && raw[after..].starts_with("=\"") {
            break after + 2;
        }
        from = at + raw[at..].chars().next().map_or(1, char::len_utf8);
    };
    let end = raw[start..].find('"')? + start;
    Some(&raw[start..end])
}

/// Block elements that end a line of text.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "td"
            | "th"
            | "tr"
            | "br"
            | "div"
            | "blockquote"
            | "pre"
            | "table"
            | "ul"
            | "ol"
            | "dt"
            | "dd"
            | "hr"
            | "aside"
    ) || heading_level(name).is_some()
}

/// A section of a chapter: a heading and the HTML up to the next heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Anchor id of the heading; empty for the text before the first heading.
    pub id: String,
    /// Plain text of the heading; empty for the text before the first heading.
    pub heading: String,
    /// Heading level; 0 for the text before the first heading.
    pub level: u8,
    /// Byte range of the heading element in the chapter's HTML (empty before the first heading).
    pub heading_range: (usize, usize),
    /// Byte range of the content after the heading, up to the next heading.
    pub body_range: (usize, usize),
}

/// The sections of a chapter's HTML, split at every top-level heading that has an id.
pub fn sections(html: &str) -> Vec<Section> {
    sections_and_tokens(html)
        .1
        .into_iter()
        .map(|(section, _)| section)
        .collect()
}

/// The tokens of `html` ([`token_iter_pre_as_text`]) and its [`sections`], each with the range
/// of its body's tokens: the tokens of the body's HTML read on its own.
#[allow(clippy::type_complexity)]
pub fn sections_and_tokens(
    html: &str,
) -> (
    Vec<(usize, Token<'_>)>,
    Vec<(Section, std::ops::Range<usize>)>,
) {
    let toks: Vec<(usize, Token<'_>)> = token_iter_pre_as_text(html).collect();
    let mut out = vec![(
        Section {
            id: String::new(),
            heading: String::new(),
            level: 0,
            heading_range: (0, 0),
            body_range: (0, html.len()),
        },
        0..toks.len(),
    )];
    let mut depth = 0usize;
    let mut k = 0;
    while k < toks.len() {
        let (at, tok) = toks[k];
        if let Token::Tag { name, closing, raw } = tok {
            let void = matches!(name, "br" | "hr" | "img" | "input" | "meta" | "link")
                || raw.ends_with("/>");
            if let (Some(level), false, 0) = (heading_level(name), closing, depth)
                && let Some(id) = attribute(raw, "id")
            {
                // The heading's text, without its anchor link.
                let mut text = String::new();
                let mut j = k + 1;
                let mut in_anchor = false;
                while j < toks.len() {
                    match toks[j].1 {
                        Token::Tag {
                            name: n,
                            closing: true,
                            ..
                        } if heading_level(n).is_some() => break,
                        Token::Tag { name: "a", raw, .. } if raw.contains("class=\"anchor\"") => {
                            in_anchor = true
                        }
                        Token::Tag {
                            name: "a",
                            closing: true,
                            ..
                        } => in_anchor = false,
                        Token::Text(t) if !in_anchor => text.push_str(&unescape(t)),
                        _ => {}
                    }
                    j += 1;
                }
                let end = toks.get(j).map_or(html.len(), |(o, t)| o + token_len(t));
                if let Some((last, last_tokens)) = out.last_mut() {
                    last.body_range.1 = at;
                    last_tokens.end = k;
                }
                let body_start = (j + 1).min(toks.len());
                out.push((
                    Section {
                        id: unescape(id),
                        heading: text.trim().to_string(),
                        level,
                        heading_range: (at, end),
                        body_range: (end, html.len()),
                    },
                    body_start..toks.len(),
                ));
                k = j + 1;
                continue;
            }
            if !void {
                if closing {
                    depth = depth.saturating_sub(1);
                } else {
                    depth += 1;
                }
            }
        }
        k += 1;
    }
    (toks, out)
}

fn token_len(t: &Token<'_>) -> usize {
    match t {
        Token::Tag { raw, .. } => raw.len(),
        Token::Text(s) => s.len(),
    }
}

/// The reading text of some HTML: prose outside code blocks and inline code, one line per block
/// element. Inline code keeps its words (so `kubectl` is a word of the text) when `with_code` is set.
pub fn prose(html: &str, with_code: bool) -> String {
    let (without, with) = prose_both(html);
    if with_code { with } else { without }
}

/// [`prose`] of `html` without and with inline code, in one pass.
pub fn prose_both(html: &str) -> (String, String) {
    let (without, with, _) = prose_and_gaps(html);
    (without, with)
}

/// [`prose_both`], and where the two texts part: `(at, delta)` for each place where the text with
/// code has `delta` more bytes (fewer, when negative) than the one without, `at` a byte offset in
/// the text without code. Its offset `o` is at `o` plus the deltas before it in the other.
pub fn prose_and_gaps(html: &str) -> (String, String, Vec<(usize, isize)>) {
    let (out, with, gaps, _) = prose_gaps_and_code(html);
    (out, with, gaps)
}

/// [`prose_and_gaps`] and [`code_text`] of `html`, in one pass.
pub fn prose_gaps_and_code(html: &str) -> (String, String, Vec<(usize, isize)>, String) {
    prose_gaps_and_code_of(html, token_iter_pre_as_text(html).map(|(_, t)| t))
}

/// [`prose_gaps_and_code`] of `html` read as `tokens` (those of [`token_iter_pre_as_text`]).
pub fn prose_gaps_and_code_of<'a>(
    html: &str,
    tokens: impl Iterator<Item = Token<'a>>,
) -> (String, String, Vec<(usize, isize)>, String) {
    let mut code = String::new();
    let mut code_depth = 0usize;
    let mut out = String::new();
    let mut with = String::new();
    let mut gaps: Vec<(usize, isize)> = Vec::new();
    let mut gap = |out: &String, grown: isize| {
        if grown == 0 {
            return;
        }
        match gaps.last_mut() {
            Some((at, delta)) if *at == out.len() => *delta += grown,
            _ => gaps.push((out.len(), grown)),
        }
    };
    let mut in_pre = 0usize;
    let mut in_code = 0usize;
    // Notes the book adds (schema hints, truncation notes) are not the author's prose.
    let mut added: Option<(&str, usize)> = None;
    for tok in tokens {
        read_code(tok, &mut code_depth, &mut code);
        if let Some((tag, depth)) = added.as_mut() {
            if let Token::Tag { name, closing, .. } = tok
                && name == *tag
            {
                if closing {
                    *depth -= 1;
                    if *depth == 0 {
                        added = None;
                    }
                } else {
                    *depth += 1;
                }
            }
            continue;
        }
        match tok {
            Token::Tag {
                name,
                closing: false,
                raw,
            } if name == "aside"
                || (raw.len() >= MARKED_TAG_MIN
                    && (raw.contains("class=\"truncated-note\"")
                        || raw.contains("class=\"footnote-"))) =>
            {
                added = Some((name, 1));
            }
            Token::Tag { name, closing, .. } => {
                match (name, closing) {
                    ("pre", false) => in_pre += 1,
                    ("pre", true) => in_pre = in_pre.saturating_sub(1),
                    ("code", false) => in_code += 1,
                    ("code", true) => in_code = in_code.saturating_sub(1),
                    _ => {}
                }
                if is_block(name) {
                    let (o, w) = (!out.ends_with('\n'), !with.ends_with('\n'));
                    if o != w {
                        // The newline is in one text only: before it, in the text without code.
                        gap(&out, if w { 1 } else { -1 });
                    }
                    if o {
                        out.push('\n');
                    }
                    if w {
                        with.push('\n');
                    }
                }
            }
            Token::Text(t) => {
                if in_pre > 0 {
                    continue;
                }
                let before = with.len();
                push_unescaped(&mut with, t);
                if in_code == 0 {
                    push_unescaped(&mut out, t);
                } else {
                    gap(&out, (with.len() - before) as isize);
                }
            }
        }
    }
    if memchr::memmem::find(html.as_bytes(), b"<pre").is_none() {
        code.clear();
    }
    (out, with, gaps, code)
}

/// The text of code blocks in some HTML.
pub fn code_text(html: &str) -> String {
    let mut out = String::new();
    if !html.contains("<pre") {
        return out;
    }
    let mut in_pre = 0usize;
    for (_, tok) in token_iter_pre_as_text(html) {
        read_code(tok, &mut in_pre, &mut out);
    }
    out
}

/// The shortest tag that can hold `class="footnote-` (a tag starts with `<`).
const MARKED_TAG_MIN: usize = "<class=\"footnote-".len();

/// One token of [`token_iter_pre_as_text`] read for [`code_text`]: `in_pre` is how many `<pre>`
/// elements are open, `out` the text so far.
fn read_code(tok: Token<'_>, in_pre: &mut usize, out: &mut String) {
    match tok {
        Token::Tag {
            name: "pre",
            closing,
            ..
        } => {
            if closing {
                *in_pre = in_pre.saturating_sub(1);
                out.push('\n');
            } else {
                *in_pre += 1;
            }
        }
        // A code block's content: its text, and a line break for each `<pre>` ending in it.
        Token::Text(t) if *in_pre > 0 => {
            let bytes = t.as_bytes();
            let mut pos = 0;
            while let Some(off) = memchr::memchr(b'<', &bytes[pos..]) {
                push_unescaped(out, &t[pos..pos + off]);
                let at = pos + off;
                let end = memchr::memchr(b'>', &bytes[at..]).map_or(t.len(), |e| at + e + 1);
                let raw = &t[at..end];
                // Most tags here are the spans of highlighted code: a quick look for `pre` first.
                if raw.as_bytes().windows(3).any(|w| w == b"pre") && tag_name(raw) == ("pre", true)
                {
                    out.push('\n');
                }
                pos = end;
            }
            push_unescaped(out, &t[pos..]);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`attribute`] as it reads: the value after the first ` attr="`.
    fn attribute_by_key<'a>(raw: &'a str, attr: &str) -> Option<&'a str> {
        let key = format!(" {attr}=\"");
        let start = raw.find(&key)? + key.len();
        let end = raw[start..].find('"')? + start;
        Some(&raw[start..end])
    }

    #[test]
    fn an_attribute_is_the_value_after_its_first_name_and_quote() {
        for raw in [
            "<h2 id=\"a\">",
            "<h2 data-id=\"x\" id=\"y\">",
            "<h2 id=x id=\"z\">",
            "<a href=\"#id=\" id=\"q\">",
            "<p  id=\"two spaces\">",
            "<p id=\"unclosed>",
            "<p title=\"读 id\" id=\"中\">",
            "<p idid=\"no\" iid=\"no\">",
        ] {
            assert_eq!(attribute(raw, "id"), attribute_by_key(raw, "id"), "{raw}");
        }
        assert_eq!(attribute("<h2 data-id=\"x\" id=\"y\">", "id"), Some("y"));
    }

    proptest::proptest! {
        #[test]
        fn attributes_are_found_as_by_their_key(
            raw in "[<> a-z=\"#中]{0,40}",
            attr in "(id|i|d|href|中)",
        ) {
            proptest::prop_assert_eq!(attribute(&raw, &attr), attribute_by_key(&raw, &attr));
        }
    }

    #[test]
    fn tag_names_of_any_shape() {
        for (raw, name, closing) in [
            ("<p>", "p", false),
            ("</span>", "span", true),
            ("<a href=\"x\">", "a", false),
            ("<br/>", "br", false),
            ("<img\nsrc=x>", "img", false),
            ("<h2\tid=a>", "h2", false),
            ("<>", "", false),
            ("</>", "", true),
            ("< p>", "", false),
            ("<<p>>", "p", false),
            ("<//p>", "p", true),
            ("<p\u{b}x>", "p", false),
            ("<my-tag a>", "my-tag", false),
            ("<x:y>", "x:y", false),
            ("<p>>", "p", false),
            ("<段落 a>", "段落", false),
            ("<p", "p", false),
            ("<", "", false),
        ] {
            assert_eq!(tag_name(raw), (name, closing), "{raw:?}");
            assert_eq!(tag_name(raw), tag_name_of_any_shape(raw), "{raw:?}");
        }
    }

    const PAGE: &str = "<p>intro &amp; more</p><aside class=\"schema-hints\"><p>hint</p></aside>\n<h2 id=\"a\">Alpha<a class=\"anchor\" href=\"#a\" aria-hidden=\"true\">#</a></h2>\n<p>text <code>kubectl</code></p>\n<pre class=\"hl\"><code>x: 1</code></pre>\n<blockquote><h3 id=\"q\">Quoted</h3></blockquote>\n<h3 id=\"b\">Beta</h3>\n<p>end</p>\n";

    #[test]
    fn each_section_body_has_the_tokens_of_its_own_html() {
        let pages = [
            PAGE,
            "",
            "<p>no heading</p>",
            "<h2 id=\"a\">A</h2>",
            "<h2 id=\"a\">A</h2><h2 id=\"b\">B</h2>\n<p>b</p>",
            "<pre><code>x\n<h2 id=\"in\">not a heading</h2></code></pre><h2 id=\"c\">C</h2>c",
            "<pre><code>never ends <h2 id=\"d\">D</h2> d",
            "<h2 id=\"e\">no end tag <p>e",
            "<div><h2 id=\"f\">nested</h2></div><h3 id=\"g\">G</h3><br/>g &lt; <",
        ];
        for page in pages {
            let (tokens, sections) = sections_and_tokens(page);
            for (section, range) in sections {
                let body = &page[section.body_range.0..section.body_range.1];
                let own: Vec<Token<'_>> = token_iter_pre_as_text(body).map(|(_, t)| t).collect();
                let given: Vec<Token<'_>> = tokens[range].iter().map(|&(_, t)| t).collect();
                assert_eq!(given, own, "{page:?}, section {:?}", section.id);
            }
        }
    }

    #[test]
    fn sections_split_at_top_level_headings() {
        let s = sections(PAGE);
        let ids: Vec<_> = s
            .iter()
            .map(|s| (s.id.as_str(), s.heading.as_str(), s.level))
            .collect();
        assert_eq!(ids, [("", "", 0), ("a", "Alpha", 2), ("b", "Beta", 3)]);
        let body = &PAGE[s[1].body_range.0..s[1].body_range.1];
        assert!(body.starts_with("\n<p>text"), "{body}");
        assert!(body.contains("Quoted"));
        assert!(PAGE[s[0].body_range.0..s[0].body_range.1].starts_with("<p>intro &amp; more</p>"));
        assert!(PAGE[s[2].heading_range.0..s[2].heading_range.1].starts_with("<h3 id=\"b\">"));
    }

    #[test]
    fn code_blocks_come_whole_and_the_rest_as_tokens() {
        let html = "<p>a</p><pre class=\"hl\"><code><span>x</span><pre>in</pre>y</code></pre><p>b</p><pre>open<b>";
        let all: Vec<(usize, Token<'_>)> = token_iter(html).collect();
        let whole: Vec<(usize, Token<'_>)> = token_iter_pre_as_text(html).collect();
        // Outside code blocks the tokens are the same; each block's content is one text.
        let texts: Vec<&str> = whole
            .iter()
            .filter_map(|(_, t)| match t {
                Token::Text(t) => Some(*t),
                _ => None,
            })
            .collect();
        assert_eq!(
            texts,
            [
                "a",
                "<code><span>x</span><pre>in</pre>y</code>",
                "b",
                "open<b>"
            ]
        );
        assert_eq!(whole.len(), 11, "{whole:?}");
        // The tokens cover the text, in order, without gaps.
        let mut at = 0;
        for (offset, t) in &whole {
            assert_eq!(*offset, at);
            at += token_len(t);
        }
        assert_eq!(at, html.len());
        assert_eq!(all.first(), whole.first());
        assert_eq!(prose(html, true), prose_from(&all));
    }

    /// [`prose`] computed from the plain tokens: text outside `<pre>`.
    fn prose_from(tokens: &[(usize, Token<'_>)]) -> String {
        let mut depth = 0usize;
        let mut out = String::new();
        for (_, t) in tokens {
            match t {
                Token::Tag {
                    name: "pre",
                    closing,
                    ..
                } => {
                    if *closing {
                        depth = depth.saturating_sub(1);
                    } else {
                        depth += 1;
                    }
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                }
                Token::Tag { name, .. } if is_block(name) && !out.ends_with('\n') => out.push('\n'),
                Token::Text(t) if depth == 0 => out.push_str(t),
                _ => {}
            }
        }
        out
    }

    /// [`code_text`] read token by token.
    fn code_text_by_tokens(html: &str) -> String {
        let mut out = String::new();
        let mut in_pre = 0usize;
        for (_, tok) in token_iter(html) {
            match tok {
                Token::Tag {
                    name: "pre",
                    closing,
                    ..
                } => {
                    if closing {
                        in_pre = in_pre.saturating_sub(1);
                        out.push('\n');
                    } else {
                        in_pre += 1;
                    }
                }
                Token::Text(t) if in_pre > 0 => push_unescaped(&mut out, t),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn code_text_reads_blocks_whole_as_tokens_would() {
        for html in [
            PAGE,
            "<pre class=\"hl\"><code><span class=\"k\">a &amp;&lt;</span>\nb</code></pre><p>x</p>",
            "<pre><code>out<pre>in</pre>after</code></pre>tail</pre><pre>open<b>x",
            "<pre>a</pre ><pre>b</PRE>c</pre><pre>d<span title=\"pre\">e</span></pre>",
            "<p>x</p></pre><aside><pre>hint</pre></aside><p><code>y</code></p>",
        ] {
            assert_eq!(code_text(html), code_text_by_tokens(html), "{html}");
            let (prose, with, gaps, code) = prose_gaps_and_code(html);
            assert_eq!((prose, with, gaps), prose_and_gaps(html));
            assert_eq!(code, code_text(html));
        }
        assert_eq!(
            code_text("<pre><code><span>x</span> &gt; y</code></pre>"),
            "x > y\n"
        );
    }

    #[test]
    fn prose_leaves_code_out() {
        let text = prose(PAGE, false);
        assert!(text.contains("intro & more"));
        assert!(!text.contains("hint"));
        assert!(!text.contains("x: 1"));
        assert!(!text.contains("kubectl"));
        assert!(prose(PAGE, true).contains("kubectl"));
        assert_eq!(code_text(PAGE), "x: 1\n");
    }

    #[test]
    fn entities_round_trip() {
        assert_eq!(
            unescape("a &lt;b&gt; &#39;c&#x27; &amp;amp; & x"),
            "a <b> 'c' &amp; & x"
        );
        assert_eq!(unescape("&gt; 命令使节点"), "> 命令使节点");
        assert_eq!(unescape("& 命令使节点;"), "& 命令使节点;");
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
