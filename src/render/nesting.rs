//! A bound on how deeply a chapter's elements nest. The minifier and other readers of the pages walk
//! elements recursively, so a note with thousands of nested lists, quotes or `<div>`s would overflow
//! their stack. Past the bound, start and end tags are dropped and the text is kept.

/// How deeply a chapter's elements may nest. Browsers flatten at 512; notes never need this many.
pub const MAX_DEPTH: usize = 100;

/// Elements without an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Block elements (see [`is_block`]).
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Whether `name` (any case) is a block element's: they start a new line. When one is dropped
/// here, a `<br>` keeps its text apart; a line break right after one of their tags is not shown
/// (see `site::compact`).
pub(crate) fn is_block(name: &str) -> bool {
    // Every tag of a page is asked about: a name is looked up by its length and its first and
    // last characters, which tell the block names apart, then compared.
    match block_slot(name.as_bytes()).map(|slot| BLOCK_BY_SLOT[slot]) {
        None | Some(0) => false,
        Some(i) => BLOCK[usize::from(i) - 1].eq_ignore_ascii_case(name),
    }
}

/// The length of the longest name in [`BLOCK`].
const LONGEST_BLOCK: usize = 10;

/// Where a name of [`BLOCK`] (any case) sits in [`BLOCK_BY_SLOT`]: by its length, its first
/// letter and its last letter or digit. `None` for names that cannot be there.
const fn block_slot(name: &[u8]) -> Option<usize> {
    let len = name.len();
    if len == 0 || len > LONGEST_BLOCK {
        return None;
    }
    let first = name[0].to_ascii_lowercase();
    let last = name[len - 1].to_ascii_lowercase();
    if !first.is_ascii_lowercase() {
        return None;
    }
    let last = if last.is_ascii_lowercase() {
        last - b'a'
    } else if last.is_ascii_digit() {
        26 + last - b'0'
    } else {
        return None;
    };
    Some(((len - 1) * 26 + (first - b'a') as usize) * 36 + last as usize)
}

/// One more than the index in [`BLOCK`] of the name in each slot ([`block_slot`]), 0 for none.
static BLOCK_BY_SLOT: [u8; LONGEST_BLOCK * 26 * 36] = {
    let mut table = [0; LONGEST_BLOCK * 26 * 36];
    let mut i = 0;
    while i < BLOCK.len() {
        let Some(slot) = block_slot(BLOCK[i].as_bytes()) else {
            panic!("a block name without a slot");
        };
        assert!(table[slot] == 0, "two block names in one slot");
        table[slot] = (i + 1) as u8;
        i += 1;
    }
    table
};

/// `html` (well-formed, as the Markdown renderer and the sanitizer write it) with every element
/// nested deeper than `max_depth` replaced by its content. Text, void elements and the elements
/// within the bound are kept as they are.
pub fn limit_depth(html: String, max_depth: usize) -> String {
    if !too_deep(&html, max_depth) {
        return html;
    }
    let mut out = Out {
        html: String::with_capacity(html.len()),
        ends_with_br: false,
    };
    // Open elements: the lower-case name, and whether its tags were dropped.
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut rest = html.as_str();
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        out.push(&rest[..lt]);
        rest = &rest[lt..];
        let end = tag_end(rest);
        let tag = &rest[..end];
        rest = &rest[end..];
        match parse_tag(tag) {
            Some((name, false, self_closing)) if !self_closing && !is_void(name) => {
                let drop = open.len() >= max_depth;
                if !drop {
                    out.push(tag);
                } else if is_block(name) && !out.ends_with_br {
                    out.push("<br>");
                }
                open.push((name.to_ascii_lowercase(), drop));
            }
            Some((name, true, _)) => {
                match open.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    Some(at) => {
                        // Close what the end tag closes; only the kept ones are written.
                        for (open_name, dropped) in open.drain(at..).rev() {
                            if !dropped {
                                out.push(&format!("</{open_name}>"));
                            }
                        }
                    }
                    None => {
                        out.push(tag);
                    }
                }
            }
            _ => {
                out.push(tag);
            }
        }
    }
    out.push(rest);
    out.html
}

/// HTML being written, and whether it ends with a `<br>` (trailing whitespace aside), known
/// without reading it back.
struct Out {
    html: String,
    ends_with_br: bool,
}

impl Out {
    fn push(&mut self, piece: &str) {
        self.html.push_str(piece);
        let visible = piece.trim_end();
        if !visible.is_empty() {
            self.ends_with_br = visible.ends_with("<br>");
        }
    }
}

