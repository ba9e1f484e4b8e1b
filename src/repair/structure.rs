//! Structure repair: scraped-page chrome, plain numbered headings, heading-like lines, bullets, broken lists and tables.

use super::fix::Fix;
use regex::Regex;
use rustc_hash::FxHashMap as HashMap;
use std::sync::LazyLock;

/// Metadata found in the text itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Title taken from a dated title line at the top (`2023-06-12 标题`).
    pub title: Option<String>,
    /// `YYYY-MM-DD`: the dated title's date, else the first scraped header's date.
    pub date: Option<String>,
    /// One part per scraped page header, in order.
    pub parts: Vec<Part>,
}

/// A part of a note made of several scraped pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// 1-based line, in the text returned by [`strip_page_chrome`], of the part's first non-blank line.
    pub line: usize,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The category line of the header (`K8S`), with a label such as `分类:` removed.
    pub category: Option<String>,
}

/// Remove scraped-page headers (`编辑` / `2023-06-12` / `K8S` / `00` on consecutive lines: an edit-button word, a date,
/// a category, a counter). The shape is recognised, not the words: up to two one-word buttons (`编辑`, `Edit`), a line
/// holding only a date (`2023-06-12`, `发表于 2022/7/9`, `2021.11.30 10:00`), then up to three short tokens ending with
/// a counter (`00`, `阅读 321`, `15 views`). A date with no counter after it is content and stays.
///
/// Each header becomes a part boundary recording its date and category: nothing at the top of the text, a `***` rule
/// between parts (not `---`, which a YAML detector could take for a document separator). A dated title line at the
/// very top (`2025-09-10-Wed-T-Kubernetes学习笔记`, `2023-06-12 标题`, `20230612-标题`) becomes title + date and is
/// removed, unless the next line is dated too (a log, not a title). Fenced blocks and front matter are never touched.
///
/// Returns the text without the chrome, what was found, and the fixes (`scraped-header`, `dated-title`; 1-based
/// lines of the input).
pub fn strip_page_chrome(text: &str) -> (String, Found, Vec<Fix>) {
    let lines: Vec<&str> = crate::lines::split_lines(text).collect();
    let protected = protected_mask(&lines);
    let headers = find_scraped_headers(&lines, &protected);
    let mut fixes = Vec::new();
    let mut found = Found::default();

    if headers.is_empty() {
        // Most notes: the text as it is, but for a dated title line.
        let Some((index, date, title)) = dated_title_line(&lines, &protected) else {
            return (text.to_string(), found, fixes);
        };
        fixes.push(Fix::new(
            index + 1,
            "dated-title",
            format!("dated title line: title `{title}`, date {date}"),
        ));
        found.title = Some(title);
        found.date = Some(date);
        let mut out = lines;
        out.remove(index);
        return (out.join("\n"), found, fixes);
    }
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut part_starts: Vec<(usize, Part)> = Vec::new();
    let mut i = 0;
    let mut next_header = headers.iter().peekable();
    while i < lines.len() {
        let Some(header) = next_header.next_if(|h| h.start == i) else {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        };
        fixes.push(Fix::new(
            header.start + 1,
            "scraped-header",
            format!(
                "removed scraped page header `{}`; a new part dated {} starts here",
                lines[header.start..header.end]
                    .iter()
                    .map(|l| l.trim())
                    .collect::<Vec<_>>()
                    .join(" / "),
                header.date
            ),
        ));
        if out.iter().any(|l| !is_blank(l)) {
            if out.last().is_some_and(|l| !is_blank(l)) {
                out.push(String::new());
            }
            out.push("***".to_string());
            if lines.get(header.end).is_some_and(|l| !is_blank(l)) {
                out.push(String::new());
            }
        }
        part_starts.push((
            out.len(),
            Part {
                line: 0,
                date: header.date.clone(),
                category: header.category.clone(),
            },
        ));
        i = header.end;
    }

    let title_line = dated_title_line(&out, &protected_mask(&out));
    if let Some((index, date, title)) = title_line {
        fixes.push(Fix::new(
            original_line_of(&lines, &headers, index),
            "dated-title",
            format!("dated title line: title `{title}`, date {date}"),
        ));
        out.remove(index);
        for (start, _) in &mut part_starts {
            if *start > index {
                *start -= 1;
            }
        }
        found.title = Some(title);
        found.date = Some(date);
    }
    found.parts = part_starts
        .into_iter()
        .map(|(start, mut part)| {
            let first_content = (start..out.len()).find(|&i| !is_blank(&out[i]));
            part.line = first_content.unwrap_or(start) + 1;
            part
        })
        .collect();
    if found.date.is_none() {
        found.date = found.parts.first().map(|p| p.date.clone());
    }
    fixes.sort();
    (out.join("\n"), found, fixes)
}

/// Repair Markdown structure outside fenced code blocks (and front matter), leaving code untouched:
/// - plain numbered lines that are headings (`1. 介绍说明`, `2.1创建 PV`, `4.1.1 名称空间级别`, `1.PV & PVC`) become ATX
///   headings with the level given by numbering depth (`1.`→#, `1.1`→##, `1.1.1`→###), text kept as written, number
///   included. A heading is short and does not end like a sentence or read as `Term：definition`. A sub-section
///   number needs its parent, a sibling or a child elsewhere in the note; a top-level number needs a sub-section
///   after it, or must continue the sequence of top-level numbers while standing apart from other numbered lines
///   (a run of `1. 2. 3.` lines is an ordered list).
/// - bare lines that are headings in all but markup (`网络基础`, `(1) 临时存储`): short, no sentence or code
///   punctuation, after a blank line or a block, and followed by content (a paragraph, a list, a table or code).
///   Only in notes whose sections are not numbered; a run of three or more short lines is a list, not headings.
/// - `  • item` bullets become `- item` list items, nested by indentation.
/// - list items broken where inline code started are re-joined: the broken-off text goes back to its item, an item
///   glued after it (`…text - next item`) starts its own line, an empty `-` marker takes the text below it, and a
///   lone `:` goes back to the end of its line.
/// - table rows broken across lines are re-joined: a row with fewer cells than the delimiter row, followed by a line
///   ending in `|` that completes it, including a continuation whose leading `| ` was lost and a split header row.
///
/// Headings are only promoted in notes that do not already use `##` (or deeper) ATX headings: those were written as
/// Markdown, and their plain numbered lines are list items. Existing headings are never changed.
///
/// Returns the repaired text and the fixes made (1-based line in the input; rules `numbered-heading`,
/// `heading-like-line`, `bullet`, `rejoined-list-item`, `rejoined-line`, `rejoined-table-row`).
pub fn repair_structure(text: &str) -> (String, Vec<Fix>) {
    let mut lines: Vec<Line> = text
        .split('\n')
        .enumerate()
        .map(|(i, t)| Line {
            text: t.to_string(),
            origin: i + 1,
        })
        .collect();
    let mut fixes = Vec::new();
    // The lines in front matter and code blocks, found again only once a rule changed lines
    // (every change is a fix).
    let mut protected = protected_mask(&lines);
    let mut protected_at = 0;
    let mut refresh = |lines: &[Line], fixes: &[Fix], protected: &mut Vec<bool>| {
        if fixes.len() != protected_at {
            *protected = protected_mask(lines);
            protected_at = fixes.len();
        }
    };
    for _ in 0..MAX_PASSES {
        let before = fixes.len();
        convert_bullets(&mut lines, &protected, &mut fixes);
        refresh(&lines, &fixes, &mut protected);
        rejoin_table_rows(&mut lines, &protected, &mut fixes);
        refresh(&lines, &fixes, &mut protected);
        rejoin_list_items(&mut lines, &protected, &mut fixes);
        refresh(&lines, &fixes, &mut protected);
        rejoin_lone_colons(&mut lines, &protected, &mut fixes);
        refresh(&lines, &fixes, &mut protected);
        promote_headings(&mut lines, &protected, &mut fixes);
        refresh(&lines, &fixes, &mut protected);
        if fixes.len() == before {
            break;
        }
    }
    fixes.sort();
    let text = lines
        .into_iter()
        .map(|l| l.text)
        .collect::<Vec<_>>()
        .join("\n");
    (text, fixes)
}

/// Passes of the structure rules; each pass only joins lines or adds markup, so this settles quickly.
const MAX_PASSES: usize = 4;

/// One line of the text being repaired, with its 1-based line in the input.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    origin: usize,
}

