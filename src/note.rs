//! From a source note to a Note: split and read front matter, settle the title, and print a note back as normalised Markdown.

use crate::diagnostics::Diagnostic;
use crate::load::frontmatter;
use crate::model::{Meta, Note, SourceNote};
use crate::render::markdown;
use crate::repair::{self, Fix};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use std::ops::Range;

/// Repairs that could not be made with confidence: the build warns about them.
const WARNED_RULES: &[&str] = &["repair-failed", "yaml-unsure"];

/// Longest first line taken as a title.
const MAX_TITLE_CHARS: usize = 80;

/// A note ready to render, with the repairs made to it and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub note: Note,
    /// Repairs, with lines relative to the body (add `note.body_line - 1` for file lines).
    pub fixes: Vec<Fix>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Read a source note: front matter, repaired body, and a title (front matter, else a title found
/// by repair, else the first heading, else the first line, else the file name). A title taken from
/// the body's first block is removed from the body.
pub fn prepare(source: &SourceNote) -> Prepared {
    let split = frontmatter::split(&source.text);
    let (mut meta, mut diagnostics) = frontmatter::parse(&split, &source.display_path);
    let repaired = repair::repair(split.body);
    for fix in repaired
        .fixes
        .iter()
        .filter(|f| WARNED_RULES.contains(&f.rule))
    {
        diagnostics.push(Diagnostic::warning(
            &source.display_path,
            split.body_line + fix.line - 1,
            1,
            fix.rule,
            fix.message.clone(),
        ));
    }
    for (offset, to_the_end) in unclosed_fences(split.body) {
        let (line, col) = frontmatter::line_col(split.body, offset);
        diagnostics.push(Diagnostic::warning(
            &source.display_path,
            split.body_line + line - 1,
            col,
            "unclosed-fence",
            if to_the_end {
                "this code fence is never closed; the rest of the note is shown as code"
            } else {
                "this code fence is never closed; the rest of its list item or quote is shown as code"
            },
        ));
    }
    if meta.date.is_none() {
        meta.date = repaired.date;
    }
    if meta.tags.is_empty() {
        meta.tags = repaired.tags;
    }
    let title = meta.title.take().or(repaired.title);
    let (title, body) = settle_title(title, &repaired.body, &source.rel_path);
    meta.title = Some(title);
    let note = Note {
        rel_path: source.rel_path.clone(),
        display_path: source.display_path.clone(),
        meta,
        body,
        body_line: split.body_line,
        source_body: split.body.to_string(),
    };
    Prepared {
        note,
        fixes: repaired.fixes,
        diagnostics,
    }
}

/// Fenced code blocks of `body` without a closing fence: the byte offset of the opening fence, and
/// whether the block runs to the end of the body (rather than of a list item or quote).
fn unclosed_fences(body: &str) -> Vec<(usize, bool)> {
    let strip = |line: &str| {
        line.trim_start_matches([' ', '\t', '>'])
            .trim_end()
            .to_string()
    };
    let mut unclosed = Vec::new();
    if !body.contains("```") && !body.contains("~~~") {
        // No fence at all.
        return unclosed;
    }
    for (event, range) in Parser::new_ext(body, markdown::options()).into_offset_iter() {
        let Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(_))) = event else {
            continue;
        };
        let block = &body[range.clone()];
        let opening = strip(block.lines().next().unwrap_or(""));
        let Some(fence_char) = opening.chars().next().filter(|c| matches!(c, '`' | '~')) else {
            continue;
        };
        let fence_len = opening.chars().take_while(|&c| c == fence_char).count();
        let lines: Vec<&str> = block.lines().collect();
        let closing = lines.last().map(|l| strip(l)).unwrap_or_default();
        let closed = lines.len() > 1
            && closing.chars().count() >= fence_len
            && closing.chars().all(|c| c == fence_char);
        if !closed {
            let indent = block.len() - block.trim_start_matches([' ', '\t', '>']).len();
            let to_the_end = body[range.end..].trim().is_empty();
            unclosed.push((range.start + indent, to_the_end));
        }
    }
    unclosed
}

/// The first block of a Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FirstBlock {
    Heading { text: String, range: Range<usize> },
    Paragraph { text: String, range: Range<usize> },
    Other,
}

