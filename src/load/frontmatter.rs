//! Front matter: split YAML (`---`), TOML (`+++`) or Hexo-style (closing `---` only) headers off a note and read its metadata.

use crate::diagnostics::Diagnostic;
use crate::model::Meta;
use serde_json::Value;

/// The syntax of a front matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Yaml,
    Toml,
}

/// A note's text split into its front matter and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub kind: Option<Kind>,
    /// Raw front matter text, without delimiters.
    pub raw: &'a str,
    /// 1-based line of the first line of `raw` in the file.
    pub raw_line: usize,
    pub body: &'a str,
    /// 1-based line where the body starts.
    pub body_line: usize,
}

/// Split a note's text into front matter and body. A text without front matter is all body.
pub fn split(text: &str) -> Split<'_> {
    let none = Split {
        kind: None,
        raw: "",
        raw_line: 1,
        body: text,
        body_line: 1,
    };
    let first = text.lines().next().unwrap_or("");
    let (kind, closers): (Kind, &[&str]) = match first.trim_end() {
        "---" => (Kind::Yaml, &["---", "..."]),
        "+++" => (Kind::Toml, &["+++"]),
        _ => return split_hexo_headless(text).unwrap_or(none),
    };
    let start = first.len() + 1;
    if start > text.len() {
        return none;
    }
    let mut offset = start;
    for (line_no, line) in (2..).zip(text[start..].split_inclusive('\n')) {
        if closers.contains(&line.trim_end()) {
            let body_start = offset + line.len();
            return Split {
                kind: Some(kind),
                raw: &text[start..offset],
                raw_line: 2,
                body: &text[body_start.min(text.len())..],
                body_line: line_no + 1,
            };
        }
        offset += line.len();
    }
    none
}

/// Hexo allows front matter with only a closing `---`: `title: x` lines, then `---`.
/// Recognised only when every line before the `---` reads as YAML and a `title:` or `date:` key is among them.
fn split_hexo_headless(text: &str) -> Option<Split<'_>> {
    let mut offset = 0;
    let mut has_key = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i >= 40 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed == "---" {
            if !has_key || i == 0 {
                return None;
            }
            let body_start = offset + line.len();
            return Some(Split {
                kind: Some(Kind::Yaml),
                raw: &text[..offset],
                raw_line: 1,
                body: &text[body_start..],
                body_line: i + 2,
            });
        }
        let is_yamlish = trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with(' ')
            || trimmed.starts_with('-')
            || yaml_key(trimmed).is_some();
        if !is_yamlish {
            return None;
        }
        if let Some(key) = yaml_key(trimmed) {
            has_key |= matches!(key, "title" | "date");
        }
        offset += line.len();
    }
    None
}

/// The key of a `key: value` line whose key is a plain identifier.
fn yaml_key(line: &str) -> Option<&str> {
    let (key, _) = line.split_once(':')?;
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some(key)
}

/// Read the metadata of a front matter block. Malformed front matter gives a warning with its
/// position and whatever could be read line by line.
pub fn parse(split: &Split<'_>, path: &str) -> (Meta, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let value = match split.kind {
        None => return (Meta::default(), diagnostics),
        Some(Kind::Yaml) => parse_yaml(split, path, &mut diagnostics),
        Some(Kind::Toml) => parse_toml(split, path, &mut diagnostics),
    };
    let meta = meta_from_value(&value, split, path, &mut diagnostics);
    (meta, diagnostics)
}