impl AsRef<str> for Line {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Shared line classification
// ---------------------------------------------------------------------------------------------------------------

/// Full-width and ASCII punctuation that ends a sentence or a clause.
const SENTENCE_END: &[char] = &[
    '。', '，', ',', '；', ';', '：', ':', '！', '!', '、', '.', '…',
];

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Width of the leading whitespace, a tab counting 4.
fn indent_width(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

fn leading_whitespace(line: &str) -> &str {
    let end = line.len() - line.trim_start().len();
    &line[..end]
}

/// An opening code fence: the fence character and its length.
fn fence_open(line: &str) -> Option<(char, usize)> {
    if indent_width(line) > super::detect::MAX_FENCE_INDENT {
        return None;
    }
    let t = line.trim_start();
    let ch = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = t.chars().take_while(|c| *c == ch).count();
    if len < 3 {
        return None;
    }
    if ch == '`' && t[len..].contains('`') {
        return None;
    }
    Some((ch, len))
}

/// Whether `line` closes a fence of `len` `ch`s opened `open_indent` columns in (a fence indented
/// 4 or more stands in a list item and closes at the same indent).
fn fence_close(line: &str, ch: char, len: usize, open_indent: usize) -> bool {
    let indent = indent_width(line);
    if indent > 3 && indent != open_indent {
        return false;
    }
    let t = line.trim();
    t.chars().count() >= len && t.chars().all(|c| c == ch)
}

/// Lines inside fenced code blocks (fences included) and a leading front matter block: never touched.
fn protected_mask<S: AsRef<str>>(lines: &[S]) -> Vec<bool> {
    let mut mask = vec![false; lines.len()];
    let mut start = 0;
    if lines
        .first()
        .is_some_and(|l| l.as_ref().trim_end() == "---")
        && let Some(end) = lines
            .iter()
            .skip(1)
            .position(|l| matches!(l.as_ref().trim_end(), "---" | "..."))
    {
        mask[..end + 2].fill(true);
        start = end + 2;
    }
    let mut open: Option<(char, usize, usize)> = None;
    for (i, line) in lines.iter().enumerate().skip(start) {
        let line = line.as_ref();
        match open {
            None => {
                if let Some((ch, len)) = fence_open(line) {
                    let indent = indent_width(line);
                    // Deeper than 3 columns, a fence only in a list item, closed at its indent.
                    let within = lines.len().min(i + 1 + super::detect::MAX_LIST_FENCE_LINES);
                    if indent > 3
                        && !lines[i + 1..within]
                            .iter()
                            .any(|l| fence_close(l.as_ref(), ch, len, indent))
                    {
                        continue;
                    }
                    open = Some((ch, len, indent));
                    mask[i] = true;
                }
            }
            Some((ch, len, indent)) => {
                mask[i] = true;
                if fence_close(line, ch, len, indent) {
                    open = None;
                }
            }
        }
    }
    mask
}

static ATX_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$").unwrap());

/// An ATX heading: its level and text.
fn atx_heading(line: &str) -> Option<(usize, &str)> {
    if !line.trim_start_matches(' ').starts_with('#') {
        return None;
    }
    let caps = ATX_HEADING.captures(line)?;
    Some((caps[1].len(), caps.get(2).map_or("", |m| m.as_str())))
}

static LIST_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+|$)").unwrap());

/// A Markdown list item line (`- x`, `* x`, `1. x`, or an empty marker `-`).
fn is_list_item(line: &str) -> bool {
    LIST_ITEM.is_match(line) && !is_thematic_break(line)
}

fn is_thematic_break(line: &str) -> bool {
    let mut marks = line.chars().filter(|c| !c.is_whitespace());
    let Some(mark) = marks.next().filter(|m| matches!(m, '-' | '*' | '_')) else {
        return false;
    };
    let mut count = 1;
    for c in marks {
        if c != mark {
            return false;
        }
        count += 1;
    }
    count >= 3 && indent_width(line) <= 3
}

/// A pipe-table row (or a piece of one).
fn is_table_row(line: &str) -> bool {
    let t = line.trim();
    t.contains('|') && (t.starts_with('|') || t.ends_with('|'))
}

static TABLE_DELIMITER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$").unwrap());

fn is_table_delimiter(line: &str) -> bool {
    TABLE_DELIMITER.is_match(line)
}

// ---------------------------------------------------------------------------------------------------------------
// Scraped page chrome
// ---------------------------------------------------------------------------------------------------------------

/// A scraped page header: lines `start..end`, its date, its category.
#[derive(Debug, Clone)]
struct ScrapedHeader {
    start: usize,
    end: usize,
    date: String,
    category: Option<String>,
}

static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\p{L}{1,6}\s*[:：]?\s*)?(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$",
    )
    .unwrap()
});

static COUNTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\p{L}{1,6}[\s:：]+|[^\x00-\x7F\d\s]{1,6})?\d{1,9}(?:\s*\p{L}{1,6})?$").unwrap()
});

static CATEGORY_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:分类于|分类|类别|专栏|categories|category)\s*[:：]?\s*").unwrap()
});

/// `YYYY-MM-DD` from year, month and day strings, if they form a plausible date.
fn format_date(year: &str, month: &str, day: &str) -> Option<String> {
    let y: u32 = year.parse().ok()?;
    let m: u32 = month.parse().ok()?;
    let d: u32 = day.parse().ok()?;
    ((1970..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// A line holding only a date (maybe with a short label such as `发表于` and a time).
fn date_line(line: &str) -> Option<String> {
    let caps = DATE_LINE.captures(line.trim())?;
    format_date(&caps[1], &caps[2], &caps[3])
}

/// Characters that never occur in the short lines scrapers put around a date.
const NOT_IN_CHROME: &[char] = &[
    '。', '，', ',', '；', ';', '！', '!', '？', '?', '=', '{', '}', '`', '<', '>',
];

/// A short word on its own line that scrapers put around the date: `编辑`, `K8S`, `00`, `阅读 123`.
fn is_chrome_token(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && t.chars().count() <= 20
        && t.split_whitespace().count() <= 3
        && !t.contains("://")
        && !t.contains(NOT_IN_CHROME)
        && !t.starts_with(['#', '-', '*', '>', '|', '+'])
        && !DATE_IN_TEXT.is_match(t)
}

static DATE_IN_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}").unwrap());

/// A button word before the date: one word of letters (`编辑`, `Edit`, `发表于`).
fn is_button_token(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().count() <= 8 && t.chars().all(char::is_alphabetic)
}

fn is_counter(line: &str) -> bool {
    COUNTER.is_match(line.trim())
}

fn category_of(line: &str) -> Option<String> {
    let t = line.trim();
    let stripped = CATEGORY_LABEL.replace(t, "");
    let stripped = stripped.trim();
    (!stripped.is_empty()).then(|| stripped.to_string())
}

/// Headers: up to two button words, a date line, then up to three tokens ending with a counter (`00`, `阅读 123`).
/// Without a counter a date line is content. Two lines (date and counter) need a labelled counter.
fn find_scraped_headers(lines: &[&str], protected: &[bool]) -> Vec<ScrapedHeader> {
    let mut headers: Vec<ScrapedHeader> = Vec::new();
    for d in 0..lines.len() {
        if protected[d] || headers.last().is_some_and(|h| d < h.end) {
            continue;
        }
        let Some(date) = date_line(lines[d]) else {
            continue;
        };
        let mut start = d;
        while start > 0
            && d - start < 2
            && !protected[start - 1]
            && headers.last().is_none_or(|h| h.end < start)
            && is_button_token(lines[start - 1])
        {
            start -= 1;
        }
        let after: Vec<usize> = (d + 1..lines.len())
            .take_while(|&j| !protected[j] && is_chrome_token(lines[j]))
            .take(3)
            .collect();
        let Some(last_counter) = after.iter().rposition(|&j| is_counter(lines[j])) else {
            continue;
        };
        let end = after[last_counter] + 1;
        let labelled = lines[end - 1].chars().any(char::is_alphabetic);
        if end - start < 3 && !labelled {
            continue;
        }
        let category = (d + 1..end)
            .find(|&j| !is_counter(lines[j]))
            .and_then(|j| category_of(lines[j]));
        headers.push(ScrapedHeader {
            start,
            end,
            date,
            category,
        });
    }
    headers
}

/// The input line (1-based) of an output line of `strip_page_chrome`, for fixes reported after headers were removed.
fn original_line_of(lines: &[&str], headers: &[ScrapedHeader], out_index: usize) -> usize {
    // Output lines before the first header map one to one; otherwise count through kept input lines.
    let mut out = 0;
    let mut i = 0;
    let mut hs = headers.iter().peekable();
    while i < lines.len() {
        if let Some(h) = hs.next_if(|h| h.start == i) {
            i = h.end;
            continue;
        }
        if out == out_index {
            return i + 1;
        }
        out += 1;
        i += 1;
    }
    out_index + 1
}

static DATED_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})[-_./年](\d{1,2})[-_./月](\d{1,2})日?(\D.*)$").unwrap());