fn settle_title(from_meta: Option<String>, body: &str, rel_path: &str) -> (String, String) {
    let first = first_block(body);
    if let Some(title) = from_meta {
        let body = match &first {
            FirstBlock::Heading { text, range } if same_title(text, &title) => {
                blank_out(body, range)
            }
            _ => body.to_string(),
        };
        return (title, body);
    }
    match &first {
        FirstBlock::Heading { text, range } if !text.is_empty() => {
            return (text.clone(), blank_out(body, range));
        }
        FirstBlock::Paragraph { text, range } => {
            let line = text.lines().next().unwrap_or("").trim();
            if is_title_like(line) {
                // Only the paragraph's first line is the title; the rest stays in the body.
                let first_line_end = body[range.clone()]
                    .find('\n')
                    .map_or(range.end, |i| range.start + i);
                return (
                    line.to_string(),
                    blank_out(body, &(range.start..first_line_end)),
                );
            }
        }
        _ => {}
    }
    if let Some(heading) = first_heading(body) {
        return (heading, body.to_string());
    }
    if let FirstBlock::Paragraph { text, .. } = &first {
        let line = text.lines().next().unwrap_or("").trim();
        if !line.is_empty() {
            return (
                line.chars().take(MAX_TITLE_CHARS).collect(),
                body.to_string(),
            );
        }
    }
    (file_stem(rel_path), body.to_string())
}

/// A line that reads as a title: short, and not ending like a sentence.
fn is_title_like(line: &str) -> bool {
    let ends_like_sentence = line.ends_with([
        '。', '.', '!', '?', '！', '？', ':', '：', ',', '，', ';', '；',
    ]);
    !line.is_empty() && line.chars().count() <= MAX_TITLE_CHARS && !ends_like_sentence
}

fn same_title(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// Replace a range of the body by as many newlines as it spans.
fn blank_out(body: &str, range: &Range<usize>) -> String {
    let newlines = body[range.clone()].matches('\n').count();
    let mut out = String::with_capacity(body.len());
    out.push_str(&body[..range.start]);
    out.extend(std::iter::repeat_n('\n', newlines));
    out.push_str(&body[range.end..]);
    out
}

fn first_block(body: &str) -> FirstBlock {
    first_block_of(first_block_source(body))
}

fn first_block_of(body: &str) -> FirstBlock {
    let mut parser = Parser::new_ext(body, markdown::options()).into_offset_iter();
    let Some((event, range)) = parser.next() else {
        return FirstBlock::Other;
    };
    let text_until = |parser: &mut dyn Iterator<Item = (Event<'_>, Range<usize>)>, end: TagEnd| {
        let mut text = String::new();
        for (e, _) in parser {
            match e {
                Event::End(e) if e == end => break,
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak | Event::HardBreak => text.push('\n'),
                _ => {}
            }
        }
        text
    };
    match event {
        Event::Start(Tag::Heading { level, .. }) => {
            let text = text_until(&mut parser, TagEnd::Heading(level));
            FirstBlock::Heading {
                text: text.trim().to_string(),
                range,
            }
        }
        Event::Start(Tag::Paragraph) => {
            let text = text_until(&mut parser, TagEnd::Paragraph);
            FirstBlock::Paragraph { text, range }
        }
        _ => FirstBlock::Other,
    }
}

/// The start of `body` that holds its first block as the whole body would have it: up to the
/// first blank line after some text, which ends a heading or a paragraph (any other first block is
/// [`FirstBlock::Other`] either way). The whole body when a bracket could be a link whose
/// definition comes later.
fn first_block_source(body: &str) -> &str {
    let mut seen_text = false;
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        let blank = line.trim_matches([' ', '\t', '\r', '\n']).is_empty();
        if blank && seen_text {
            break;
        }
        seen_text |= !blank;
        at += line.len();
    }
    let head = &body[..at];
    if head.contains('[') { body } else { head }
}

/// Text of the first heading anywhere in the body.
fn first_heading(body: &str) -> Option<String> {
    let mut parser = Parser::new_ext(body, markdown::options());
    while let Some(event) = parser.next() {
        if let Event::Start(Tag::Heading { .. }) = event {
            let mut text = String::new();
            for e in parser.by_ref() {
                match e {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(&t),
                    _ => {}
                }
            }
            let text = text.trim().to_string();
            if !text.is_empty() {
                return Some(text);
            }
        }
    }
    None
}

fn file_stem(rel_path: &str) -> String {
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    name.rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_string()
}