fn parse_yaml(split: &Split<'_>, path: &str, diagnostics: &mut Vec<Diagnostic>) -> Value {
    if split.raw.trim().is_empty() {
        return Value::Null;
    }
    // Tabs are not allowed as YAML indentation, but harmless in front matter: read them as spaces.
    let (raw, had_tabs) = detab(split.raw);
    if had_tabs {
        let line = split
            .raw
            .lines()
            .position(|l| l.contains('\t'))
            .unwrap_or(0);
        diagnostics.push(Diagnostic::warning(
            path,
            split.raw_line + line,
            1,
            "front-matter-tab",
            "tab in front matter read as spaces",
        ));
    }
    match serde_saphyr::from_str::<Value>(&raw) {
        Ok(value) => value,
        Err(error) => {
            let (line, col) = error
                .location()
                .map(|l| (l.line() as usize, l.column() as usize))
                .unwrap_or((1, 1));
            diagnostics.push(Diagnostic::warning(
                path,
                split.raw_line + line.saturating_sub(1),
                col.max(1),
                "front-matter-syntax",
                format!(
                    "malformed YAML front matter ({}); reading what can be read line by line",
                    yaml_error_message(&error.to_string())
                ),
            ));
            lenient_yaml(&raw)
        }
    }
}

fn detab(raw: &str) -> (String, bool) {
    if !raw.contains('\t') {
        return (raw.to_string(), false);
    }
    (raw.replace('\t', "  "), true)
}

fn parse_toml(split: &Split<'_>, path: &str, diagnostics: &mut Vec<Diagnostic>) -> Value {
    match toml::from_str::<toml::Table>(split.raw) {
        Ok(table) => toml_to_json(toml::Value::Table(table)),
        Err(error) => {
            let (line, col) = error
                .span()
                .map(|span| line_col(split.raw, span.start))
                .unwrap_or((1, 1));
            diagnostics.push(Diagnostic::warning(
                path,
                split.raw_line + line - 1,
                col,
                "front-matter-syntax",
                format!(
                    "malformed TOML front matter ({}); reading what can be read line by line",
                    first_line(error.message())
                ),
            ));
            lenient_toml(split.raw)
        }
    }
}

/// TOML values as JSON values; dates and times become strings.
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

/// The YAML parser's message without its own `error: line N column M:` prefix (positions are relative to the block).
fn yaml_error_message(message: &str) -> String {
    let line = first_line(message);
    let rest = line.strip_prefix("error: ").unwrap_or(&line);
    match rest.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((position, message)) if position.contains("column") => message.to_string(),
        _ => rest.to_string(),
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_string()
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(offset)
}

/// Where each line of a text starts, for placing many offsets in it without reading the text
/// again for each.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset, as [`line_col`].
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line - 1];
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

/// Best-effort reading of broken YAML: top-level `key: value` lines and `- item` lists under them.
fn lenient_yaml(raw: &str) -> Value {
    let mut map = serde_json::Map::new();
    let mut list_key: Option<String> = None;
    for line in raw.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ") {
            if let Some(key) = &list_key
                && let Some(Value::Array(items)) = map.get_mut(key)
            {
                items.push(Value::String(unquote(item).to_string()));
            }
            continue;
        }
        if line.starts_with(' ') {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            let key = key.trim().to_string();
            let value = value.trim();
            if value.is_empty() {
                map.insert(key.clone(), Value::Array(Vec::new()));
                list_key = Some(key);
            } else {
                map.insert(key, Value::String(unquote(value).to_string()));
                list_key = None;
            }
        }
    }
    Value::Object(map)
}