static COMPACT_DATED_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})(\d{2})(\d{2})[-_\s]+(\D.*)$").unwrap());

static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|(?:周|星期)[一二三四五六日天])(?:[-_\s.]+|$)")
        .unwrap()
});

static LEADING_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,2}:\d{2}(?::\d{2})?(?:[-_\s.]+|$)").unwrap());

static TIME_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:T\d{1,2}:\d{2}(?::\d{2})?|[A-Za-z]{1,2})(?:[-_\s.]+)").unwrap()
});

/// A dated title (`2025-09-10-Wed-T-Kubernetes学习笔记`, `2023-06-12 标题`, `20230612-标题`): date and title.
fn dated_title(line: &str) -> Option<(String, String)> {
    let t = line.trim();
    let (date, rest) = if let Some(c) = DATED_TITLE.captures(t) {
        (format_date(&c[1], &c[2], &c[3])?, c.get(4)?.as_str())
    } else {
        let c = COMPACT_DATED_TITLE.captures(t)?;
        (format_date(&c[1], &c[2], &c[3])?, c.get(4)?.as_str())
    };
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || "-_.:：|".contains(c));
    let rest = LEADING_TIME.find(rest).map_or(rest, |m| &rest[m.end()..]);
    let rest = match WEEKDAY.find(rest) {
        Some(m) => {
            let rest = &rest[m.end()..];
            TIME_MARK.find(rest).map_or(rest, |m| &rest[m.end()..])
        }
        None => rest,
    };
    let title = rest.trim();
    let ok = !title.is_empty()
        && title.chars().count() <= 100
        && title.chars().any(char::is_alphabetic)
        && !title.contains('。')
        && !title.ends_with(SENTENCE_END)
        && date_line(t).is_none();
    ok.then(|| (date, title.to_string()))
}

/// The first non-blank line, if it is a dated title and not the first of a list of dated lines
/// (`protected`: the lines in front matter and code blocks, see [`protected_mask`]).
fn dated_title_line<S: AsRef<str>>(
    lines: &[S],
    protected: &[bool],
) -> Option<(usize, String, String)> {
    let mut non_blank = (0..lines.len()).filter(|&i| !is_blank(lines[i].as_ref()));
    let first = non_blank.next()?;
    if protected[first] {
        return None;
    }
    let (date, title) = dated_title(lines[first].as_ref())?;
    if non_blank
        .next()
        .is_some_and(|j| !protected[j] && dated_title(lines[j].as_ref()).is_some())
    {
        return None;
    }
    Some((first, date, title))
}

// ---------------------------------------------------------------------------------------------------------------
// Bullets
// ---------------------------------------------------------------------------------------------------------------

const BULLET_GLYPHS: &[char] = &['•', '●', '▪', '◦', '‣', '∙'];

/// A glyph bullet line: its indent width and its content.
fn glyph_bullet(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_start();
    let glyph = t.chars().next().filter(|c| BULLET_GLYPHS.contains(c))?;
    Some((indent_width(line), t[glyph.len_utf8()..].trim()))
}