/// A note as normalised Markdown: YAML front matter (`title`, `date`, `tags`, then `categories`
/// and `order` when present) followed by the body.
pub fn to_markdown(meta: &Meta, body: &str) -> String {
    let mut out = String::from("---\n");
    if let Some(title) = &meta.title {
        out.push_str(&format!("title: {}\n", yaml_string(title)));
    }
    if let Some(date) = &meta.date {
        out.push_str(&format!("date: {date}\n"));
    }
    let mut list = |key: &str, items: &[String]| {
        if items.is_empty() {
            out.push_str(&format!("{key}: []\n"));
        } else {
            out.push_str(&format!("{key}:\n"));
            for item in items {
                out.push_str(&format!("  - {}\n", yaml_string(item)));
            }
        }
    };
    list("tags", &meta.tags);
    if !meta.categories.is_empty() {
        list("categories", &meta.categories);
    }
    if let Some(order) = meta.order {
        out.push_str(&format!("order: {order}\n"));
    }
    out.push_str("---\n\n");
    out.push_str(body.trim_start_matches('\n'));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SourceNote {
        SourceNote {
            rel_path: "dir/my note.md".into(),
            display_path: "notes/dir/my note.md".into(),
            text: text.into(),
        }
    }

    #[test]
    fn title_from_front_matter_drops_a_repeated_heading() {
        let Prepared { note, .. } = prepare(&source("---\ntitle: Pods\n---\n# Pods\n\ntext\n"));
        assert_eq!(note.meta.title.as_deref(), Some("Pods"));
        assert_eq!(note.body, "\n\ntext\n");
        assert_eq!(note.body_line, 4);
    }

    #[test]
    fn title_from_a_leading_heading() {
        let Prepared { note, .. } = prepare(&source("## 存储卷\n\nbody\n\n# Other\n"));
        assert_eq!(note.meta.title.as_deref(), Some("存储卷"));
        assert_eq!(note.body, "\n\nbody\n\n# Other\n");
    }

    #[test]
    fn title_from_a_later_heading_when_the_first_line_is_a_sentence() {
        let Prepared { note, .. } = prepare(&source("这是一段介绍。\n\n## 存储卷\n\nbody\n"));
        assert_eq!(note.meta.title.as_deref(), Some("存储卷"));
        assert!(note.body.contains("## 存储卷"));
    }

    #[test]
    fn title_from_first_line() {
        let Prepared { note, .. } = prepare(&source("k8s知识点\nredis 服务问题\n\n# 上帝进程\n"));
        assert_eq!(note.meta.title.as_deref(), Some("k8s知识点"));
        // The line after the title is a heading in all but markup, and repair makes it one.
        assert_eq!(note.body, "\n## redis 服务问题\n\n# 上帝进程\n");
    }

    #[test]
    fn an_unclosed_fence_is_warned_about_at_its_opening() {
        let Prepared { diagnostics, .. } =
            prepare(&source("---\ntitle: t\n---\ntext\n\n  ```yaml\na: 1\n"));
        let d = diagnostics
            .iter()
            .find(|d| d.rule == "unclosed-fence")
            .expect("a warning");
        assert_eq!((d.line, d.col), (6, 3), "{d:?}");
        assert!(d.message.contains("rest of the note"), "{d:?}");
        for closed in [
            "```\ncode\n```\n",
            "~~~~ sh\nls\n~~~~~\n\nafter\n",
            "- item\n\n  ```\n  x\n  ```\n",
            "> ```\n> x\n> ```\n",
        ] {
            assert_eq!(unclosed_fences(closed), vec![], "{closed}");
        }
        assert_eq!(unclosed_fences("- ```\n  x\n\nafter\n").len(), 1);
    }

    #[test]
    fn the_first_block_is_read_from_the_start_of_the_body_alone() {
        for body in [
            "# 标题\n\n正文\n",
            "\n\n  标题一行\n第二行\n\n正文",
            "标题\n===\n\n正文",
            "段落 `code`\n- 列表\n\n正文",
            "```yaml\na: 1\n\nb: 2\n```\n",
            "<!-- 注释\n\n-->\n标题",
            "- 一\n\n- 二\n",
            "> 引用\n\n正文",
            "见 [文档][doc]\n\n[doc]: https://example.com\n",
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n正文",
            "只有一行",
            "",
            "\r\n标题\r\n\r\n正文\r\n",
        ] {
            assert_eq!(first_block(body), first_block_of(body), "{body:?}");
        }
        assert!(first_block_source("标题\n\n很长的正文").len() < 8);
    }

    #[test]
    fn title_from_file_name() {
        let Prepared { note, .. } = prepare(&source(""));
        assert_eq!(note.meta.title.as_deref(), Some("my note"));
    }

    #[test]
    fn normalised_markdown() {
        let meta = Meta {
            title: Some("a: \"b\"".into()),
            date: Some("2023-06-05".into()),
            tags: vec!["k8s".into()],
            ..Meta::default()
        };
        assert_eq!(
            to_markdown(&meta, "\nbody"),
            "---\ntitle: \"a: \\\"b\\\"\"\ndate: 2023-06-05\ntags:\n  - \"k8s\"\n---\n\nbody\n"
        );
    }
}