/// Best-effort reading of broken TOML: `key = value` lines.
fn lenient_toml(raw: &str) -> Value {
    let mut map = serde_json::Map::new();
    for line in raw.lines() {
        if let Some((key, value)) = line.split_once('=') {
            let value = value.trim();
            let value =
                if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                    Value::Array(
                        inner
                            .split(',')
                            .map(|s| Value::String(unquote(s.trim()).to_string()))
                            .collect(),
                    )
                } else {
                    Value::String(unquote(value).to_string())
                };
            map.insert(key.trim().to_string(), value);
        }
    }
    Value::Object(map)
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn meta_from_value(
    value: &Value,
    split: &Split<'_>,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Meta {
    let Value::Object(map) = value else {
        if !value.is_null() {
            diagnostics.push(Diagnostic::warning(
                path,
                split.raw_line,
                1,
                "front-matter-shape",
                "front matter is not a mapping of keys to values; ignored",
            ));
        }
        return Meta::default();
    };
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| map.get(*k))
            .filter(|v| !v.is_null())
    };
    let title = get(&["title"])
        .and_then(scalar_string)
        .filter(|t| !t.is_empty());
    let date = get(&["date", "created", "pubDate"]).and_then(|raw| {
        let text = scalar_string(raw)?;
        let date = normalize_date(&text);
        if date.is_none() && !text.trim().is_empty() {
            diagnostics.push(Diagnostic::warning(
                path,
                split.raw_line + key_line(split.raw, &["date", "created", "pubDate"]),
                1,
                "front-matter-date",
                format!("`{text}` is not a date this book understands (use YYYY-MM-DD); ignored"),
            ));
        }
        date
    });
    let order = get(&["order", "weight", "sidebar_position"]).and_then(|v| match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    Meta {
        title,
        date,
        tags: string_list(get(&["tags", "tag", "keywords"])),
        categories: string_list(get(&["categories", "category"])),
        order,
    }
}

/// 0-based line offset of the first of `keys` in the raw front matter.
fn key_line(raw: &str, keys: &[&str]) -> usize {
    raw.lines()
        .position(|l| {
            keys.iter().any(|k| {
                yaml_key(l.trim_start()) == Some(*k)
                    || l.trim_start().starts_with(&format!("{k} ="))
            })
        })
        .unwrap_or(0)
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Tags and categories: a list (possibly nested, as Hexo allows), or one string split on commas.
fn string_list(value: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::String(s) => {
                for part in s.split([',', '，']) {
                    let part = part.trim();
                    if !part.is_empty() {
                        out.push(part.to_string());
                    }
                }
            }
            Value::Number(n) => out.push(n.to_string()),
            _ => {}
        }
    }
    if let Some(value) = value {
        walk(value, &mut out);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.to_lowercase()));
    out
}