/// `  • item` → `- item`; deeper-indented bullets of the same list nest by two spaces per indent step.
fn convert_bullets(lines: &mut [Line], protected: &[bool], fixes: &mut Vec<Fix>) {
    let mut i = 0;
    while i < lines.len() {
        if protected[i] || glyph_bullet(&lines[i].text).is_none() {
            i += 1;
            continue;
        }
        let mut members = Vec::new();
        let mut j = i;
        while j < lines.len() && !protected[j] {
            if glyph_bullet(&lines[j].text).is_some() {
                members.push(j);
                j += 1;
            } else if is_blank(&lines[j].text)
                && lines
                    .get(j + 1)
                    .is_some_and(|l| glyph_bullet(&l.text).is_some())
            {
                j += 1;
            } else {
                break;
            }
        }
        let mut indents: Vec<usize> = members
            .iter()
            .filter_map(|&m| glyph_bullet(&lines[m].text).map(|(w, _)| w))
            .collect();
        indents.sort_unstable();
        indents.dedup();
        for &m in &members {
            let Some((width, content)) = glyph_bullet(&lines[m].text) else {
                continue;
            };
            let depth = indents.iter().position(|&w| w == width).unwrap_or(0);
            let text = format!("{}- {content}", "  ".repeat(depth));
            fixes.push(Fix::new(
                lines[m].origin,
                "bullet",
                format!("`{}` → `{}`", lines[m].text.trim(), text.trim()),
            ));
            lines[m].text = text.trim_end().to_string();
        }
        i = j;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Broken table rows
// ---------------------------------------------------------------------------------------------------------------

/// Cells in a pipe-table row (outer pipes optional, `\|` escaped).
fn cell_count(line: &str) -> usize {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = if t.ends_with('|') && !t.ends_with("\\|") {
        &t[..t.len() - 1]
    } else {
        t
    };
    let mut count = 1;
    let mut escaped = false;
    for c in t.chars() {
        if c == '|' && !escaped {
            count += 1;
        }
        escaped = c == '\\' && !escaped;
    }
    count
}

/// Two pieces of one row as one line, with a leading `| ` when the table uses outer pipes.
fn join_row(first: &str, second: &str, outer_pipes: bool) -> String {
    let first = first.trim();
    let second = second.trim();
    let lead = if outer_pipes && !first.starts_with('|') {
        "| "
    } else {
        ""
    };
    format!("{lead}{first} {second}")
}

/// A line that can continue a split row: it holds a pipe and ends the row with one.
fn is_row_continuation(line: &str) -> bool {
    let t = line.trim();
    t.contains('|') && t.ends_with('|') && !is_table_delimiter(line)
}

fn rejoin_table_rows(lines: &mut Vec<Line>, protected: &[bool], fixes: &mut Vec<Fix>) {
    let mut protected = protected.to_vec();
    let mut d = 1;
    while d < lines.len() {
        if protected[d] || !is_table_delimiter(&lines[d].text) {
            d += 1;
            continue;
        }
        let columns = cell_count(&lines[d].text);
        let outer_pipes = lines[d].text.trim_start().starts_with('|');
        let mut delimiter = d;
        // A header split over two lines above the delimiter.
        if d >= 2
            && !protected[d - 2]
            && !protected[d - 1]
            && is_row_continuation(&lines[d - 1].text)
            && lines[d - 2].text.contains('|')
            && !is_table_delimiter(&lines[d - 2].text)
            && cell_count(&lines[d - 1].text) < columns
            && cell_count(&lines[d - 2].text) < columns
        {
            let joined = join_row(&lines[d - 2].text, &lines[d - 1].text, outer_pipes);
            if cell_count(&joined) == columns {
                record_row_join(lines, &mut protected, d - 2, joined, fixes);
                delimiter = d - 1;
            }
        }
        let mut i = delimiter + 1;
        while i < lines.len() && !protected[i] && lines[i].text.contains('|') {
            if is_table_delimiter(&lines[i].text) {
                break;
            }
            if cell_count(&lines[i].text) < columns
                && lines
                    .get(i + 1)
                    .is_some_and(|next| is_row_continuation(&next.text))
                && !protected[i + 1]
                && cell_count(&lines[i + 1].text) < columns
            {
                let joined = join_row(&lines[i].text, &lines[i + 1].text, outer_pipes);
                if cell_count(&joined) == columns {
                    record_row_join(lines, &mut protected, i, joined, fixes);
                }
            }
            i += 1;
        }
        d = i.max(d + 1);
    }
}

/// Replace line `i` by `joined` and drop line `i + 1`, which it absorbed.
fn record_row_join(
    lines: &mut Vec<Line>,
    protected: &mut Vec<bool>,
    i: usize,
    joined: String,
    fixes: &mut Vec<Fix>,
) {
    fixes.push(Fix::new(
        lines[i].origin,
        "rejoined-table-row",
        format!(
            "table row split over lines {} and {} re-joined",
            lines[i].origin,
            lines[i + 1].origin
        ),
    ));
    lines[i].text = joined;
    lines.remove(i + 1);
    protected.remove(i + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Broken list items
// ---------------------------------------------------------------------------------------------------------------

/// An empty list marker line (`-`, ` - `): its indentation and marker.
fn empty_marker(line: &str) -> Option<(&str, &str)> {
    let t = line.trim();
    matches!(t, "-" | "*" | "+").then(|| (leading_whitespace(line), t))
}

/// A line of just punctuation left behind when the text before it broke off (`:` alone).
fn is_lone_punctuation(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().count() <= 2 && t.chars().all(|c| ":：,，。;；)）".contains(c))
}

/// Plain text that may continue the list item above it.
fn is_joinable_text(line: &str) -> bool {
    !is_blank(line)
        && indent_width(line) < 4
        && !is_list_item(line)
        && !is_thematic_break(line)
        && atx_heading(line).is_none()
        && numbered_line(line).is_none()
        && !line.contains('|')
        && fence_open(line).is_none()
        && !line.trim_start().starts_with(['#', '>', '<'])
}

static YAML_KEY_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[A-Za-z_][A-Za-z0-9_.-]*:(?:$|[^/]|/[^/])").unwrap());

/// A line that starts like a YAML key (`image: nginx`, `ports:- 80`): code left unfenced, never joined into a list item.
fn starts_like_yaml_key(line: &str) -> bool {
    YAML_KEY_START.is_match(line)
}

/// Split `prefix - next item` where a list item was glued onto the end of the previous item's broken-off text.
fn split_glued_item(line: &str) -> Option<(&str, &str)> {
    if starts_like_yaml_key(line) {
        return None;
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(pos, c)) in chars.iter().enumerate() {
        if c != '-' || k == 0 {
            continue;
        }
        let before = chars[k - 1].1;
        let after = chars.get(k + 1).map(|&(_, c)| c);
        if before == '-' || !after.is_none_or(|a| a == ' ' || a == '\t') {
            continue;
        }
        let prefix = line[..pos].trim();
        if prefix.is_empty() || prefix.ends_with([':', '：']) {
            continue;
        }
        return Some((prefix, line[pos + 1..].trim()));
    }
    None
}

/// Join two pieces of text: a space unless both sides are CJK or one side is CJK punctuation.
fn join_words(left: &str, right: &str) -> String {
    let left = left.trim_end();
    let right = right.trim();
    let last = left.chars().last();
    let first = right.chars().next();
    let cjk_both = last.is_some_and(is_cjk) && first.is_some_and(is_cjk);
    let cjk_punct = last.is_some_and(is_cjk_punctuation) || first.is_some_and(is_cjk_punctuation);
    let bracket =
        last.is_some_and(|c| "([{/".contains(c)) || first.is_some_and(|c| ")]}/".contains(c));
    if cjk_both || cjk_punct || bracket || left.is_empty() {
        format!("{left}{right}")
    } else {
        format!("{left} {right}")
    }
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF)
}

/// A `-`, `*` or `+` list item. Numbered items are left alone: they may be headings.
fn is_bullet_item(line: &str) -> bool {
    is_list_item(line) && line.trim_start().starts_with(['-', '*', '+'])
}

fn rejoin_list_items(lines: &mut Vec<Line>, protected: &[bool], fixes: &mut Vec<Fix>) {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    let mut out_protected: Vec<bool> = Vec::with_capacity(lines.len());
    // The item above was produced by a repair: its broken text may go on.
    let mut chain = false;
    for (i, line) in std::mem::take(lines).into_iter().enumerate() {
        let prev_is_bullet = !out_protected.last().copied().unwrap_or(true)
            && out.last().is_some_and(|p: &Line| is_bullet_item(&p.text));
        let prev = match out.last_mut() {
            Some(prev) if prev_is_bullet && !protected[i] && !is_blank(&line.text) => prev,
            _ => {
                chain = false;
                out.push(line);
                out_protected.push(protected[i]);
                continue;
            }
        };
        if is_lone_punctuation(&line.text) {
            fixes.push(Fix::new(
                line.origin,
                "rejoined-list-item",
                format!("`{}` joined to the list item above", line.text.trim()),
            ));
            prev.text = format!("{}{}", prev.text.trim_end(), line.text.trim());
            continue;
        }
        if !is_joinable_text(&line.text) {
            chain = false;
            out.push(line);
            out_protected.push(false);
            continue;
        }
        if let Some((indent, marker)) = empty_marker(&prev.text)
            && !starts_like_yaml_key(&line.text)
        {
            fixes.push(Fix::new(
                line.origin,
                "rejoined-list-item",
                "text of an empty list item re-joined to its marker",
            ));
            prev.text = format!("{indent}{marker} {}", line.text.trim());
            chain = true;
            continue;
        }
        if let Some((prefix, rest)) = split_glued_item(&line.text) {
            fixes.push(Fix::new(
                line.origin,
                "rejoined-list-item",
                format!(
                    "`{prefix}` re-joined to the list item above; `- {rest}` starts a new item"
                ),
            ));
            let indent = leading_whitespace(&prev.text).to_string();
            prev.text = join_words(&prev.text, prefix);
            let item = if rest.is_empty() {
                format!("{indent}-")
            } else {
                format!("{indent}- {rest}")
            };
            out.push(Line {
                text: item,
                origin: line.origin,
            });
            out_protected.push(false);
            chain = true;
            continue;
        }
        if chain || (prev.text.ends_with(char::is_whitespace) && !starts_like_yaml_key(&line.text))
        {
            fixes.push(Fix::new(
                line.origin,
                "rejoined-list-item",
                "text broken off a list item re-joined to it",
            ));
            prev.text = join_words(&prev.text, &line.text);
            chain = false;
            continue;
        }
        chain = false;
        out.push(line);
        out_protected.push(false);
    }
    *lines = out;
}

/// A line holding only `:` belongs to the end of the text line above it (`创建 PVC` / `:`).
fn rejoin_lone_colons(lines: &mut Vec<Line>, protected: &[bool], fixes: &mut Vec<Fix>) {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    let mut out_protected: Vec<bool> = Vec::with_capacity(lines.len());
    for (i, line) in std::mem::take(lines).into_iter().enumerate() {
        let lone_colon = matches!(line.text.trim(), ":" | "：");
        let joinable_prev = out.last().is_some_and(|p: &Line| {
            !out_protected.last().copied().unwrap_or(true)
                && !is_blank(&p.text)
                && atx_heading(&p.text).is_none()
                && !is_table_row(&p.text)
                && !is_thematic_break(&p.text)
                && indent_width(&p.text) < 4
        });
        if !protected[i]
            && lone_colon
            && joinable_prev
            && let Some(prev) = out.last_mut()
        {
            fixes.push(Fix::new(
                line.origin,
                "rejoined-line",
                format!("`{}` joined to the end of the line above", line.text.trim()),
            ));
            prev.text = format!("{}{}", prev.text.trim_end(), line.text.trim());
            continue;
        }
        out.push(line);
        out_protected.push(protected[i]);
    }
    *lines = out;
}

// ---------------------------------------------------------------------------------------------------------------
// Headings
// ---------------------------------------------------------------------------------------------------------------

/// A numbered line: its section number path (`2.1` → [2, 1]) and the text after the number.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Numbered<'a> {
    path: Vec<u32>,
    rest: &'a str,
}

/// Parse `1. 介绍说明`, `2.1创建 PV`, `4.1.1 名称空间级别`, `1.PV & PVC`, `三、使用`. A single number needs
/// its dot (or, for a Chinese numeral, its `、`).
fn numbered_line(line: &str) -> Option<Numbered<'_>> {
    if indent_width(line) > 3 {
        return None;
    }
    let t = line.trim();
    if let Some(numbered) = chinese_numbered_line(t) {
        return Some(numbered);
    }
    let bytes = t.as_bytes();
    let mut path = Vec::new();
    let mut pos = 0;
    loop {
        let digits = bytes[pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 2 {
            return None;
        }
        let n: u32 = t[pos..pos + digits].parse().ok()?;
        if n == 0 {
            return None;
        }
        path.push(n);
        pos += digits;
        let dot_then_digit =
            bytes.get(pos) == Some(&b'.') && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit);
        if !dot_then_digit || path.len() == 4 {
            break;
        }
        pos += 1;
    }
    let after = &t[pos..];
    let (dotted, after) = match after.strip_prefix('.').or_else(|| after.strip_prefix('．')) {
        Some(a) => (true, a),
        None => (false, after),
    };
    if path.len() == 1 && !dotted {
        return None;
    }
    let spaced = after.starts_with(char::is_whitespace);
    let rest = after.trim_start();
    let first = rest.chars().next()?;
    let starts_like_text =
        (first.is_alphanumeric() && !first.is_ascii_digit()) || "(（《“\"'`*[".contains(first);
    if !starts_like_text {
        return None;
    }
    // `1.txt`, `3.sh run`: a file name, not a heading.
    let first_word = rest.split_whitespace().next().unwrap_or("");
    if !spaced
        && first_word.chars().count() <= 4
        && first_word.chars().all(|c| c.is_ascii_lowercase())
    {
        return None;
    }
    Some(Numbered { path, rest })
}

/// `三、使用`: a Chinese numeral from 一 to 九十九 and `、`.
fn chinese_numbered_line(t: &str) -> Option<Numbered<'_>> {
    let (numeral, rest) = t.split_once('、')?;
    let n = chinese_numeral(numeral)?;
    let rest = rest.trim_start();
    rest.chars().next().filter(|c| !c.is_whitespace())?;
    Some(Numbered {
        path: vec![n],
        rest,
    })
}