/// Whether elements of `html` nest deeper than `max_depth` (a quick count of start and end tags).
fn too_deep(html: &str, max_depth: usize) -> bool {
    let mut depth = 0usize;
    let mut rest = html;
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        rest = &rest[lt..];
        let end = tag_end(rest);
        match parse_tag(&rest[..end]) {
            Some((name, false, self_closing)) if !self_closing && !is_void(name) => {
                depth += 1;
                if depth > max_depth {
                    return true;
                }
            }
            Some((_, true, _)) => depth = depth.saturating_sub(1),
            _ => {}
        }
        rest = &rest[end..];
    }
    false
}

/// The length of the tag at the start of `s` (which starts with `<`): up to the first `>` outside
/// quotes, or all of `s`.
fn tag_end(s: &str) -> usize {
    crate::render::site::tag_end(s.as_bytes(), 1).map_or(s.len(), |end| end + 1)
}

/// Whether `name` (any case) is a void element's: it has no end tag.
fn is_void(name: &str) -> bool {
    name.len() <= LONGEST_VOID
        && VOID
            .iter()
            .any(|v| v.len() == name.len() && v.eq_ignore_ascii_case(name))
}

/// The length of the longest name in [`VOID`].
const LONGEST_VOID: usize = 6;

/// A tag's name (as written), whether it is an end tag, and whether it ends with `/>`. `None`
/// for comments, doctypes and a `<` that starts no tag.
fn parse_tag(tag: &str) -> Option<(&str, bool, bool)> {
    let inner = tag.strip_prefix('<')?;
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name_len = inner
        .bytes()
        .position(|b| !b.is_ascii_alphanumeric() && b != b'-')
        .unwrap_or(inner.len());
    let name = &inner[..name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((name, closing, tag.ends_with("/>")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_block_name_is_known() {
        assert_eq!(BLOCK.iter().map(|b| b.len()).max(), Some(LONGEST_BLOCK));
        assert_eq!(VOID.iter().map(|b| b.len()).max(), Some(LONGEST_VOID));
    }

    #[test]
    fn block_names_are_found_in_any_case_and_nothing_else() {
        for name in BLOCK {
            assert!(is_block(name), "{name}");
            assert!(is_block(&name.to_ascii_uppercase()), "{name}");
            assert!(!is_block(&format!("{name}x")), "{name}x");
        }
        for name in [
            "",
            "a",
            "span",
            "code",
            "blockquotes",
            "figcaptions",
            "b",
            "h7",
            "préé",
        ] {
            assert!(!is_block(name), "{name}");
        }
    }

    #[test]
    fn shallow_html_is_unchanged() {
        let html = "<ul><li>a<ul><li title=\"x > y\">b<br>c</li></ul></li></ul><p>d<img src=\"i.png\"></p>";
        assert_eq!(limit_depth(html.to_string(), 4), html);
    }

    #[test]
    fn deep_elements_keep_their_text_without_their_tags() {
        let html = "<ul><li>1<ul><li>2<ul><li>3<ul><li>4</li></ul></li></ul></li></ul></li></ul><p>after</p>";
        assert_eq!(
            limit_depth(html.to_string(), 2),
            "<ul><li>1<br>2<br>3<br>4</li></ul><p>after</p>"
        );
        // As the Markdown renderer writes lists: one break between items, not one per tag.
        assert_eq!(
            limit_depth(
                "<ul>\n<li>1\n<ul>\n<li>2\n<ul>\n<li>3</li>\n</ul>\n</li>\n</ul>\n</li>\n</ul>\n"
                    .to_string(),
                2
            ),
            "<ul>\n<li>1\n<br>\n2\n<br>\n3\n\n\n\n</li>\n</ul>\n"
        );
    }

    #[test]
    fn thousands_of_nested_elements_become_shallow() {
        let n = 5000;
        let html = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        let limited = limit_depth(html, MAX_DEPTH);
        assert!(!too_deep(&limited, MAX_DEPTH));
        assert_eq!(limited.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(limited.matches("</div>").count(), MAX_DEPTH);
        assert!(limited.contains('x'));
    }

    #[test]
    fn quoted_brackets_and_comments_are_not_tags() {
        let html = "<div title=\"<div>\"><!-- <div> --><div>a</div></div>";
        assert_eq!(
            limit_depth(html.to_string(), 1),
            "<div title=\"<div>\"><!-- <div> --><br>a</div>"
        );
    }
}