/// Normalise a date to `YYYY-MM-DD`: `2023-6-5`, `2023/06/05 10:00`, `2023.6.5`, `2023年6月5日`,
/// RFC 3339 timestamps. Impossible dates give None.
pub fn normalize_date(text: &str) -> Option<String> {
    let text = text.trim();
    let mut parts = [0u32; 3];
    let mut rest = text;
    for (i, part) in parts.iter_mut().enumerate() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let max = if i == 0 { 4 } else { 2 };
        if digits == 0 || digits > max || (i == 0 && digits != 4) {
            return None;
        }
        *part = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        if i < 2 {
            let sep = rest.chars().next()?;
            if !matches!(sep, '-' | '/' | '.' | '年' | '月') {
                return None;
            }
            rest = &rest[sep.len_utf8()..];
        }
    }
    // What follows the day may be `日`, a time (`T10:00`, ` 10:00`) or nothing; never more digits.
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let [y, m, d] = parts;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_front_matter_hexo_shape() {
        let text = "---\ntitle: k8s总结\ndate: 2023-6-5\ntags:\n  - k8s\n---\n\n# 资源对象\n";
        let s = split(text);
        assert_eq!(s.kind, Some(Kind::Yaml));
        assert_eq!(s.body, "\n# 资源对象\n");
        assert_eq!(s.body_line, 7);
        let (meta, diags) = parse(&s, "n.md");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(meta.title.as_deref(), Some("k8s总结"));
        assert_eq!(meta.date.as_deref(), Some("2023-06-05"));
        assert_eq!(meta.tags, vec!["k8s"]);
    }

    #[test]
    fn vuepress_shape_with_comments_tag_and_category() {
        let text = "---\n# 标题\ntitle: 2、K8S基础(二)\norder: 2\ndate: 2020-01-01\ncategory:\n  - K8S\n  - 面试\ntag:\n  - 面试\n  - k8s\n---\nbody\n";
        let s = split(text);
        let (meta, diags) = parse(&s, "n.md");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(meta.title.as_deref(), Some("2、K8S基础(二)"));
        assert_eq!(meta.order, Some(2));
        assert_eq!(meta.categories, vec!["K8S", "面试"]);
        assert_eq!(meta.tags, vec!["面试", "k8s"]);
        assert_eq!(s.body, "body\n");
    }

    #[test]
    fn toml_front_matter() {
        let text = "+++\ntitle = \"Pods\"\ndate = 2024-02-29\ntags = [\"k8s\", \"pod\"]\n+++\nbody";
        let s = split(text);
        assert_eq!(s.kind, Some(Kind::Toml));
        let (meta, diags) = parse(&s, "n.md");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(meta.title.as_deref(), Some("Pods"));
        assert_eq!(meta.date.as_deref(), Some("2024-02-29"));
        assert_eq!(meta.tags, vec!["k8s", "pod"]);
    }

    #[test]
    fn malformed_yaml_warns_with_position_and_keeps_what_it_can() {
        let text = "---\ntitle: 存储卷\ntags: [a, b\ndate: 2023-06-12\n---\nbody";
        let s = split(text);
        let (meta, diags) = parse(&s, "notes/x.md");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].rule, "front-matter-syntax");
        assert_eq!((diags[0].line, diags[0].col), (4, 5), "{diags:?}");
        assert!(!diags[0].message.contains("line 3"), "{diags:?}");
        assert_eq!(meta.title.as_deref(), Some("存储卷"));
        assert_eq!(meta.date.as_deref(), Some("2023-06-12"));
    }

    #[test]
    fn unclosed_front_matter_is_body() {
        let text = "---\ntitle: x\nno end";
        assert_eq!(split(text).kind, None);
    }

    #[test]
    fn hexo_headless_front_matter() {
        let text = "title: Hello\ndate: 2013/7/13 20:46:25\n---\nText";
        let s = split(text);
        assert_eq!(s.kind, Some(Kind::Yaml));
        let (meta, _) = parse(&s, "n.md");
        assert_eq!(meta.date.as_deref(), Some("2013-07-13"));
        assert_eq!(s.body, "Text");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn a_rule_after_prose_is_not_front_matter() {
        assert_eq!(split("Some prose here.\n---\nmore").kind, None);
    }

    #[test]
    fn tabs_are_read_as_spaces_with_a_warning() {
        let text = "---\ntitle: t\ntags:\n\t- a\n---\n";
        let (meta, diags) = parse(&split(text), "n.md");
        assert_eq!(meta.tags, vec!["a"]);
        assert_eq!(diags[0].rule, "front-matter-tab");
        assert_eq!(diags[0].line, 4);
    }

    #[test]
    fn dates() {
        assert_eq!(normalize_date("2023-6-5").as_deref(), Some("2023-06-05"));
        assert_eq!(
            normalize_date("2023/06/05 10:00:00").as_deref(),
            Some("2023-06-05")
        );
        assert_eq!(
            normalize_date("2023-06-05T10:00:00Z").as_deref(),
            Some("2023-06-05")
        );
        assert_eq!(
            normalize_date("2023年6月5日").as_deref(),
            Some("2023-06-05")
        );
        assert_eq!(normalize_date("2023.6.5").as_deref(), Some("2023-06-05"));
        assert_eq!(normalize_date("2023-02-30"), None);
        assert_eq!(normalize_date("2023-13-01"), None);
        assert_eq!(normalize_date("yesterday"), None);
    }

    #[test]
    fn impossible_date_warns() {
        let (meta, diags) = parse(&split("---\ntitle: t\ndate: 2023-02-31\n---\n"), "n.md");
        assert_eq!(meta.date, None);
        assert_eq!(diags[0].rule, "front-matter-date");
        assert_eq!(diags[0].line, 3);
    }
}