fn chinese_numeral(s: &str) -> Option<u32> {
    let digit = |c: char| "一二三四五六七八九".find(c).map(|i| i as u32 / 3 + 1);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d),
        ['十', d] => Some(10 + digit(*d)?),
        [t, '十'] => Some(10 * digit(*t)?),
        [t, '十', d] => Some(10 * digit(*t)? + digit(*d)?),
        _ => None,
    }
}

static DEFINITION_TERM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[`*]*[A-Za-z][A-Za-z0-9_.-]*[`*]*\s*[:：]").unwrap());

/// A numbered line shaped like a heading: short, not a sentence, not a `Term：definition` list item.
fn numbered_heading_shape(line: &str, numbered: &Numbered<'_>) -> bool {
    let rest = numbered.rest.trim();
    rest.chars().count() <= 50
        && line.trim().chars().count() <= 60
        && !rest.ends_with(SENTENCE_END)
        && !rest.contains(['。', '；', '！'])
        && !rest.contains(" | ")
        && !rest.ends_with('|')
        && !DEFINITION_TERM.is_match(rest)
}

/// One numbered line of the note, plain or already an ATX heading.
#[derive(Debug, Clone)]
struct NumberedEntry {
    index: usize,
    path: Vec<u32>,
    /// Plain line shaped like a heading, or an ATX heading.
    heading_shaped: bool,
    atx: bool,
}

fn numbered_entries(lines: &[Line], protected: &[bool]) -> Vec<NumberedEntry> {
    let mut entries = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if protected[index] {
            continue;
        }
        if let Some((_, text)) = atx_heading(&line.text) {
            if let Some(n) = numbered_line(text) {
                entries.push(NumberedEntry {
                    index,
                    path: n.path,
                    heading_shaped: true,
                    atx: true,
                });
            }
        } else if let Some(n) = numbered_line(&line.text) {
            entries.push(NumberedEntry {
                index,
                heading_shaped: numbered_heading_shape(&line.text, &n),
                path: n.path,
                atx: false,
            });
        }
    }
    entries
}

fn parent(path: &[u32]) -> &[u32] {
    &path[..path.len().saturating_sub(1)]
}

fn sibling(path: &[u32], step: i64) -> Option<Vec<u32>> {
    let last = i64::from(*path.last()?) + step;
    let last = u32::try_from(last).ok().filter(|&n| n >= 1)?;
    let mut p = parent(path).to_vec();
    p.push(last);
    Some(p)
}

/// Where each section number occurs among heading-shaped numbered lines: first and last line index.
struct Outline<'a> {
    span: HashMap<&'a [u32], (usize, usize)>,
}

impl<'a> Outline<'a> {
    fn new(entries: &'a [NumberedEntry]) -> Outline<'a> {
        let mut span: HashMap<&[u32], (usize, usize)> = HashMap::default();
        for e in entries.iter().filter(|e| e.heading_shaped) {
            span.entry(&e.path)
                .and_modify(|s| s.1 = e.index)
                .or_insert((e.index, e.index));
        }
        Outline { span }
    }

    fn occurs_before(&self, path: &[u32], index: usize) -> bool {
        self.span.get(path).is_some_and(|s| s.0 < index)
    }

    fn occurs_after(&self, path: &[u32], index: usize) -> bool {
        self.span.get(path).is_some_and(|s| s.1 > index)
    }
}

/// A sub-section number (`2.1`) backed by its parent or previous sibling before it, or its next sibling or first
/// sub-section after it.
fn is_supported_subsection(e: &NumberedEntry, outline: &Outline<'_>) -> bool {
    let first_child: Vec<u32> = e.path.iter().copied().chain([1]).collect();
    outline.occurs_before(parent(&e.path), e.index)
        || sibling(&e.path, -1).is_some_and(|p| outline.occurs_before(&p, e.index))
        || sibling(&e.path, 1).is_some_and(|p| outline.occurs_after(&p, e.index))
        || outline.occurs_after(&first_child, e.index)
}

/// A top-level number (`2.`) followed, before the next top-level number, by one of its sub-sections (`2.1`).
fn has_subsection(position: usize, entries: &[NumberedEntry]) -> bool {
    let top = entries[position].path[0];
    entries[position + 1..]
        .iter()
        .filter(|f| f.heading_shaped)
        .take_while(|f| f.path.len() > 1)
        .any(|f| f.path[0] == top)
}

/// A top-level number continuing the note's sequence: `1`, or one or two after the previous top-level number.
fn continues_sequence(position: usize, entries: &[NumberedEntry]) -> bool {
    let n = entries[position].path[0];
    n == 1
        || entries[..position]
            .iter()
            .rev()
            .find(|f| f.heading_shaped && f.path.len() == 1)
            .is_some_and(|f| f.path[0] + 1 == n || f.path[0] + 2 == n)
}

fn is_top_level_numbered(line: &str) -> bool {
    let text = atx_heading(line).map_or(line, |(_, t)| t);
    numbered_line(text).is_some_and(|n| n.path.len() == 1)
}

/// Not one of a run of `1. 2. 3.` lines, and followed by unindented content: a section, not a list item.
fn stands_apart(lines: &[Line], index: usize) -> bool {
    let prev = lines[..index].iter().rev().find(|l| !is_blank(&l.text));
    let next = lines[index + 1..].iter().find(|l| !is_blank(&l.text));
    prev.is_none_or(|p| !is_top_level_numbered(&p.text))
        && next.is_some_and(|n| !is_top_level_numbered(&n.text) && indent_width(&n.text) < 3)
}

/// Plain numbered lines to promote, with their levels.
fn numbered_headings(lines: &[Line], protected: &[bool]) -> Vec<(usize, usize)> {
    let entries = numbered_entries(lines, protected);
    let outline = Outline::new(&entries);
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.atx && e.heading_shaped)
        .filter(|&(position, e)| {
            if e.path.len() > 1 {
                is_supported_subsection(e, &outline)
            } else {
                has_subsection(position, &entries)
                    || (continues_sequence(position, &entries) && stands_apart(lines, e.index))
            }
        })
        .map(|(_, e)| (e.index, e.path.len().min(6)))
        .collect()
}

/// Characters that mark a line as code, a path, a command or markup rather than a heading.
const NON_HEADING_CHARS: &[char] = &[
    '`', '$', '=', '{', '}', '[', ']', '<', '>', '|', '\\', '#', '@', '~', '*', '"', '\'', '+',
    '%', '^', '.', '。', '，', ',', '；', ';', '：', ':', '！', '!', '“', '”',
];

/// A line shaped like a heading: short, no sentence or code punctuation, not list or table markup.
/// A `(1) 提供临时存储` sub-point counts when the text after its number does.
fn heading_like_shape(line: &str) -> bool {
    if indent_width(line) > 1 {
        return false;
    }
    let t = line.trim();
    match PAREN_NUMBER.captures(t) {
        Some(caps) => caps.get(1).is_some_and(|m| bare_heading_text(m.as_str())),
        None => {
            !t.starts_with(['(', '（', '-', '*', '+', '>'])
                && !is_list_item(line)
                && numbered_line(line).is_none()
                && !LIST_NUMBER.is_match(t)
                && bare_heading_text(t)
        }
    }
}

/// Short text with no sentence or code punctuation, not a lowercase command (`kubectl get pods`) or a code label.
fn bare_heading_text(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().collect();
    let all_cjk_words = words.iter().all(|w| w.chars().all(is_cjk));
    (1..=24).contains(&t.chars().count())
        && words.len() <= 4
        && !(words.len() >= 3 && all_cjk_words)
        && !t.contains(NON_HEADING_CHARS)
        && slashes_inside_words(t)
        && !words.iter().any(|w| w.starts_with('-'))
        && t.chars().any(char::is_alphabetic)
        && !DATE_IN_TEXT.is_match(t)
        && !(words.len() >= 2
            && words
                .iter()
                .all(|w| w.chars().all(|c| c.is_ascii_lowercase())))
        && !CODE_LANGUAGE_LABELS.contains(&t.to_ascii_lowercase().as_str())
}

/// Language labels that scraped pages leave above code (`yml`, `bash`): part of the code, not headings.
const CODE_LANGUAGE_LABELS: &[&str] = &[
    "yml",
    "yaml",
    "json",
    "bash",
    "sh",
    "shell",
    "zsh",
    "console",
    "shell-session",
    "text",
    "plain",
    "plaintext",
    "txt",
    "go",
    "golang",
    "python",
    "py",
    "java",
    "javascript",
    "js",
    "typescript",
    "ts",
    "dockerfile",
    "ini",
    "toml",
    "xml",
    "html",
    "css",
    "sql",
    "nginx",
    "properties",
    "conf",
    "powershell",
    "ps1",
    "bat",
    "cmd",
    "makefile",
    "c",
    "cpp",
    "rust",
    "ruby",
    "php",
    "lua",
    "groovy",
];

/// Every `/` joins two words (`AWS/Azure`), none starts or ends a path (`/etc`, `var/`).
fn slashes_inside_words(t: &str) -> bool {
    let chars: Vec<char> = t.chars().collect();
    chars.iter().enumerate().all(|(k, &c)| {
        c != '/'
            || (k > 0
                && chars[k - 1].is_alphanumeric()
                && chars.get(k + 1).is_some_and(|n| n.is_alphanumeric()))
    })
}

/// `(1) 提供临时存储`: a parenthesised sub-point number and its text.
static PAREN_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[(（]\d{1,2}[)）]\s*(\S.*)$").unwrap());

/// `1、`, `2)`, `3）`: a list number in any style.
static LIST_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{1,3}\s*[、.)）]").unwrap());

/// How a line reads for the heading-like rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Blank, start or end of the text.
    Gap,
    /// Code (fenced or indented), a table row, a heading or a rule: a block boundary.
    Boundary,
    /// A list item: content after a heading, but a line right after it continues the item.
    ListItem,
    /// A heading-like candidate.
    Candidate,
    /// A paragraph line that reads as prose (long, or ending like a sentence).
    Prose,
    /// Any other short text line.
    Text,
}

fn classify(lines: &[Line], protected: &[bool], index: usize, title: Option<usize>) -> Block {
    let Some(line) = lines.get(index) else {
        return Block::Gap;
    };
    let t = line.text.trim();
    if t.is_empty() {
        Block::Gap
    } else if Some(index) == title && heading_like_shape(&line.text) {
        // The note's title line, which the title step takes away.
        Block::Boundary
    } else if protected[index]
        || indent_width(&line.text) >= 4
        || atx_heading(&line.text).is_some()
        || is_table_row(&line.text)
        || is_thematic_break(&line.text)
    {
        Block::Boundary
    } else if is_list_item(&line.text) {
        Block::ListItem
    } else if numbered_line(&line.text).is_some() {
        Block::Boundary
    } else if Some(index) != title && heading_like_shape(&line.text) {
        Block::Candidate
    } else if t.starts_with(['(', '（']) {
        Block::Boundary
    } else if t.chars().count() > 40 || t.ends_with(SENTENCE_END) || t.ends_with(['?', '？']) {
        Block::Prose
    } else {
        Block::Text
    }
}

/// Bare lines to promote: a run of one or two candidates after a gap or block boundary, followed by content.
/// A run of two followed directly by a paragraph or a block is a heading and a sub-heading; followed by a gap,
/// it is a heading over a one-line paragraph.
fn heading_like_lines(lines: &[Line], protected: &[bool]) -> Vec<usize> {
    let title = lines.iter().position(|l| !is_blank(&l.text));
    let kinds: Vec<Block> = (0..lines.len())
        .map(|i| classify(lines, protected, i, title))
        .collect();
    let mut promoted = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if kinds[i] != Block::Candidate {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && kinds[i] == Block::Candidate {
            i += 1;
        }
        let run = start..i;
        let before = if start == 0 {
            Block::Gap
        } else {
            kinds[start - 1]
        };
        let after = kinds.get(i).copied().unwrap_or(Block::Gap);
        let content_follows = kinds[i..].iter().any(|k| *k != Block::Gap);
        let ok_before = matches!(before, Block::Gap | Block::Boundary);
        let ok_after = match run.len() {
            1 => match after {
                Block::Gap => content_follows,
                Block::Boundary | Block::ListItem | Block::Prose => true,
                Block::Candidate | Block::Text => false,
            },
            2 => match after {
                Block::Boundary | Block::ListItem | Block::Prose => true,
                // A heading over a one-line paragraph.
                Block::Gap if content_follows => {
                    if ok_before {
                        promoted.push(start);
                    }
                    false
                }
                _ => false,
            },
            _ => false,
        };
        if ok_before && ok_after {
            promoted.extend(run);
        }
    }
    promoted
}

/// A note written as Markdown: it already has `##` (or deeper) headings.
fn uses_markdown_headings(lines: &[Line], protected: &[bool]) -> bool {
    lines
        .iter()
        .zip(protected)
        .any(|(l, p)| !p && atx_heading(&l.text).is_some_and(|(level, _)| level >= 2))
}

/// Plain numbered headings first; bare heading-like lines only when the note's sections are not numbered.
///
/// Levels: in a numbered outline, the numbering depth. In a note of bare headings, bare lines are level 2, numbered
/// sections nest below them (depth + 2), and `(1)` sub-points go one level below whatever they sit under.
fn promote_headings(lines: &mut [Line], protected: &[bool], fixes: &mut Vec<Fix>) {
    if uses_markdown_headings(lines, protected) {
        return;
    }
    let numbered = numbered_headings(lines, protected);
    let originals: Vec<String> = numbered
        .iter()
        .map(|&(index, _)| lines[index].text.trim().to_string())
        .collect();
    // Marked first, so that the bare-line rule sees them as the headings they are.
    for (&(index, depth), text) in numbered.iter().zip(&originals) {
        lines[index].text = atx(depth, text);
    }
    let numbered_atx: Vec<usize> = numbered_entries(lines, protected)
        .iter()
        .filter(|e| e.atx)
        .map(|e| e.index)
        .collect();
    let candidates = heading_like_lines(lines, protected);
    let numbered_outline = numbered_atx.len() >= 2
        && candidates
            .first()
            .is_none_or(|&c| numbered_atx.first().is_some_and(|&n| n < c));
    let bare = if numbered_outline {
        Vec::new()
    } else {
        candidates
    };
    let offset = if bare.is_empty() { 0 } else { 2 };
    for (&(index, depth), text) in numbered.iter().zip(&originals) {
        let level = (depth + offset).min(6);
        let line = &mut lines[index];
        fixes.push(Fix::new(
            line.origin,
            "numbered-heading",
            format!("`{text}` → level-{level} heading"),
        ));
        line.text = atx(level, text);
    }
    let sub_point_level = if numbered.is_empty() { 3 } else { 4 };
    for index in bare {
        let line = &mut lines[index];
        let text = line.text.trim().to_string();
        let level = if PAREN_NUMBER.is_match(&text) {
            sub_point_level
        } else {
            2
        };
        fixes.push(Fix::new(
            line.origin,
            "heading-like-line",
            format!("`{text}` → level-{level} heading"),
        ));
        line.text = atx(level, &text);
    }
}

fn atx(level: usize, text: &str) -> String {
    format!("{} {text}", "#".repeat(level))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules(fixes: &[Fix]) -> Vec<&'static str> {
        fixes.iter().map(|f| f.rule).collect()
    }

    fn headings_of(text: &str) -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect()
    }

    // --- strip_page_chrome ---------------------------------------------------------------------------------

    #[test]
    fn scraped_headers_become_part_boundaries() {
        let text = "编辑\n2024-03-02\nDocker\n12\n\n第一篇的正文。\n最后一行代码 x: 1\n修改\n2024-03-01\nLinux\n7\n\n第二篇的正文。\n";
        let (out, found, fixes) = strip_page_chrome(text);
        assert_eq!(
            out,
            "\n第一篇的正文。\n最后一行代码 x: 1\n\n***\n\n第二篇的正文。\n"
        );
        assert_eq!(found.date.as_deref(), Some("2024-03-02"));
        assert_eq!(found.title, None);
        assert_eq!(
            found.parts,
            vec![
                Part {
                    line: 2,
                    date: "2024-03-02".into(),
                    category: Some("Docker".into())
                },
                Part {
                    line: 7,
                    date: "2024-03-01".into(),
                    category: Some("Linux".into())
                },
            ]
        );
        assert_eq!(rules(&fixes), vec!["scraped-header", "scraped-header"]);
        assert_eq!(fixes[1].line, 8);
    }

    #[test]
    fn other_scraper_header_shapes() {
        let text = "开头一段话。\n\n发表于 2022/7/9\n分类于 网络\n阅读 321\n\n正文\n";
        let (out, found, _) = strip_page_chrome(text);
        assert_eq!(out, "开头一段话。\n\n***\n\n正文\n");
        assert_eq!(found.parts[0].date, "2022-07-09");
        assert_eq!(found.parts[0].category.as_deref(), Some("网络"));

        let (out, found, _) =
            strip_page_chrome("Edit\n2021.11.30\nLinux\n15 views\n\nBody text here.\n");
        assert_eq!(out, "\nBody text here.\n");
        assert_eq!(found.date.as_deref(), Some("2021-11-30"));
    }

    #[test]
    fn a_date_without_a_counter_is_content() {
        let text = "更新记录\n2023-06-12\n修复了 bug\n";
        let (out, found, fixes) = strip_page_chrome(text);
        assert_eq!(out, text);
        assert_eq!(found, Found::default());
        assert!(fixes.is_empty());
    }

    #[test]
    fn dated_title_line_becomes_title_and_date() {
        for (line, title, date) in [
            (
                "2024-01-04-Thu-T-容器网络笔记",
                "容器网络笔记",
                "2024-01-04",
            ),
            ("2023-06-12 存储卷", "存储卷", "2023-06-12"),
            ("20230612-Helm 入门", "Helm 入门", "2023-06-12"),
            ("2023年6月2日 调度器", "调度器", "2023-06-02"),
        ] {
            let (out, found, fixes) = strip_page_chrome(&format!("{line}\n第一行内容\n"));
            assert_eq!(out, "第一行内容\n", "{line}");
            assert_eq!(found.title.as_deref(), Some(title), "{line}");
            assert_eq!(found.date.as_deref(), Some(date), "{line}");
            assert_eq!(rules(&fixes), vec!["dated-title"]);
        }
    }

    #[test]
    fn a_list_of_dated_lines_has_no_title() {
        let text = "2023-06-12 装好了集群\n2023-06-13 部署了应用\n";
        let (out, found, _) = strip_page_chrome(text);
        assert_eq!(out, text);
        assert_eq!(found.title, None);
    }

    #[test]
    fn chrome_inside_a_fence_stays() {
        let text = "正文\n```\n编辑\n2023-06-12\nK8S\n00\n```\n";
        let (out, found, _) = strip_page_chrome(text);
        assert_eq!(out, text);
        assert!(found.parts.is_empty());
    }

    // --- numbered headings ---------------------------------------------------------------------------------

    #[test]
    fn numbered_lines_become_headings_by_depth() {
        let text = "1. 概述\n容器编排的背景。\n1.1 发展历史\n从虚拟机到容器。\n2.安装\n2.1下载\n下载安装包。\n2.1.1 校验\n核对摘要。\n";
        let (out, fixes) = repair_structure(text);
        assert_eq!(
            headings_of(&out),
            vec![
                "# 1. 概述",
                "## 1.1 发展历史",
                "# 2.安装",
                "## 2.1下载",
                "### 2.1.1 校验"
            ]
        );
        assert!(rules(&fixes).iter().all(|r| *r == "numbered-heading"));
        assert_eq!(fixes[0].line, 1);
    }

    #[test]
    fn top_level_numbers_spread_through_the_note_are_sections() {
        let text = "引言一段。\n\n1.什么是 Ingress\n\n它把外部流量引入集群。\n\n2.使用 Ingress\n\n先安装控制器。\n";
        let (out, _) = repair_structure(text);
        assert_eq!(
            headings_of(&out),
            vec!["# 1.什么是 Ingress", "# 2.使用 Ingress"]
        );
    }

    #[test]
    fn chinese_numeral_sections_are_headings() {
        let text =
            "Docker 笔记\n一、安装\n安装的步骤如下。\n二、使用\n运行一个容器。\n十二、附录\n";
        let (out, _) = repair_structure(text);
        assert_eq!(headings_of(&out), vec!["# 一、安装", "# 二、使用"]);
        assert_eq!(chinese_numeral("十"), Some(10));
        assert_eq!(chinese_numeral("十二"), Some(12));
        assert_eq!(chinese_numeral("三十五"), Some(35));
        assert_eq!(chinese_numeral("第一"), None);
    }

    #[test]
    fn ordered_lists_stay_lists() {
        for text in [
            "步骤如下：\n1. 安装 docker\n2. 配置镜像加速\n3. 启动服务\n",
            "说明：\n\n1. Always：无论退出码是什么都重启\n\n2. Never：从不重启容器\n",
            "1. 首先提交请求，然后等待；\n内容\n2. 接着写入存储。\n",
            "版本说明\n3.14 是一个常数\n",
            "文件列表\n\n1.txt  init  var\n\n目录下的内容。\n",
        ] {
            let (out, fixes) = repair_structure(text);
            assert_eq!(out, text);
            assert!(fixes.is_empty(), "{text}: {fixes:?}");
        }
    }

    #[test]
    fn markdown_notes_keep_their_headings() {
        let text = "# 标题\n\n## 小节\n\n1. 第一步\n\n正文段落。\n\n命名空间\n\n一段说明文字，比较长的一段说明文字。\n";
        let (out, fixes) = repair_structure(text);
        assert_eq!(out, text);
        assert!(fixes.is_empty());
    }

    // --- heading-like lines ---------------------------------------------------------------------------------

    #[test]
    fn bare_lines_before_content_become_headings() {
        let text = "我的笔记\n\n网络基础\n\n每个 Pod 都有自己的 IP 地址，可以直接通信，这是网络模型的基本假设。\n\n存储\n| 类型 | 说明 |\n|---|---|\n| nfs | 网络存储 |\n";
        let (out, fixes) = repair_structure(text);
        assert_eq!(headings_of(&out), vec!["## 网络基础", "## 存储"]);
        assert_eq!(
            rules(&fixes),
            vec!["heading-like-line", "heading-like-line"]
        );
    }

    #[test]
    fn sub_points_become_deeper_headings() {
        let text = "我的笔记\n\n(1) 临时存储\n- 数据随 Pod 删除而清除。\n";
        let (out, _) = repair_structure(text);
        assert_eq!(headings_of(&out), vec!["### (1) 临时存储"]);
        let text = "我的笔记\n\n存储\n\n一段很长的说明文字，介绍几种不同的存储方式和它们的区别。\n\n1. 本地存储\n\n(1) 临时存储\n- 数据随 Pod 删除而清除。\n";
        let (out, _) = repair_structure(text);
        assert_eq!(
            headings_of(&out),
            vec!["## 存储", "### 1. 本地存储", "#### (1) 临时存储"]
        );
    }

    #[test]
    fn bare_lines_that_are_not_headings_stay() {
        for text in [
            // a run of short lines is a list
            "我的笔记\n\n熟悉 Linux 系统\n熟悉 Shell 脚本\n熟悉 Docker 容器\n",
            // a command and a code label
            "我的笔记\n\nkubectl get pods\n\n一段很长的说明文字，说明上面的命令是做什么用的。\n",
            "我的笔记\n\nyml\n\n一段很长的说明文字，说明下面的配置是做什么用的。\n",
            // nothing follows
            "我的笔记\n\n结尾\n",
            // the first line is the title
            "网络基础\n\n每个 Pod 都有自己的 IP 地址，可以直接通信，这是网络模型的基本假设。\n",
        ] {
            let (out, fixes) = repair_structure(text);
            assert_eq!(out, text, "{fixes:?}");
        }
    }

    #[test]
    fn numbered_notes_promote_no_bare_lines() {
        let text = "1. 介绍\n1.1 优势\n概念\n- 服务发现\n2. 安装\n历史\n\n这是一段很长的正文内容，介绍了安装前需要准备的环境和条件。\n";
        let (out, _) = repair_structure(text);
        assert_eq!(
            headings_of(&out),
            vec!["# 1. 介绍", "## 1.1 优势", "# 2. 安装"]
        );
    }

    // --- bullets ---------------------------------------------------------------------------------------------

    #[test]
    fn glyph_bullets_become_list_items() {
        let text = "特点:\n\n  • 自动扩缩容\n  • 自我修复\n      • 重启失败的容器\n";
        let (out, fixes) = repair_structure(text);
        assert_eq!(
            out,
            "特点:\n\n- 自动扩缩容\n- 自我修复\n  - 重启失败的容器\n"
        );
        assert_eq!(rules(&fixes), vec!["bullet"; 3]);
    }

    // --- broken lists ----------------------------------------------------------------------------------------

    #[test]
    fn list_items_broken_at_inline_code_are_rejoined() {
        let text = "- 创建资源用 \nkubectl apply命令。 - 删除资源用 \nkubectl delete命令。\n";
        let (out, fixes) = repair_structure(text);
        assert_eq!(
            out,
            "- 创建资源用 kubectl apply命令。\n- 删除资源用 kubectl delete命令。\n"
        );
        assert!(rules(&fixes).iter().all(|r| *r == "rejoined-list-item"));
    }

    #[test]
    fn glued_next_item_is_split_off() {
        let text = "- 更新方式\nspec.strategy- Recreate\n- RollingUpdate\n";
        let (out, _) = repair_structure(text);
        assert_eq!(
            out,
            "- 更新方式 spec.strategy\n- Recreate\n- RollingUpdate\n"
        );
    }

    #[test]
    fn empty_markers_and_lone_colons_are_rejoined() {
        let text = "- \n存储位置\n:\n- 默认在节点磁盘\n";
        let (out, _) = repair_structure(text);
        assert_eq!(out, "- 存储位置:\n- 默认在节点磁盘\n");
    }

    #[test]
    fn unfenced_yaml_is_not_joined_into_lists() {
        let text = "- name: web \nimage: nginx\nports:- 80\n";
        let (out, _) = repair_structure(text);
        assert_eq!(out, text);
    }

    // --- broken tables ---------------------------------------------------------------------------------------

    #[test]
    fn split_table_rows_are_rejoined() {
        let text = "| 名称 | 作用 | 备注 |\n|---|---|---|\n| Pod | 最小单元(含 pause) |\n共享网络 |\nService |\n暴露服务 | 稳定 IP |\n| Node | 机器 | 物理或虚拟 |\n";
        let (out, fixes) = repair_structure(text);
        assert_eq!(
            out,
            "| 名称 | 作用 | 备注 |\n|---|---|---|\n| Pod | 最小单元(含 pause) | 共享网络 |\n| Service | 暴露服务 | 稳定 IP |\n| Node | 机器 | 物理或虚拟 |\n"
        );
        assert_eq!(rules(&fixes), vec!["rejoined-table-row"; 2]);
        assert_eq!(fixes[1].line, 5);
    }

    #[test]
    fn split_header_row_is_rejoined() {
        let text = "| 特性 | 默认 (a: false) |\n启用后 (a: true) |\n|---|---|---|\n| x | y | z |\n";
        let (out, _) = repair_structure(text);
        assert_eq!(
            out,
            "| 特性 | 默认 (a: false) | 启用后 (a: true) |\n|---|---|---|\n| x | y | z |\n"
        );
    }

    #[test]
    fn short_rows_without_a_continuation_stay() {
        let text = "| a | b | c |\n|---|---|---|\n| x | y |\n1.3 下一节\n";
        let (out, _) = repair_structure(text);
        assert!(out.starts_with("| a | b | c |\n|---|---|---|\n| x | y |\n"));
    }

    // --- fences ----------------------------------------------------------------------------------------------

    #[test]
    fn fenced_blocks_are_untouched() {
        let text = "1. 介绍\n1.1 背景\n```yaml\n1. 介绍\n  • x\n- a\nb - c\n| a | b |\n|---|---|\nc |\n```\n";
        let (out, _) = repair_structure(text);
        let fence = &text[text.find("```").unwrap()..];
        assert!(out.ends_with(fence));
    }

    // --- properties ------------------------------------------------------------------------------------------

    /// Lines in the style of scraped and pasted notes, plus arbitrary text.
    fn note_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("编辑".to_string()),
            Just("2023-06-12".to_string()),
            Just("K8S".to_string()),
            Just("00".to_string()),
            Just("阅读 12".to_string()),
            Just("2024-01-04-Thu-T-笔记".to_string()),
            Just("1. 介绍说明".to_string()),
            Just("1.1 基础设施".to_string()),
            Just("2.1创建 PV".to_string()),
            Just("2.使用方式".to_string()),
            Just("(1) 临时存储".to_string()),
            Just("网络基础".to_string()),
            Just("kubectl".to_string()),
            Just("  • 服务发现".to_string()),
            Just("    • 子项".to_string()),
            Just("- 更新策略".to_string()),
            Just("- ".to_string()),
            Just(":".to_string()),
            Just("deploy.type- Recreate".to_string()),
            Just("数字 - maxUnavailable: 1".to_string()),
            Just("| 特性 | 说明 | 备注 |".to_string()),
            Just("|---|---|---|".to_string()),
            Just("| a | b |".to_string()),
            Just("c |".to_string()),
            Just("x | y |".to_string()),
            Just("```".to_string()),
            Just("~~~".to_string()),
            Just("---".to_string()),
            Just("## 小节".to_string()),
            Just("# 注释".to_string()),
            Just("这是一个很长的段落，用来说明上面的标题下面有内容，而且以句号结尾。".to_string()),
            "[ -~]{0,12}",
            "\\PC{0,12}",
            "[一-龥a-z0-9 .:|•()-]{0,10}",
        ]
    }

    fn note() -> impl Strategy<Value = String> {
        prop::collection::vec(note_line(), 0..24).prop_map(|lines| lines.join("\n"))
    }

    /// Non-whitespace characters, bullet glyphs left out (they become `-`).
    fn visible(text: &str) -> Vec<char> {
        text.chars()
            .filter(|c| !c.is_whitespace() && !BULLET_GLYPHS.contains(c))
            .collect()
    }

    fn is_subsequence(needle: &[char], hay: &[char]) -> bool {
        let mut hay = hay.iter();
        needle.iter().all(|c| hay.any(|h| h == c))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn repair_structure_is_idempotent(text in note()) {
            let (once, _) = repair_structure(&text);
            let (twice, fixes) = repair_structure(&once);
            prop_assert_eq!(&twice, &once, "second pass made {:?}", fixes);
        }

        #[test]
        fn repair_structure_keeps_every_character(text in note()) {
            let (out, _) = repair_structure(&text);
            prop_assert!(is_subsequence(&visible(&text), &visible(&out)), "{:?} -> {:?}", text, out);
        }

        #[test]
        fn strip_page_chrome_is_idempotent(text in note()) {
            let (once, _, _) = strip_page_chrome(&text);
            let (twice, found, fixes) = strip_page_chrome(&once);
            prop_assert_eq!(&twice, &once);
            prop_assert!(fixes.is_empty() && found.parts.is_empty() && found.title.is_none());
        }

        #[test]
        fn strip_page_chrome_only_removes_chrome(text in note()) {
            let (out, _, _) = strip_page_chrome(&text);
            prop_assert!(is_subsequence(&visible(&out).into_iter().filter(|c| *c != '*').collect::<Vec<_>>(), &visible(&text)));
            let kept: Vec<&str> = out.split('\n').collect();
            for line in text.split('\n') {
                let may_go = is_chrome_token(line) || is_button_token(line) || date_line(line).is_some()
                    || dated_title(line).is_some();
                prop_assert!(may_go || is_blank(line) || kept.contains(&line), "lost {:?}", line);
            }
        }

        #[test]
        fn nothing_panics_on_arbitrary_text(text in "\\PC{0,200}") {
            let (stripped, _, _) = strip_page_chrome(&text);
            let _ = repair_structure(&stripped);
            let _ = repair_structure(&text);
        }
    }
}
