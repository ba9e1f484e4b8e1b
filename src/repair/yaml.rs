//! YAML repair: rebuild flattened and glued manifests (Kubernetes, Compose) with the real schema.
//!
//! Pasting YAML into a note loses its line structure in two ways: every line stripped and joined
//! with spaces (`apiVersion: v1 kind: Pod metadata: name: web spec: ...`), or the newlines before
//! indented lines removed (`metadata:name: web`, `- name: nginximage: nginx`). The repair reads the
//! text left to right as a stream of keys, values, `- ` items, comments, `---` and block scalars, and
//! keeps a stack of open mappings and sequences typed by the Kubernetes or Compose field tree
//! (`super::schema`). A key goes to the innermost open mapping whose type has that field; a glued
//! `valuekey:` is split where the suffix is a field the open types expect; free-form maps (labels,
//! annotations, data) take any key until one belongs to an enclosing type. Kinds the schema does not
//! know (custom resources) and other YAML fall back to the plain structure of the text.

use std::collections::HashSet;

use super::fix::Fix;
use super::schema::{self, Family, Field, Schema, Shape, TypeId};

/// Rebuild a YAML block whose newlines or indentation were lost. Returns the repaired text and the fixes.
/// Text that is already valid, well-indented YAML must come back unchanged (byte for byte).
/// When a block cannot be rebuilt with confidence, return it unchanged and a Fix with rule `yaml-unsure`
/// (the caller keeps it as a `text` block with a warning). Never drop, add or reorder a non-whitespace
/// character, except: a comment glued to a value with no space (`value#comment`) may gain the space it
/// needs, and a `---` line is added where a second document starts with no separator left.
pub fn repair_yaml(text: &str) -> (String, Vec<Fix>) {
    if !looks_damaged(text) {
        return (text.to_string(), Vec::new());
    }
    let (label, body) = split_label(text);
    let rebuilt = std::panic::catch_unwind(|| Parser::new(body).run()).ok();
    match rebuilt {
        Some(done)
            if is_faithful(
                body,
                done.without_added.as_deref().unwrap_or(&done.text),
                &done.text,
            ) =>
        {
            let mut out = format!("{label}{}", done.text);
            if !text.ends_with('\n') {
                out.truncate(out.trim_end_matches('\n').len());
            }
            let offset = label.lines().count();
            let fixes = done
                .fixes
                .into_iter()
                .map(|f| Fix::new(f.line + offset, f.rule, f.message))
                .collect();
            (out, fixes)
        }
        _ => (
            text.to_string(),
            vec![Fix::new(
                1,
                "yaml-unsure",
                "this YAML lost its line breaks or indentation and could not be rebuilt with confidence; it is kept as it was",
            )],
        ),
    }
}

/// Whether `text` looks damaged (flattened onto one line, or glued `key:key:` / `valuekey:` runs, or lost indentation).
pub fn looks_damaged(text: &str) -> bool {
    let (_, body) = split_label(text);
    let lines = code_lines(body);
    if lines.iter().any(|l| comment_hides_keys(&l.comment)) {
        return true;
    }
    let lines: Vec<CodeLine> = lines.into_iter().filter(|l| !l.code.is_empty()).collect();
    if lines.is_empty() {
        return false;
    }
    lines.iter().any(|l| line_looks_glued(&l.code)) || lost_indentation(&lines)
}

/// Whether a comment runs on over what look like several `key: value` lines (a flattened block
/// whose first line was a comment: `# example kind: Role apiVersion: v1 ...`).
fn comment_hides_keys(comment: &str) -> bool {
    let body: Vec<char> = comment.trim_start_matches('#').chars().collect();
    let glued = (1..body.len()).any(|i| {
        body[i] == ':'
            && !is_ws(body[i - 1])
            && match body.get(i + 1) {
                Some('-') => body.get(i + 2).is_none_or(|&c| is_ws(c)),
                Some(&c) if !is_ws(c) => glued_key_follows(&body, i + 1),
                _ => false,
            }
    });
    if glued {
        return true;
    }
    let keys = comment
        .split_whitespace()
        .filter(|w| {
            w.strip_suffix(':').is_some_and(|k| {
                k.starts_with(|c: char| c.is_ascii_alphabetic())
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
            })
        })
        .count();
    keys >= 2
}

/// A schema hint: an unknown field or a likely typo, for the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// 1-based line in the block.
    pub line: usize,
    /// 1-based column of the key.
    pub col: usize,
    pub message: String,
}

/// Unknown fields and likely typos in a (valid) YAML block of a known kind or a compose file:
/// e.g. "`matchLables` is not a field of LabelSelector; did you mean `matchLabels`?". Free-form maps
/// are never flagged. For an unknown kind only near-misses of the fields every resource has are named.
pub fn schema_hints(text: &str) -> Vec<Hint> {
    let mut hints = Vec::new();
    for doc in block_documents(text) {
        hint_document(&doc, &mut hints);
    }
    hints
}

// ---------------------------------------------------------------------------------------------
// Damage detection

/// One line of code with quoted strings, flow collections and comments blanked out.
struct CodeLine {
    indent: usize,
    code: String,
    /// The line's comment (the whole line for a comment line).
    comment: String,
}

/// The lines that carry YAML structure: no blanks, no comment-only lines, no block scalar contents.
fn code_lines(text: &str) -> Vec<CodeLine> {
    let mut out = Vec::new();
    let mut block_parent: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(parent) = block_parent {
            if indent > parent {
                continue;
            }
            block_parent = None;
        }
        let (code, comment) = blank_literals(trimmed);
        if opens_block_scalar(&code) {
            block_parent = Some(indent);
        }
        out.push(CodeLine {
            indent,
            code,
            comment,
        });
    }
    out
}

/// The line with quoted strings and flow collections replaced by `_`, and its comment cut off.
fn blank_literals(line: &str) -> (String, String) {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at_value_start = i == 0 || matches!(chars[i - 1], ' ' | '\t');
        if matches!(c, '"' | '\'' | '[' | '{') && at_value_start {
            let end = if c == '"' || c == '\'' {
                scan_quoted(&chars, i)
            } else {
                scan_flow(&chars, i)
            };
            if let Some(end) = end {
                out.push('_');
                i = end;
                continue;
            }
        }
        if c == '#' && (i == 0 || matches!(chars[i - 1], ' ' | '\t')) {
            return (out.trim_end().to_string(), chars[i..].iter().collect());
        }
        out.push(c);
        i += 1;
    }
    (out.trim_end().to_string(), String::new())
}

/// Whether a (blanked) line ends with a block scalar header (`key: |`, `- >-`).
fn opens_block_scalar(code: &str) -> bool {
    let last = code.rsplit([' ', '\t']).next().unwrap_or("");
    let rest = code[..code.len() - last.len()].trim_end();
    let header = last.starts_with(['|', '>'])
        && last[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+');
    header && (rest.ends_with(':') || rest.ends_with('-') || rest.is_empty())
}

/// Whether one line holds more than one line's worth of YAML: two `key: ` separators, a key glued
/// to its child (`metadata:name: x`, `containers:- name`), or a glued `---`.
fn line_looks_glued(code: &str) -> bool {
    let chars: Vec<char> = code.chars().collect();
    let mut separators = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c != ':' || i == 0 || chars[i - 1] == ' ' {
            continue;
        }
        let next = chars.get(i + 1).copied();
        match next {
            None | Some(' ') | Some('\t') => separators += 1,
            Some('-') if matches!(chars.get(i + 2), None | Some(' ')) => return true,
            Some(_) => {
                if glued_key_follows(&chars, i + 1) {
                    return true;
                }
            }
        }
    }
    let glued_separator = code.len() > 3
        && code.ends_with("---")
        && !code.trim_end_matches('-').ends_with([' ', '-'])
        && !code.trim_end_matches('-').is_empty();
    separators >= 2 || glued_separator
}

/// Whether a key (`name:` followed by a space or the end) starts at `i`.
fn glued_key_follows(chars: &[char], i: usize) -> bool {
    if !chars.get(i).is_some_and(|&c| is_key_start(c)) {
        return false;
    }
    let mut j = i;
    while j < chars.len() && is_key_char(chars[j]) {
        j += 1;
    }
    j < chars.len() && chars[j] == ':' && matches!(chars.get(j + 1), None | Some(' ') | Some('\t'))
}

/// Lost indentation: no line is indented, yet a key with no value is followed by a field of the
/// type that key opens (`metadata:` then `name: web`).
fn lost_indentation(lines: &[CodeLine]) -> bool {
    if lines.len() < 2 || lines.iter().any(|l| l.indent > 0) {
        return false;
    }
    let s = schema::schema();
    let root = lines
        .iter()
        .find_map(|l| l.code.strip_prefix("kind:"))
        .and_then(|k| s.root_for_kind(k.trim()));
    for pair in lines.windows(2) {
        let Some(key) = pair[0].code.strip_suffix(':') else {
            continue;
        };
        let Some(next) = pair[1].code.split_once(':').map(|(k, _)| k) else {
            continue;
        };
        if key.starts_with("- ") || next.starts_with("- ") || next.contains(' ') {
            continue;
        }
        let child = match root {
            Some(r) => s.field(r, key).and_then(Field::object_type),
            None => single_guess(s, key),
        };
        let at_root = root.is_some_and(|r| s.has_field(r, next));
        if child.is_some_and(|c| s.has_field(c, next)) && !at_root {
            return true;
        }
    }
    false
}

/// The object type a field of this name has everywhere in the schema, if it is always the same.
fn single_guess(s: &Schema, key: &str) -> Option<TypeId> {
    let mut found: Option<TypeId> = None;
    for &t in s.types_with_field(key) {
        let child = s.field(t, key).and_then(Field::object_type)?;
        if found.is_some_and(|f| f != child) {
            return None;
        }
        found = Some(child);
    }
    found
}

/// A first line holding only a language label stays as it is; the rest is the YAML.
fn split_label(text: &str) -> (&str, &str) {
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let first = text[..first_end].trim();
    if first.eq_ignore_ascii_case("yml") || first.eq_ignore_ascii_case("yaml") {
        (&text[..first_end], &text[first_end..])
    } else {
        ("", text)
    }
}

/// The rebuilt text keeps every non-whitespace character in order (`as_written`: the output
/// without the document separators it added), parses, and looks sound.
fn is_faithful(input: &str, as_written: &str, output: &str) -> bool {
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    strip(input) == strip(as_written) && parses(output) && !looks_damaged(output)
}

/// Whether the text loads as a stream of YAML documents.
/// Repeated keys are accepted: some real manifests have them, and YAML loaders keep the last one.
fn parses(text: &str) -> bool {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
    };
    serde_saphyr::from_multiple_with_options::<serde::de::IgnoredAny>(text, options).is_ok()
}

// ---------------------------------------------------------------------------------------------
// Characters

/// A space or a tab (whitespace inside a line).
fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Any whitespace, newlines included.
fn is_ws(c: char) -> bool {
    c.is_whitespace()
}

/// A character a plain key may contain.
fn is_key_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            ':' | '#'
                | ','
                | '['
                | ']'
                | '{'
                | '}'
                | '"'
                | '\''
                | '`'
                | '|'
                | '>'
                | '&'
                | '*'
                | '!'
        )
}

/// A character a plain key may start with.
fn is_key_start(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | '@' | '<')
}

/// Index after the closing quote of the quoted scalar starting at `p`.
fn scan_quoted(t: &[char], p: usize) -> Option<usize> {
    let quote = t[p];
    let mut i = p + 1;
    while i < t.len() {
        if quote == '"' && t[i] == '\\' {
            i += 2;
            continue;
        }
        if t[i] == quote {
            if quote == '\'' && t.get(i + 1) == Some(&'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// Index after the bracket closing the flow collection starting at `p`.
fn scan_flow(t: &[char], p: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = p;
    while i < t.len() {
        match t[i] {
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            '"' | '\'' if i > p && matches!(t[i - 1], '[' | '{' | ',' | ' ' | ':') => {
                i = scan_quoted(t, i)?;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The characters `from..to` as a string.
fn text_of(t: &[char], from: usize, to: usize) -> String {
    t[from.min(to)..to].iter().collect()
}

/// A key that reads as an identifier rather than prose: `camelCase`, `snake_case`, `a.b/c`.
fn is_camel_or_snake(key: &str) -> bool {
    let mut chars = key.chars();
    let starts_lower = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let camel = key.chars().skip(1).any(|c| c.is_ascii_uppercase());
    let snake = key.contains('_');
    let domain = key.contains('.') || key.contains('/');
    let plain = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    starts_lower && plain && (camel || snake || domain)
}

// ---------------------------------------------------------------------------------------------
// The rebuilding parser

/// What an open mapping or sequence holds, as far as the schema knows.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    /// A schema type: its fields only.
    Known(TypeId),
    /// A schema type that may also hold other keys (the root of an unknown kind).
    Open(TypeId),
    /// One of a few schema types, guessed from a key name.
    Guess(Vec<TypeId>),
    /// Nothing known.
    Unknown,
    /// A free-form map of scalars (labels, annotations, data).
    FreeMap,
    /// A free-form map whose values are objects of a type (Compose services).
    ObjMap(TypeId),
    /// Sequence items that are scalars.
    Scalars,
}

/// How well a key fits an open mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    Reject,
    Unlikely,
    Weak,
    Likely,
    Strong,
}

#[derive(Clone, Debug)]
struct Frame {
    seq: bool,
    /// Key column of a mapping, dash column of a sequence.
    indent: usize,
    /// The mapping's type, or the type of a sequence's items.
    ty: Ty,
    keys: Keys,
    /// For a sequence: the keys its item mappings have used so far.
    item_keys: Vec<String>,
    /// For a sequence: how many of its items were scalars, and how many mappings.
    scalar_items: usize,
    map_items: usize,
    /// The key this mapping or sequence sits under (an item mapping: its sequence's key).
    name: String,
    /// For a sequence of typed objects: its items may also be scalars (Compose `ports`).
    scalar_ok: bool,
    /// The keys that opened a mapping or a sequence (no scalar value).
    parents: Vec<String>,
}

impl Frame {
    /// A new open mapping (or, `seq`, sequence) at a column, under the key `name`.
    fn new(seq: bool, indent: usize, ty: Ty, name: &str) -> Frame {
        Frame {
            seq,
            indent,
            ty,
            keys: Keys::default(),
            item_keys: Vec::new(),
            scalar_items: 0,
            map_items: 0,
            name: name.to_string(),
            scalar_ok: false,
            parents: Vec::new(),
        }
    }
}

/// A mapping's keys in order, with what placing the next key asks of them at hand: whether a key
/// is there, the keys named like it, and the one style all of them are written in.
#[derive(Clone, Debug, Default)]
struct Keys {
    list: Vec<String>,
    set: HashSet<String>,
    /// Positions in `list` by the last word of the key, stemmed (see [`keys_are_kin`]).
    by_last_word: std::collections::HashMap<String, Vec<usize>>,
    /// The style of the first key while every key has it (`dashboard-host`, `num-cpus`).
    style: Option<u8>,
}

impl Keys {
    fn push(&mut self, key: &str) {
        self.style = if self.list.is_empty() {
            key_style(key)
        } else {
            self.style.filter(|&s| key_style(key) == Some(s))
        };
        if let Some(word) = last_word_stem(key) {
            self.by_last_word
                .entry(word)
                .or_default()
                .push(self.list.len());
        }
        self.set.insert(key.to_string());
        self.list.push(key.to_string());
    }

    fn contains(&self, key: &str) -> bool {
        self.set.contains(key)
    }

    /// The keys that could be kin of `key`: those ending in the same word.
    fn ending_like(&self, key: &str) -> impl Iterator<Item = &String> {
        last_word_stem(key)
            .and_then(|w| self.by_last_word.get(&w))
            .into_iter()
            .flatten()
            .map(|&i| &self.list[i])
    }

    /// Whether all the keys are written one distinctive way (`dashboard-host`, `num-cpus`) and
    /// `key` is not.
    fn breaks_style(&self, key: &str) -> bool {
        self.style.is_some_and(|s| key_style(key) != Some(s))
    }
}

impl std::ops::Deref for Keys {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.list
    }
}

/// The last word of a key, lower case, without a plural `s`.
fn last_word_stem(key: &str) -> Option<String> {
    schema::split_words(key).pop().map(|w| stem(&w))
}

/// A lower-case word without a plural `s`.
fn stem(word: &str) -> String {
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// A key written with no value yet: its child (mapping or sequence) or its null comes next.
#[derive(Clone, Debug)]
struct Pending {
    key: String,
    owner: Ty,
    indent: usize,
}

/// Where a key goes.
#[derive(Clone, Debug)]
enum Target {
    /// Under the pending key, in a new mapping of this type.
    Child(Ty),
    /// Into the open mapping at this stack index.
    Frame(usize),
}

/// How the boundary before a candidate key looks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Boundary {
    /// Right after `key: `: the previous key has no value.
    Empty,
    /// After a space inside the value.
    Space,
    /// Glued to the end of the value.
    Glued,
}

#[derive(Clone, Debug)]
struct Candidate {
    start: usize,
    score: i32,
    /// Between two glued splits that score alike, the one at the more usual word boundary wins
    /// (see [`Schema::boundary_usualness`]); `None` for splits at a space or a line start.
    usualness: Option<u32>,
}

/// A key being placed: its name, and what its value looks like.
#[derive(Clone, Copy, Debug)]
struct KeyAt<'a> {
    name: &'a str,
    child: Child,
    /// Where the first key of a child mapping starts, when one follows.
    first_child: Option<usize>,
}

/// What follows a key.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Child {
    /// A value on the key's own line.
    Value,
    /// A block mapping.
    Map,
    /// A block sequence.
    Seq,
    /// Nothing yet: a mapping, a sequence or a null.
    Open,
}

impl KeyAt<'_> {
    /// The key has no scalar value: a mapping or a sequence (or null) follows.
    fn opens(&self) -> bool {
        self.child != Child::Value
    }

    /// Whether a field of this shape can hold what follows the key.
    fn fits_field(&self, field: &Field) -> bool {
        match self.child {
            Child::Map => field.allows_mapping(),
            Child::Seq => field.allows_sequence(),
            Child::Value | Child::Open => true,
        }
    }
}

/// How a value ended.
enum ValueEnd {
    /// The next line starts at this index.
    Next(usize),
    /// An inline comment starts at this index.
    Comment(usize),
}

/// The value of a key or item, as scanned.
struct Value {
    /// The value text (empty when the key opens a child).
    text: String,
    /// A block scalar's content lines.
    block: Option<Vec<String>>,
    /// Block scalar indentation indicator.
    block_indent: Option<usize>,
    /// The key still opens a child after this text (an anchor or tag such as `&base`).
    opens_child: bool,
    /// The value's end is certain (a newline, a spaced comment, a key the schema expects).
    certain_end: bool,
    /// An inline comment, with the whitespace before it.
    comment: Option<(String, String)>,
    next: usize,
}

/// Keys and values that appear cleanly (at a line start) somewhere in the text.
#[derive(Default)]
struct Vocab {
    keys: HashSet<String>,
    values: HashSet<String>,
    /// Runs of letters and digits that stand apart somewhere in the text, not before a colon
    /// (`hello` in `hello-svc`, `mysql` in `mysql://db`): words of this document.
    words: HashSet<String>,
}

/// The rebuilt text and the fixes made.
struct Rebuilt {
    text: String,
    fixes: Vec<Fix>,
    /// The rebuilt text without the `---` lines added to it, when some were.
    without_added: Option<String>,
}

/// How far into a document its root type is looked for.
const ROOT_SCAN_CHARS: usize = 64 * 1024;

/// Reads damaged YAML left to right and writes it back one line per key, item or comment.
struct Parser {
    t: Vec<char>,
    /// The text shows newlines that vanished without a space: values and keys may be glued.
    glued: bool,
    s: &'static Schema,
    stack: Vec<Frame>,
    pending: Option<Pending>,
    /// `- ` markers waiting to start the next line, and their column.
    prefix: Option<(usize, String)>,
    out: Vec<String>,
    /// Whole-line comments waiting for the next line's indentation.
    comments: Vec<String>,
    vocab: Vocab,
    /// The line being read starts right after a newline of the input.
    at_physical_start: bool,
    fixes: Vec<Fix>,
    /// The first key of a document without `kind` picks the root type.
    fragment_root: bool,
    /// Which field tree the document's root belongs to, when known: guesses stay within it.
    family: Option<Family>,
    /// The lines of `out` that are `---` separators the input did not have.
    added_separators: Vec<usize>,
    /// Where the input's `---` separators start.
    separators: Vec<usize>,
}

impl Parser {
    /// A parser over `text` (the YAML without a label line).
    fn new(text: &str) -> Parser {
        let t: Vec<char> = text.chars().collect();
        let glued = shows_glue(text);
        let mut p = Parser {
            t,
            glued,
            s: schema::schema(),
            stack: Vec::new(),
            pending: None,
            prefix: None,
            out: Vec::new(),
            comments: Vec::new(),
            vocab: Vocab::default(),
            at_physical_start: true,
            fixes: Vec::new(),
            fragment_root: false,
            family: None,
            added_separators: Vec::new(),
            separators: Vec::new(),
        };
        p.vocab = p.collect_vocab(text);
        p.separators = (0..p.t.len()).filter(|&i| p.doc_separator_at(i)).collect();
        p.start_document(0);
        p
    }

    /// Reads every line and returns the rebuilt text.
    fn run(mut self) -> Rebuilt {
        let mut pos = 0;
        let mut guard = 0usize;
        while pos < self.t.len() {
            let next = self.parse_line(pos);
            guard += 1;
            pos = if next <= pos { pos + 1 } else { next };
            if guard > self.t.len() * 4 + 16 {
                break;
            }
        }
        self.flush_comments(0);
        let mut text = self.out.join("\n");
        text.push('\n');
        let lines = self.out.len();
        self.fixes.push(Fix::new(
            1,
            "yaml-rebuilt",
            format!("rebuilt the YAML's lines and nesting ({lines} lines)"),
        ));
        let without_added = (!self.added_separators.is_empty()).then(|| {
            self.out
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.added_separators.contains(i))
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        });
        Rebuilt {
            text,
            fixes: self.fixes,
            without_added,
        }
    }

    // ----- vocabulary and document roots

    /// Keys at the start of a line and values at the end of one: their edges are certain.
    fn collect_vocab(&self, text: &str) -> Vocab {
        let mut vocab = Vocab::default();
        for line in text.lines() {
            let mut rest = line.trim();
            while let Some(r) = rest.strip_prefix("- ") {
                rest = r.trim_start();
            }
            let chars: Vec<char> = rest.chars().collect();
            for key in glued_key_chain(&chars) {
                vocab.keys.insert(key);
            }
            if rest.contains(" #") || rest.starts_with('#') {
                continue;
            }
            if let Some((_, value)) = rest.rsplit_once(": ") {
                let value = value.trim();
                if !value.is_empty() && !value.contains(':') {
                    vocab.values.insert(value.to_string());
                }
            }
        }
        vocab.words = document_words(text);
        vocab
    }

    /// Opens the root mapping of a document whose text starts at `from`.
    fn start_document(&mut self, from: usize) {
        self.stack.clear();
        self.pending = None;
        self.prefix = None;
        let ty = self.root_type(from);
        self.fragment_root = ty == Ty::Unknown;
        self.family = match &ty {
            Ty::Known(t) | Ty::Open(t) => Some(self.s.family(*t)),
            _ => None,
        };
        self.stack.push(Frame::new(false, 0, ty, ""));
    }

    /// The root type of the document starting at `from`: its kind's, a Compose file's, the
    /// common resource fields for an unknown kind, or unknown.
    fn root_type(&self, from: usize) -> Ty {
        // A document's kind and first keys are near its start: a long text with no separators
        // (documents glued one after another) is not read to its end for each of them.
        let end = self.document_end(from).min(from + ROOT_SCAN_CHARS);
        let segment = text_of(&self.t, from, end);
        if let Some(kind) = find_kind(&segment) {
            if let Some(root) = self.kind_type(&kind) {
                return Ty::Known(root);
            }
            return self.s.generic_root().map_or(Ty::Unknown, Ty::Open);
        }
        let first = first_key(&segment).unwrap_or_default();
        if first == "apiVersion" {
            return self.s.generic_root().map_or(Ty::Unknown, Ty::Open);
        }
        let compose = first == "services"
            || ((first == "version" || first == "name" || first.starts_with("x-"))
                && segment.contains("services:"));
        if compose && let Some(root) = self.s.compose_root() {
            return Ty::Known(root);
        }
        Ty::Unknown
    }

    /// The schema type of a kind, also when the kind is glued to the next key (`Podmetadata`).
    fn kind_type(&self, kind: &str) -> Option<TypeId> {
        if let Some(t) = self.s.root_for_kind(kind) {
            return Some(t);
        }
        let mut best: Option<&str> = None;
        for known in self.s.kinds() {
            let glued_rest = kind.strip_prefix(known);
            let fits = glued_rest.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_lowercase()));
            if fits && best.is_none_or(|b| known.len() > b.len()) {
                best = Some(known);
            }
        }
        best.and_then(|k| self.s.root_for_kind(k))
    }

    /// Where the document starting at `from` ends (its `---` or the end of the text).
    fn document_end(&self, from: usize) -> usize {
        let next = self.separators.partition_point(|&s| s <= from);
        self.separators.get(next).copied().unwrap_or(self.t.len())
    }

    /// Whether a `---` document separator starts at `i`.
    fn doc_separator_at(&self, i: usize) -> bool {
        let t = &self.t;
        if i + 3 > t.len() || t[i] != '-' || t[i + 1] != '-' || t[i + 2] != '-' {
            return false;
        }
        let after_ok = t.get(i + 3).is_none_or(|&c| is_ws(c))
            || (self.glued && self.key_at_loose(i + 3).is_some());
        let before_ok = i == 0 || is_ws(t[i - 1]) || (self.glued && t[i - 1] != '-');
        after_ok && before_ok
    }

    // ----- lines

    /// Reads one line starting at `pos` (after whitespace) and returns where the next one starts.
    fn parse_line(&mut self, pos: usize) -> usize {
        let mut p = pos;
        let mut crossed_newline = pos == 0;
        while p < self.t.len() && is_ws(self.t[p]) {
            crossed_newline |= self.t[p] == '\n';
            p += 1;
        }
        if p >= self.t.len() {
            return p;
        }
        self.at_physical_start = crossed_newline;
        let c = self.t[p];
        if self.doc_separator_at(p) && (p == 0 || is_ws(self.t[p - 1]) || self.glued) {
            return self.parse_document_separator(p);
        }
        if c == '#' {
            let pending = self.pending.clone();
            let end = self.scan_comment(p, pending.as_ref());
            let comment = text_of(&self.t, p, end).trim_end().to_string();
            self.comments.push(comment);
            return end;
        }
        if c == '-' && self.t.get(p + 1).is_none_or(|&n| is_ws(n)) {
            return self.parse_item(p);
        }
        if let Some(colon) = self.key_at(p) {
            return self.parse_key_line(p, colon);
        }
        self.parse_loose_scalar(p)
    }

    /// A `---`: the next document starts with a fresh root.
    fn parse_document_separator(&mut self, p: usize) -> usize {
        self.flush_comments(0);
        self.prefix = None;
        self.out.push("---".to_string());
        self.start_document(p + 3);
        p + 3
    }

    /// The colon ending a key that starts at `p`, if a key starts there.
    fn key_at(&self, p: usize) -> Option<usize> {
        let t = &self.t;
        if matches!(t[p], '"' | '\'') {
            let end = scan_quoted(t, p)?;
            let ok = t.get(end) == Some(&':') && self.after_colon_ok(end + 1, 0);
            return ok.then_some(end);
        }
        if !is_key_start(t[p]) {
            return None;
        }
        let mut q = p;
        while q < t.len() && is_key_char(t[q]) {
            q += 1;
        }
        if q >= t.len() || t[q] != ':' {
            return None;
        }
        let after = q + 1;
        let ok = self.after_colon_ok(after, 0)
            || (self.glued && t.get(after).is_some_and(|&c| matches!(c, '[' | '{')));
        ok.then_some(q)
    }

    /// What follows the key whose colon is at `colon`: a value, or a child mapping or sequence.
    fn child_after(&self, colon: usize) -> Child {
        let t = &self.t;
        let mut q = colon + 1;
        if q < t.len() && !is_ws(t[q]) {
            return match t[q] {
                '#' => Child::Open,
                _ if self.glued_start(q, 0) => self.line_start_kind(q),
                _ => Child::Value,
            };
        }
        while q < t.len() && is_space(t[q]) {
            q += 1;
        }
        match t.get(q) {
            None | Some('#') => Child::Open,
            Some('\n') => {
                while q < t.len() && is_ws(t[q]) {
                    q += 1;
                }
                if q >= t.len() || t[q] == '#' {
                    Child::Open
                } else {
                    self.line_start_kind(q)
                }
            }
            Some('-') if t.get(q + 1).is_none_or(|&n| is_ws(n)) => Child::Seq,
            // With glue, `key: textkey:` is mostly a value glued to the next key.
            Some(_) => {
                let key_follows = self
                    .key_at_loose(q)
                    .is_some_and(|c| t.get(c + 1).is_none_or(|&n| is_ws(n)));
                if !self.glued && key_follows {
                    Child::Map
                } else {
                    Child::Value
                }
            }
        }
    }

    /// The start of the first key of the mapping that the key at `colon` opens, if one follows.
    fn first_child_key(&self, colon: usize) -> Option<usize> {
        let t = &self.t;
        let mut q = colon + 1;
        while q < t.len() && is_ws(t[q]) {
            q += 1;
        }
        self.key_at_loose(q).map(|_| q)
    }

    /// The key starting at `start`, as text.
    fn key_text(&self, start: usize) -> Option<String> {
        self.key_at_loose(start).map(|c| text_of(&self.t, start, c))
    }

    /// Whether the line starting at `q` is a `- ` item, a key, or something else.
    fn line_start_kind(&self, q: usize) -> Child {
        let t = &self.t;
        if t[q] == '-' && t.get(q + 1).is_none_or(|&n| is_ws(n)) && !self.doc_separator_at(q) {
            Child::Seq
        } else if self.key_at_loose(q).is_some() {
            Child::Map
        } else {
            Child::Open
        }
    }

    /// What may follow a key's colon: whitespace, the end, or (glued) the next line's start.
    fn after_colon_ok(&self, q: usize, depth: usize) -> bool {
        match self.t.get(q) {
            None => true,
            Some(&c) if is_ws(c) => true,
            Some('#') => self.glued,
            Some(_) => self.glued && self.glued_start(q, depth),
        }
    }

    /// Whether a line that lost its newline starts at `q`: a `- ` item or a key.
    fn glued_start(&self, q: usize, depth: usize) -> bool {
        let t = &self.t;
        if q >= t.len() {
            return false;
        }
        if t[q] == '-' && t.get(q + 1).is_none_or(|&c| is_ws(c)) {
            return true;
        }
        // A key glued on starts with a letter and has no `@` (`user:pass@db:3306` is a value).
        if depth >= 16 || !(t[q].is_alphabetic() || matches!(t[q], '_' | '.' | '$' | '<')) {
            return false;
        }
        let mut j = q;
        while j < t.len() && is_key_char(t[j]) {
            if t[j] == '@' {
                return false;
            }
            j += 1;
        }
        j < t.len() && t[j] == ':' && self.after_colon_ok(j + 1, depth + 1)
    }

    // ----- keys

    /// A `key: value` line (or `key:` opening a child): places the key, then reads its value.
    fn parse_key_line(&mut self, start: usize, colon: usize) -> usize {
        let key = text_of(&self.t, start, colon);
        self.finish_fragment_root(&key);
        let allow_child = self.pending.is_some();
        let probe = KeyAt {
            name: &key,
            child: self.child_after(colon),
            first_child: self.first_child_key(colon),
        };
        let (mut target, fit) = self.place_key(probe, colon, allow_child);
        let line_start = self.glued && self.at_physical_start;
        if (fit == Fit::Reject || (line_start && fit <= Fit::Weak)) && self.repeats_root_key(&key) {
            // The key the document started with, taken by no open mapping (or, at the start of a
            // line, taken only weakly): a second document starts here, its `---` lost with the
            // line breaks.
            self.flush_comments(0);
            self.prefix = None;
            self.added_separators.push(self.out.len());
            self.out.push("---".to_string());
            self.fixes.push(Fix::new(
                self.out.len(),
                "yaml-document",
                format!("`{key}` came again after a whole document: a new document starts there"),
            ));
            self.start_document(start);
            target = self.place_key(probe, colon, false).0;
        }
        let indent = self.apply_target(target);
        let opens = self.child_after(colon) != Child::Value;
        self.record_key(&key, opens);
        let owner = self.stack.last().map_or(Ty::Unknown, |f| f.ty.clone());
        let pending = Pending {
            key: key.clone(),
            owner,
            indent,
        };
        let value = self.scan_value(colon + 1, &pending);
        let head = text_of(&self.t, start, colon + 1);
        self.write_entry(indent, &head, &value);
        if value.opens_child || (value.text.is_empty() && value.block.is_none()) {
            self.pending = Some(pending);
        }
        value.next
    }

    /// Whether `key` is the first key of a document's root mapping that has more than one: the
    /// documents of a stream start alike (`apiVersion`, `version`).
    fn repeats_root_key(&self, key: &str) -> bool {
        self.stack
            .first()
            .is_some_and(|root| !root.seq && root.keys.len() >= 2 && root.keys[0] == key)
    }

    /// Adds a key to the innermost mapping (and to its sequence's item keys).
    fn record_key(&mut self, key: &str, opens: bool) {
        let n = self.stack.len();
        if n == 0 {
            return;
        }
        // In a fragment (no kind), a mapping of unknown type is typed by its first key.
        let top = &self.stack[n - 1];
        if self.family.is_none() && top.ty == Ty::Unknown && top.keys.is_empty() && !top.seq {
            let owners = self.field_owners(key);
            if !owners.is_empty() && owners.len() <= 8 {
                self.stack[n - 1].ty = Ty::Guess(owners);
            }
        }
        self.stack[n - 1].keys.push(key);
        if opens {
            self.stack[n - 1].parents.push(key.to_string());
        }
        if n >= 2 && self.stack[n - 2].seq {
            let items = &mut self.stack[n - 2].item_keys;
            if !items.iter().any(|k| k == key) {
                items.push(key.to_string());
            }
        }
    }

    /// The root of a document with no `kind` is typed by its first key (`containers` -> pod spec).
    fn finish_fragment_root(&mut self, key: &str) {
        if !self.fragment_root || self.stack.len() != 1 {
            return;
        }
        self.fragment_root = false;
        let types = self.s.types_with_field(key);
        if !types.is_empty() && types.len() <= 8 {
            self.stack[0].ty = Ty::Guess(types.to_vec());
        }
    }

    /// Writes `head value # comment` (and a block scalar's lines) at `indent`.
    fn write_entry(&mut self, indent: usize, head: &str, value: &Value) {
        if value.certain_end && value.block.is_none() && !value.text.is_empty() {
            self.vocab.values.insert(value.text.clone());
        }
        let mut line = head.to_string();
        if !value.text.is_empty() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&value.text);
        }
        if let Some((sep, comment)) = &value.comment {
            line.push_str(if sep.is_empty() { " " } else { sep });
            line.push_str(comment);
            if sep.is_empty() {
                self.fixes.push(Fix::new(
                    self.out.len() + 1,
                    "yaml-comment-space",
                    "a comment glued to its value got the space it needs",
                ));
            }
        }
        self.emit(indent, line);
        if let Some(lines) = &value.block {
            let base = indent + value.block_indent.unwrap_or(2);
            for content in lines {
                self.out.push(format!("{}{}", " ".repeat(base), content));
            }
        }
    }

    /// Emits a structural line at `indent` (or after pending `- ` markers), whole-line comments first.
    fn emit(&mut self, indent: usize, content: String) {
        let col = self.prefix.as_ref().map_or(indent, |(c, _)| *c);
        self.flush_comments(col);
        let line = match self.prefix.take() {
            Some((c, dashes)) => format!("{}{}{}", " ".repeat(c), dashes, content),
            None => format!("{}{}", " ".repeat(indent), content),
        };
        self.out.push(line.trim_end().to_string());
    }

    /// Writes the waiting whole-line comments at `indent`.
    fn flush_comments(&mut self, indent: usize) {
        for c in std::mem::take(&mut self.comments) {
            self.out.push(format!("{}{}", " ".repeat(indent), c));
        }
    }

    /// Closes frames for a placement and returns the new key's column.
    fn apply_target(&mut self, target: Target) -> usize {
        match target {
            Target::Child(ty) => {
                let indent = self.pending.as_ref().map_or(0, |p| p.indent + 2);
                let name = self.pending.take().map(|p| p.key).unwrap_or_default();
                self.stack.push(Frame::new(false, indent, ty, &name));
                indent
            }
            Target::Frame(idx) => {
                self.pending = None;
                self.stack.truncate(idx + 1);
                self.stack[idx].indent
            }
        }
    }

    /// Where `key` (its colon at `colon`) goes and how well it fits there. With `allow_child`, the
    /// pending key may take it.
    fn place_key(&self, key: KeyAt, colon: usize, allow_child: bool) -> (Target, Fit) {
        let mut options: Vec<(Target, Fit)> = Vec::new();
        if allow_child && let Some(p) = &self.pending {
            match self.child_map_type(&p.owner, &p.key) {
                Some(child) => {
                    let fit = self.fit(&child, &Keys::default(), &p.key, key);
                    let elsewhere = (0..self.stack.len())
                        .any(|i| !self.stack[i].seq && self.fit_frame(i, key) >= Fit::Weak);
                    if fit >= Fit::Weak || (fit == Fit::Unlikely && !elsewhere) {
                        return (Target::Child(child), fit);
                    }
                }
                // The pending key's owner is unknown and its name holds a scalar in the types
                // that have it (`path` of an Ingress, `runAsUser`): written with nothing after
                // it and a key next, it still most likely opens a mapping of its own.
                None if p.owner == Ty::Unknown && !self.glued => {
                    let expected = (0..self.stack.len())
                        .any(|i| !self.stack[i].seq && self.fit_frame(i, key) >= Fit::Likely);
                    if !expected {
                        return (Target::Child(Ty::Unknown), Fit::Weak);
                    }
                }
                None => {}
            }
        }
        for idx in (0..self.stack.len()).rev() {
            if !self.stack[idx].seq {
                options.push((Target::Frame(idx), self.fit_frame(idx, key)));
            }
        }
        if let Some(best) = options.iter().find(|(_, f)| *f >= Fit::Likely) {
            return best.clone();
        }
        if let Some(parallel) = self.parallel_frame(key, colon) {
            return (Target::Frame(parallel), Fit::Weak);
        }
        if self.glued && self.at_physical_start && self.stack.len() > 1 {
            let root = &self.stack[0];
            let loose_root = matches!(root.ty, Ty::Unknown | Ty::Guess(_));
            if !root.seq && loose_root && self.fit(&root.ty, &root.keys, "", key) >= Fit::Unlikely {
                return (Target::Frame(0), Fit::Weak);
            }
        }
        if let Some(kin) = self.frame_with_kin(key, &options) {
            return kin;
        }
        for floor in [Fit::Weak, Fit::Unlikely] {
            if let Some(best) = options.iter().find(|(_, f)| *f >= floor) {
                return best.clone();
            }
        }
        // Nothing expects the key: a key with nothing after it opens a mapping.
        if allow_child
            && let Some(p) = &self.pending
            && let Some(child) = self.child_map_type(&p.owner, &p.key)
        {
            return (Target::Child(child), Fit::Reject);
        }
        let innermost = (0..self.stack.len()).rev().find(|&i| !self.stack[i].seq);
        match innermost {
            Some(i) => (Target::Frame(i), Fit::Reject),
            None => (Target::Frame(0), Fit::Reject),
        }
    }

    /// The mapping that holds the key of the innermost one, when `key` opens a mapping that
    /// starts with the same key as the innermost (`runAsUser: rule: … seLinux: rule: …`,
    /// `authentication: type: … authorization: type: …`): where no schema tells, a mapping is
    /// more likely a sibling written alike than a child that repeats its parent's first key.
    fn parallel_frame(&self, key: KeyAt, colon: usize) -> Option<usize> {
        if !matches!(key.child, Child::Map | Child::Open) {
            return None;
        }
        // The first key after `colon`, past comments (that end where the key's child starts).
        let t = &self.t;
        let awaiting = Pending {
            key: key.name.to_string(),
            owner: Ty::Unknown,
            indent: 0,
        };
        let mut q = colon + 1;
        loop {
            while q < t.len() && is_ws(t[q]) {
                q += 1;
            }
            if t.get(q) != Some(&'#') {
                break;
            }
            q = self.scan_comment(q, Some(&awaiting));
        }
        let first_child = self.key_text(q)?;
        // The innermost mapping that starts so, inside one that can take `key`.
        (1..self.stack.len())
            .rev()
            .find(|&inner| {
                let frame = &self.stack[inner];
                let parent = &self.stack[inner - 1];
                !frame.seq
                    && frame.ty == Ty::Unknown
                    && frame.keys.list.first() == Some(&first_child)
                    && !frame.keys.contains(key.name)
                    && !parent.seq
                    && !parent.keys.contains(key.name)
                    && self.fit_frame(inner - 1, key) >= Fit::Unlikely
            })
            .map(|inner| inner - 1)
    }

    /// An open mapping, outside the innermost one that would take `key`, that holds a key named
    /// like it (`selector` next to `namespaceSelector`, `workerGroupSpecs` next to `headGroupSpec`).
    fn frame_with_kin(&self, probe: KeyAt, options: &[(Target, Fit)]) -> Option<(Target, Fit)> {
        let key = probe.name;
        let open: Vec<&(Target, Fit)> = options
            .iter()
            .filter(|(_, f)| *f >= Fit::Unlikely)
            .collect();
        let first = open.first()?;
        // A key named like the key that opened a mapping belongs inside it (`delay: fixedDelay:`).
        let inner_names: Vec<&str> = match first.0 {
            Target::Frame(i) => self.stack[i..].iter().map(|f| f.name.as_str()).collect(),
            Target::Child(_) => Vec::new(),
        };
        let longer = |n: &str| schema::split_words(key).len() > schema::split_words(n).len();
        if inner_names
            .iter()
            .any(|n| keys_are_kin(n, key) && longer(n))
        {
            return None;
        }
        // Kin keys hold the same kind of value: both a scalar, or both a mapping or list.
        let opens = probe.opens();
        // The root of a Kubernetes object holds its few fields (`spec`), not kin of theirs
        // (`headGroupSpec` belongs deeper).
        let object_root = |i: usize| {
            i == 0
                && self.stack[0].keys.contains("apiVersion")
                && self.stack[0].keys.contains("kind")
        };
        let has_kin = |target: &Target| match target {
            Target::Frame(i) if object_root(*i) => false,
            Target::Frame(i) => {
                let frame = &self.stack[*i];
                frame
                    .keys
                    .ending_like(key)
                    .any(|k| keys_are_kin(k, key) && frame.parents.contains(k) == opens)
            }
            Target::Child(_) => false,
        };
        if has_kin(&first.0) {
            return None;
        }
        open.iter()
            .skip(1)
            .find(|(t, _)| has_kin(t))
            .map(|o| (*o).clone())
    }

    /// How well `key` fits the open mapping at `idx`; keys its sibling items used fit an item.
    fn fit_frame(&self, idx: usize, key: KeyAt) -> Fit {
        let frame = &self.stack[idx];
        let fit = self.fit(&frame.ty, &frame.keys, &frame.name, key);
        let seq = (idx > 0 && self.stack[idx - 1].seq).then(|| &self.stack[idx - 1]);
        let sibling_key = seq.is_some_and(|s| s.item_keys.iter().any(|k| k == key.name));
        // Items of one list look alike: after a few, a key none of them had is not theirs.
        let foreign_key = seq.is_some_and(|s| s.map_items >= 3 && !sibling_key);
        match fit {
            Fit::Weak | Fit::Unlikely if sibling_key => Fit::Likely,
            Fit::Weak if foreign_key => Fit::Unlikely,
            _ => fit,
        }
    }

    /// How well `key` fits a mapping of type `ty` that already has `keys`.
    fn fit(&self, ty: &Ty, keys: &Keys, frame_name: &str, key: KeyAt) -> Fit {
        let name = key.name;
        if keys.contains(name) {
            return Fit::Reject;
        }
        let takes = |t: &TypeId| {
            self.s
                .field(*t, name)
                .is_some_and(|f| key.fits_field(f) && self.first_child_fits(key, f))
        };
        // The field is there, but what follows does not match it (an older version of the API).
        let loosely = |t: &TypeId| self.s.field(*t, name).is_some_and(|f| key.fits_field(f));
        match ty {
            Ty::Known(t) if !self.s.fields(*t).is_empty() => {
                if takes(t) {
                    Fit::Strong
                } else if loosely(t) || self.misspells_field(*t, keys, name) {
                    Fit::Weak
                } else {
                    Fit::Reject
                }
            }
            Ty::Open(t) => {
                if takes(t) {
                    Fit::Strong
                } else if self.s.has_field(*t, name) {
                    Fit::Reject
                } else {
                    Fit::Weak
                }
            }
            Ty::Guess(ts) => {
                let matching: Vec<TypeId> = ts
                    .iter()
                    .copied()
                    .filter(|t| keys.iter().all(|k| self.s.has_field(*t, k)))
                    .collect();
                if matching.iter().any(takes) {
                    Fit::Likely
                } else if keys.is_empty() || matching.is_empty() {
                    Fit::Weak
                } else {
                    // The guess was confirmed by the earlier keys, and this one is not in it.
                    Fit::Unlikely
                }
            }
            Ty::Unknown if keys.len() >= 2 => {
                // Keys seen so far that belong to a known type named like this mapping's key
                // (`podTolerations` holding `key`, `operator`, `effect`) tell what it is.
                let inferred: Vec<TypeId> = self
                    .types_with_all(keys)
                    .into_iter()
                    .filter(|t| names_share_word(frame_name, self.s.type_name(*t)))
                    .collect();
                if inferred.is_empty() || inferred.iter().any(takes) {
                    Fit::Weak
                } else {
                    Fit::Unlikely
                }
            }
            // Free-form maps hold scalars: a key that opens a mapping or a list is not theirs.
            Ty::FreeMap if key.opens() => Fit::Reject,
            // A map of typed objects: the new entry's first key should be a field of that type.
            Ty::ObjMap(t) => {
                let first = key.first_child.and_then(|p| self.key_text(p));
                match (key.child, first) {
                    (Child::Value, _) => Fit::Unlikely,
                    (Child::Map, Some(k)) if self.s.has_field(*t, &k) => Fit::Likely,
                    (Child::Map, Some(_)) => Fit::Unlikely,
                    _ => Fit::Weak,
                }
            }
            Ty::Scalars => Fit::Reject,
            _ if keys.breaks_style(name) => Fit::Unlikely,
            _ => Fit::Weak,
        }
    }

    /// Whether `key` is a field of `ty` with a letter mistyped or two swapped
    /// (`protectionDoamin`), the field not yet given.
    fn misspells_field(&self, ty: TypeId, keys: &Keys, key: &str) -> bool {
        key.len() >= 8
            && self.s.fields(ty).iter().any(|field| {
                field.len() == key.len()
                    && !keys.contains(field)
                    && schema::edit_distance_within(key, field, 1).is_some()
            })
    }

    /// Whether the first key of the mapping a key opens is a field of the key's object type.
    fn first_child_fits(&self, key: KeyAt, field: &Field) -> bool {
        if key.child != Child::Map {
            return true;
        }
        let (Some(child), Some(first)) = (field.object_type(), key.first_child) else {
            return true;
        };
        let Some(first) = self.key_text(first) else {
            return true;
        };
        self.s.fields(child).is_empty() || self.s.has_field(child, &first)
    }

    /// The types that have every one of `keys` as a field.
    fn types_with_all(&self, keys: &[String]) -> Vec<TypeId> {
        let Some(first) = keys.first() else {
            return Vec::new();
        };
        self.field_owners(first)
            .into_iter()
            .filter(|t| keys.iter().all(|k| self.s.has_field(*t, k)))
            .collect()
    }

    /// The types with a field named `key`, within the document's field tree when it is known.
    fn field_owners(&self, key: &str) -> Vec<TypeId> {
        self.s
            .types_with_field(key)
            .iter()
            .copied()
            .filter(|t| self.family.is_none_or(|f| self.s.family(*t) == f))
            .collect()
    }

    /// Whether fields ending in the same word as `key` are all free-form maps (`commonLabels`
    /// like `labels` and `matchLabels`).
    fn named_like_free_maps(&self, key: &str) -> bool {
        let words = schema::split_words(key);
        let (Some(last), true) = (words.last(), words.len() >= 2) else {
            return false;
        };
        let mut seen = 0;
        for t in self.field_owners(last) {
            match self.s.field(t, last) {
                Some(f) if f.is_free_map() => seen += 1,
                _ => return false,
            }
        }
        seen >= 1
    }

    /// The field `key` of a mapping of type `owner` (merged over guessed types).
    fn field_of(&self, owner: &Ty, key: &str) -> Option<Field> {
        let types: Vec<TypeId> = match owner {
            Ty::Known(t) | Ty::Open(t) => vec![*t],
            Ty::Guess(ts) => ts.clone(),
            _ => return None,
        };
        let mut shapes: Vec<Shape> = Vec::new();
        for t in types {
            if let Some(f) = self.s.field(t, key) {
                for s in &f.shapes {
                    if !shapes.contains(s) {
                        shapes.push(*s);
                    }
                }
            }
        }
        (!shapes.is_empty()).then_some(Field { shapes })
    }

    /// The type of the mapping that `key` of an `owner` mapping opens; `None` when its value is a scalar.
    fn child_map_type(&self, owner: &Ty, key: &str) -> Option<Ty> {
        match owner {
            Ty::ObjMap(t) => return Some(Ty::Known(*t)),
            Ty::FreeMap | Ty::Scalars => return None,
            _ => {}
        }
        match self.field_of(owner, key) {
            Some(field) => field_map_type(&field).map(|t| guessed_if(owner, t)),
            None => self.guess_map_type(key),
        }
    }

    /// The item type of the sequence that `key` of an `owner` mapping opens.
    fn child_seq_type(&self, owner: &Ty, key: &str) -> Ty {
        match self.field_of(owner, key) {
            Some(field) => guessed_if(owner, field_seq_type(&field)),
            None => self.guess_seq_type(key),
        }
    }

    /// The mapping type a key of this name opens anywhere in the schema.
    fn guess_map_type(&self, key: &str) -> Option<Ty> {
        let owners = self.field_owners(key);
        if owners.is_empty() && self.named_like_free_maps(key) {
            return Some(Ty::FreeMap);
        }
        let mut objects: Vec<TypeId> = Vec::new();
        let mut maps = 0;
        let mut scalars = 0;
        let mut total = 0;
        for t in owners {
            let Some(field) = self.s.field(t, key) else {
                continue;
            };
            total += 1;
            if let Some(o) = field.object_type() {
                if !objects.contains(&o) {
                    objects.push(o);
                }
            } else if field.is_free_map() {
                maps += 1;
            } else if !field.allows_mapping() && !field.allows_sequence() {
                scalars += 1;
            }
        }
        if total > 0 && scalars == total {
            return None;
        }
        if maps > 0 && objects.is_empty() {
            return Some(Ty::FreeMap);
        }
        if !objects.is_empty() && objects.len() <= 8 {
            return Some(Ty::Guess(objects));
        }
        Some(Ty::Unknown)
    }

    /// The item type of a sequence a key of this name opens anywhere in the schema.
    fn guess_seq_type(&self, key: &str) -> Ty {
        let mut items: Vec<TypeId> = Vec::new();
        for t in self.field_owners(key) {
            if let Some(i) = self.s.field(t, key).and_then(Field::item_type)
                && !items.contains(&i)
            {
                items.push(i);
            }
        }
        if !items.is_empty() && items.len() <= 8 {
            Ty::Guess(items)
        } else {
            Ty::Unknown
        }
    }

    // ----- items

    /// A `- ` item: puts it into its sequence, then reads what follows the dash.
    fn parse_item(&mut self, dash: usize) -> usize {
        let col = self.place_item(dash);
        match &mut self.prefix {
            Some((_, dashes)) => dashes.push_str("- "),
            None => self.prefix = Some((col, "- ".to_string())),
        }
        let mut p = dash + 1;
        while p < self.t.len() && is_space(self.t[p]) {
            p += 1;
        }
        if p >= self.t.len() || self.t[p] == '\n' {
            self.emit(col, String::new());
            return p;
        }
        let c = self.t[p];
        if c == '-' && self.t.get(p + 1).is_none_or(|&n| is_ws(n)) && !self.doc_separator_at(p) {
            // A nested `- - x`: the inner dash opens a sequence inside this item.
            let name = self
                .stack
                .last()
                .map(|f| f.name.clone())
                .unwrap_or_default();
            self.stack
                .push(Frame::new(true, col + 2, Ty::Unknown, &name));
            return self.parse_item(p);
        }
        if c == '#' {
            let end = self.scan_comment(p, None);
            let comment = text_of(&self.t, p, end).trim_end().to_string();
            self.emit(col, comment);
            return end;
        }
        let scalar_items = self.stack.last().is_some_and(|f| {
            f.ty == Ty::Scalars
                || (f.ty == Ty::Unknown && f.scalar_items > 0 && f.item_keys.is_empty())
        });
        let key = self.key_at(p).filter(|&colon| {
            let key = text_of(&self.t, p, colon);
            let glued_scalar = scalar_items && self.glued;
            !glued_scalar && !self.scalar_rather_than(&key)
        });
        if let Some(colon) = key {
            let ty = self.stack.last().map_or(Ty::Unknown, |f| f.ty.clone());
            let map_ty = match ty {
                Ty::Scalars => Ty::Unknown,
                other => other,
            };
            if let Some(seq) = self.stack.last_mut() {
                seq.map_items += 1;
            }
            let name = self
                .stack
                .last()
                .map(|f| f.name.clone())
                .unwrap_or_default();
            self.stack.push(Frame::new(false, col + 2, map_ty, &name));
            self.pending = None;
            return self.parse_first_item_key(p, colon, col + 2);
        }
        let owner = Pending {
            key: String::new(),
            owner: Ty::Scalars,
            indent: col,
        };
        let value = self.scan_value_at(p, &owner);
        if let Some(seq) = self.stack.last_mut() {
            seq.scalar_items += 1;
        }
        self.write_entry(col, "", &value);
        value.next
    }

    /// The first key of an item mapping (`- name: web`): it opens the mapping at `indent`.
    fn parse_first_item_key(&mut self, start: usize, colon: usize, indent: usize) -> usize {
        let key = text_of(&self.t, start, colon);
        let opens = self.child_after(colon) != Child::Value;
        self.record_key(&key, opens);
        let owner = self.stack.last().map_or(Ty::Unknown, |f| f.ty.clone());
        let pending = Pending { key, owner, indent };
        let value = self.scan_value(colon + 1, &pending);
        let head = text_of(&self.t, start, colon + 1);
        self.write_entry(indent, &head, &value);
        if value.opens_child || (value.text.is_empty() && value.block.is_none()) {
            self.pending = Some(pending);
        }
        value.next
    }

    /// Whether an item starting with `key:` is rather a scalar: its sequence takes scalars too
    /// and its item type has no such field (`- 80:80` in Compose `ports`).
    fn scalar_rather_than(&self, key: &str) -> bool {
        let Some(seq) = self.stack.last().filter(|f| f.seq && f.scalar_ok) else {
            return false;
        };
        match &seq.ty {
            Ty::Known(t) => !self.s.has_field(*t, key),
            Ty::Guess(ts) => !ts.iter().any(|t| self.s.has_field(*t, key)),
            _ => false,
        }
    }

    /// Puts a `- ` item into its sequence (opening one under a pending key) and returns the dash column.
    fn place_item(&mut self, dash: usize) -> usize {
        if self.prefix.is_some() {
            // A nested dash on the same line: the sequence was just opened.
            return self.stack.last().map_or(0, |f| f.indent);
        }
        if let Some(p) = self.pending.take() {
            let ty = self.child_seq_type(&p.owner, &p.key);
            let mut frame = Frame::new(true, p.indent, ty, &p.key);
            frame.scalar_ok = self
                .field_of(&p.owner, &p.key)
                .is_some_and(|f| f.shapes.contains(&Shape::Array));
            self.stack.push(frame);
            return p.indent;
        }
        let seqs: Vec<usize> = (0..self.stack.len())
            .rev()
            .filter(|&i| self.stack[i].seq)
            .collect();
        let chosen = match seqs.len() {
            0 => None,
            1 => Some(seqs[0]),
            _ => Some(self.choose_sequence(&seqs, dash)),
        };
        match chosen {
            Some(idx) => {
                self.stack.truncate(idx + 1);
                self.stack[idx].indent
            }
            None => {
                let root_empty = self.stack.len() == 1 && self.stack[0].keys.is_empty();
                if root_empty {
                    self.stack[0].seq = true;
                    self.stack[0].ty = Ty::Unknown;
                    0
                } else {
                    let indent = self.stack.last().map_or(0, |f| f.indent);
                    self.stack.push(Frame::new(true, indent, Ty::Unknown, ""));
                    indent
                }
            }
        }
    }

    /// Picks the open sequence a new item belongs to, by how many of its first keys each item type has.
    fn choose_sequence(&self, seqs: &[usize], dash: usize) -> usize {
        let keys = self.peek_item_keys(dash + 1);
        let scalar_item = keys.is_empty();
        let mut best = seqs[0];
        let mut best_score = -1i32;
        for &idx in seqs {
            let frame = &self.stack[idx];
            let score = if scalar_item {
                match frame.ty {
                    Ty::Scalars | Ty::Unknown => 1,
                    _ => 0,
                }
            } else {
                self.item_keys_score(&frame.ty, &frame.item_keys, &keys)
            };
            if score > best_score {
                best_score = score;
                best = idx;
            }
        }
        best
    }

    /// How many of the leading `keys` (raw, maybe glued to a value) a mapping of `ty` has, x2.
    fn item_keys_score(&self, ty: &Ty, seen: &[String], keys: &[String]) -> i32 {
        let types: Vec<TypeId> = match ty {
            Ty::Known(t) | Ty::Open(t) => vec![*t],
            Ty::Guess(ts) => ts.clone(),
            Ty::Scalars => return 0,
            _ => Vec::new(),
        };
        let known =
            |k: &str| types.iter().any(|t| self.s.has_field(*t, k)) || seen.iter().any(|s| s == k);
        let mut score = 0;
        for (i, raw) in keys.iter().enumerate() {
            let hit = if i == 0 {
                known(raw)
            } else {
                suffixes(raw).any(known)
            };
            if !hit {
                break;
            }
            score += 2;
        }
        if score == 0 && types.is_empty() && seen.is_empty() {
            return 1;
        }
        score
    }

    /// The raw key tokens of an item starting at `p`, up to the next `- ` item.
    fn peek_item_keys(&self, p: usize) -> Vec<String> {
        let t = &self.t;
        let mut keys = Vec::new();
        let mut i = p;
        while i < t.len() && is_space(t[i]) {
            i += 1;
        }
        let Some(first) = self.key_at_loose(i) else {
            return keys;
        };
        keys.push(text_of(t, i, first));
        let mut q = first + 1;
        while q < t.len() && keys.len() < 6 {
            let c = t[q];
            if c == '-' && t.get(q + 1).is_none_or(|&n| is_ws(n)) && q > 0 && t[q - 1] != '-' {
                break;
            }
            if c == '#' && (is_ws(t[q - 1]) || self.comment_starts_in_value(q)) {
                q = self.scan_comment(q, None);
                continue;
            }
            if c == ':' && t.get(q + 1).is_none_or(|&n| is_ws(n) || n == '-') {
                let mut r = q;
                while r > 0 && is_key_char(t[r - 1]) {
                    r -= 1;
                }
                if r < q {
                    keys.push(text_of(t, r, q));
                }
            }
            q += 1;
        }
        keys
    }

    /// A key colon at `p` in either mode, for looking ahead.
    fn key_at_loose(&self, p: usize) -> Option<usize> {
        let t = &self.t;
        if p >= t.len() || !is_key_start(t[p]) {
            return None;
        }
        let mut q = p;
        while q < t.len() && is_key_char(t[q]) {
            q += 1;
        }
        (q < t.len() && t[q] == ':').then_some(q)
    }

    /// A line that is neither key nor item: the value of a pending key, or a continuation line.
    fn parse_loose_scalar(&mut self, p: usize) -> usize {
        let indent = match self.pending.take() {
            Some(pending) => pending.indent + 2,
            None => self.stack.last().map_or(0, |f| f.indent) + 2,
        };
        let owner = Pending {
            key: String::new(),
            owner: Ty::Scalars,
            indent,
        };
        let value = self.scan_value_at(p, &owner);
        let mut text = value.text.clone();
        if let Some((sep, comment)) = &value.comment {
            text.push_str(if sep.is_empty() { " " } else { sep });
            text.push_str(comment);
        }
        if text.is_empty() {
            return value.next.max(p + 1);
        }
        self.emit(indent, text);
        if let Some(lines) = &value.block {
            for content in lines {
                self.out
                    .push(format!("{}{}", " ".repeat(indent + 2), content));
            }
        }
        value.next
    }

    // ----- values

    /// Scans the value after a key's colon at `p`.
    fn scan_value(&self, p: usize, owner: &Pending) -> Value {
        let t = &self.t;
        let mut q = p;
        if q < t.len() && !is_ws(t[q]) {
            if self.glued_start(q, 0) {
                return empty_value(q);
            }
            return self.scan_value_at(q, owner);
        }
        while q < t.len() && is_space(t[q]) {
            q += 1;
        }
        if q >= t.len() || t[q] == '\n' {
            return empty_value(q);
        }
        self.scan_value_at(q, owner)
    }

    /// Scans a value starting at `q` (its first character).
    fn scan_value_at(&self, q: usize, owner: &Pending) -> Value {
        let t = &self.t;
        let c = t[q];
        if c == '#' {
            let awaiting = (owner.owner != Ty::Scalars).then_some(owner);
            let end = self.scan_comment(q, awaiting);
            let sep = whitespace_before(t, q);
            let comment = text_of(t, q, end).trim_end().to_string();
            let mut v = empty_value(end);
            v.comment = Some((sep, comment));
            return v;
        }
        if c == '-' && t.get(q + 1).is_none_or(|&n| is_ws(n)) {
            return empty_value(q);
        }
        if self.doc_separator_at(q) {
            return empty_value(q);
        }
        if matches!(c, '"' | '\'' | '[' | '{') {
            let end = if c == '"' || c == '\'' {
                scan_quoted(t, q)
            } else {
                scan_flow(t, q)
            };
            if let Some(end) = end {
                let text: String = t[q..end]
                    .iter()
                    .map(|&ch| if ch == '\n' { ' ' } else { ch })
                    .collect();
                return self.after_literal(text, end);
            }
        }
        if (c == '|' || c == '>')
            && let Some(v) = self.scan_block(q, owner)
        {
            return v;
        }
        if (c == '&' || c == '!') && owner.owner != Ty::Scalars {
            return self.scan_anchor(q, owner);
        }
        self.scan_plain(q, owner)
    }

    /// After a quoted or flow value ending at `end`: an inline comment or the next line.
    fn after_literal(&self, text: String, end: usize) -> Value {
        let t = &self.t;
        let mut i = end;
        while i < t.len() && is_space(t[i]) {
            i += 1;
        }
        let mut value = empty_value(i);
        value.text = text;
        if i < t.len() && t[i] == '#' {
            let cend = self.scan_comment(i, None);
            value.comment = Some((
                text_of(t, end, i),
                text_of(t, i, cend).trim_end().to_string(),
            ));
            value.next = cend;
        } else if i > end {
            value.next = end;
        }
        value
    }

    /// An anchor or tag (`&base`, `!!str`) before a value or a child.
    fn scan_anchor(&self, q: usize, owner: &Pending) -> Value {
        let t = &self.t;
        let mut e = q;
        while e < t.len() && !is_ws(t[e]) {
            e += 1;
        }
        let token = text_of(t, q, e);
        let mut i = e;
        while i < t.len() && is_space(t[i]) {
            i += 1;
        }
        let opens_child = i >= t.len()
            || t[i] == '\n'
            || t[i] == '#'
            || (t[i] == '-' && t.get(i + 1).is_none_or(|&n| is_ws(n)))
            || self.key_at(i).is_some();
        if opens_child {
            let mut v = empty_value(i);
            v.text = token;
            v.opens_child = true;
            return v;
        }
        let mut rest = self.scan_value_at(i, owner);
        rest.text = format!("{token} {}", rest.text);
        rest
    }

    /// A block scalar header at `q` (`|`, `>-`, `|2`) and its content lines.
    fn scan_block(&self, q: usize, owner: &Pending) -> Option<Value> {
        let t = &self.t;
        let mut h = q + 1;
        while h < t.len() && (t[h].is_ascii_digit() || t[h] == '-' || t[h] == '+') {
            h += 1;
        }
        let header_ok = h >= t.len() || is_ws(t[h]) || self.glued;
        if !header_ok {
            return None;
        }
        let header = text_of(t, q, h);
        let block_indent = header
            .chars()
            .find(|c| c.is_ascii_digit())
            .and_then(|c| c.to_digit(10))
            .map(|d| d as usize);
        let mut cs = h;
        while cs < t.len() && is_space(t[cs]) {
            cs += 1;
        }
        let end = self.block_end(cs);
        let content = text_of(t, cs, end);
        // Content on the header's own line lost its line breaks to spaces.
        let flattened = !self.glued
            && !content.contains('\n')
            && header.starts_with('|')
            && !t[h..cs].contains(&'\n');
        let lines = if self.glued && self.holds_script(owner) {
            script_lines(&content)
        } else if flattened && self.holds_script(owner) {
            script_lines(&super::shell::split_flat_script(&content).join("\n"))
        } else if let Some(lines) = self.glued.then(|| embedded_yaml_lines(&content)).flatten() {
            lines
        } else {
            content
                .split('\n')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        };
        let mut v = empty_value(end);
        v.text = header;
        v.block = Some(lines);
        v.block_indent = block_indent;
        Some(v)
    }

    /// Whether a block scalar under this key (or in this key's list) is a script: the key names
    /// a command, its arguments or a script.
    fn holds_script(&self, owner: &Pending) -> bool {
        let name = if owner.key.is_empty() {
            self.stack.last().map_or("", |f| f.name.as_str())
        } else {
            owner.key.as_str()
        };
        let lower = name.to_ascii_lowercase();
        ["command", "args", "script"]
            .iter()
            .any(|w| lower.contains(w))
    }

    /// Where a block scalar's content starting at `cs` ends: at the next line that the open
    /// structure expects (a field of an open type, an item of an open sequence, a `---`).
    fn block_end(&self, cs: usize) -> usize {
        let t = &self.t;
        let mut q = cs;
        // The content's own keys, when it is YAML: is any of them written in camel case?
        let mut content = ContentKeys::default();
        while q < t.len() {
            let c = t[q];
            let prev_ws = q == cs || is_ws(t[q - 1]);
            if c == '-' && self.doc_separator_at(q) && (prev_ws || self.glued) {
                return q;
            }
            if c == '-'
                && t.get(q + 1).is_some_and(|&n| is_space(n))
                && (prev_ws || self.glued)
                && self.item_expected_at(q + 1)
            {
                return q;
            }
            if c == ':'
                && q > cs
                && (t.get(q + 1).is_none_or(|&n| is_ws(n))
                    || (self.glued && self.glued_start(q + 1, 0)))
            {
                if let Some(start) = self.block_closing_key(cs, q, &content) {
                    return start;
                }
                content.add(&self.run_before(cs, q));
            }
            q += 1;
        }
        t.len()
    }

    /// The run of non-space characters ending at `end` (not before `lo`).
    fn run_before(&self, lo: usize, end: usize) -> String {
        let mut r = end;
        let lo = lo.max(end.saturating_sub(MAX_KEY_CHARS));
        while r > lo && !is_ws(self.t[r - 1]) {
            r -= 1;
        }
        text_of(&self.t, r, end)
    }

    /// The start of a key ending at `colon` that ends a block scalar: a field of an open type.
    fn block_closing_key(&self, cs: usize, colon: usize, content: &ContentKeys) -> Option<usize> {
        let t = &self.t;
        let mut r = colon;
        while r > cs && !is_ws(t[r - 1]) {
            r -= 1;
        }
        let physical = r == 0 || t[r - 1] == '\n';
        let followed_by_block = {
            let mut i = colon + 1;
            while i < t.len() && is_space(t[i]) {
                i += 1;
            }
            i < t.len() && matches!(t[i], '|' | '>')
        };
        // Embedded YAML in `snake_case` or lower case, then a `camelCase` key like the block's
        // own siblings: the block has ended.
        let sibling_like = |key: &str| {
            content.keys > 0
                && !content.camel
                && is_camel_compound(key)
                && self.stack.last().is_some_and(|f| {
                    !matches!(f.ty, Ty::FreeMap | Ty::ObjMap(_))
                        && f.keys.iter().any(|k| is_camel_compound(k))
                })
        };
        // With glue, such a key may start inside the run (`fastapirayClusterConfig`): where its
        // first word, and the last word before it, are words of this document.
        let known =
            |w: &str| w.chars().count() >= 3 && self.vocab.words.contains(&w.to_lowercase());
        let glued_sibling = |i: usize, key: &str| -> i32 {
            if !self.glued || i <= r || !key.starts_with(|c: char| c.is_ascii_lowercase()) {
                return 0;
            }
            let head: String = key.chars().take_while(|c| c.is_ascii_lowercase()).collect();
            let value = text_of(t, r, i);
            let tail = value
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            if !sibling_like(key) || !known(&head) {
                return 0;
            }
            10 + if known(tail) { 6 } else { 0 }
        };
        let best_glued = |from: usize| {
            (from.max(key_run_start(t, r, colon))..colon)
                .filter(|&i| is_key_start(t[i]))
                .map(|i| (glued_sibling(i, &text_of(t, i, colon)), i))
                .filter(|&(score, _)| score > 0)
                .max_by_key(|&(score, i)| (score, std::cmp::Reverse(i)))
                .map(|(_, i)| i)
        };
        for i in key_run_start(t, r, colon)..colon {
            if i > r && !self.glued {
                break;
            }
            if !is_key_start(t[i]) {
                continue;
            }
            let key = text_of(t, i, colon);
            let fit = self.best_frame_fit(KeyAt {
                name: &key,
                child: self.child_after(colon),
                first_child: self.first_child_key(colon),
            });
            let clean = i == r;
            let sibling_style = clean && sibling_like(&key);
            let closes_otherwise = fit == Fit::Strong
                || (fit == Fit::Likely && clean)
                || (clean && followed_by_block && self.top_is_free_map())
                || (clean
                    && physical
                    && self.glued
                    && self.root_takes(KeyAt {
                        name: &key,
                        child: Child::Value,
                        first_child: None,
                    }));
            if closes_otherwise {
                return Some(i);
            }
            if sibling_style {
                // The whole run, unless a shorter key in it reads better.
                return Some(best_glued(i + 1).unwrap_or(i));
            }
        }
        best_glued(r + 1)
    }

    /// Whether the innermost mapping takes any key (a free-form or unknown map).
    fn top_is_free_map(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|f| matches!(f.ty, Ty::FreeMap | Ty::ObjMap(_) | Ty::Unknown))
    }

    /// Whether the document root expects `key`.
    fn root_takes(&self, key: KeyAt) -> bool {
        let root = &self.stack[0];
        !root.seq && self.fit(&root.ty, &root.keys, "", key) >= Fit::Likely
    }

    /// The best fit of `key` in any open mapping.
    fn best_frame_fit(&self, key: KeyAt) -> Fit {
        (0..self.stack.len())
            .filter(|&i| !self.stack[i].seq)
            .map(|i| self.fit_frame(i, key))
            .max()
            .unwrap_or(Fit::Reject)
    }

    /// Whether an item whose first key starts at `p` belongs to an open sequence of known items.
    fn item_expected_at(&self, p: usize) -> bool {
        let mut i = p;
        while i < self.t.len() && is_space(self.t[i]) {
            i += 1;
        }
        let Some(colon) = self.key_at_loose(i) else {
            return false;
        };
        let key = text_of(&self.t, i, colon);
        self.stack.iter().filter(|f| f.seq).any(|f| {
            let typed = match &f.ty {
                Ty::Known(t) => self.s.has_field(*t, &key),
                _ => false,
            };
            typed || f.item_keys.first() == Some(&key)
        })
    }

    /// A plain scalar starting at `vs`: it ends at a newline, a comment, a `- ` item, a `---`, or
    /// the next key (chosen among the suffixes of the run before the first `: `).
    fn scan_plain(&self, vs: usize, owner: &Pending) -> Value {
        let end = self.plain_end(vs, owner);
        let t = &self.t;
        match end {
            (value_end, ValueEnd::Next(next)) => {
                let mut v = empty_value(next);
                v.text = text_of(t, vs, value_end).trim_end().to_string();
                v.certain_end = value_end == next && self.ends_cleanly_at(next, owner);
                v
            }
            (value_end, ValueEnd::Comment(hash)) => {
                let cend = self.scan_comment(hash, None);
                let mut v = empty_value(cend);
                v.text = text_of(t, vs, value_end).trim_end().to_string();
                let sep = whitespace_before(t, hash);
                v.certain_end = !sep.is_empty();
                v.comment = Some((sep, text_of(t, hash, cend).trim_end().to_string()));
                v
            }
        }
    }

    /// Whether a value ending at `next` ends for sure: at a newline, or before a key the schema expects.
    fn ends_cleanly_at(&self, next: usize, owner: &Pending) -> bool {
        let t = &self.t;
        if next >= t.len() || t[next] == '\n' {
            return true;
        }
        let Some(colon) = self.key_at_loose(next) else {
            return false;
        };
        let key = text_of(t, next, colon);
        let probe = KeyAt {
            name: &key,
            child: self.child_after(colon),
            first_child: self.first_child_key(colon),
        };
        self.key_tier(probe, false, owner) >= 60
    }

    /// Where a plain value starting at `vs` ends, and what follows it.
    fn plain_end(&self, vs: usize, owner: &Pending) -> (usize, ValueEnd) {
        let (end, kind) = self.plain_end_raw(vs, owner);
        // A value cannot end with a colon: the last colon passed over ended a key after all.
        let value = text_of(&self.t, vs, end);
        let value = value.trim_end();
        if value.ends_with(':') && value.len() > 1 {
            let colon = vs + value.chars().count() - 1;
            if let Some(c) = self.key_candidate(vs, colon, owner, vs) {
                return (c.start, ValueEnd::Next(c.start));
            }
        }
        (end, kind)
    }

    /// The first place a plain value starting at `vs` can end: a newline, a comment, an item,
    /// a `---`, or a key (at the first `: `, or at a colon glued to the next line).
    fn plain_end_raw(&self, vs: usize, owner: &Pending) -> (usize, ValueEnd) {
        let t = &self.t;
        let mut i = vs;
        while i < t.len() {
            let c = t[i];
            if c == '\n' {
                return (i, ValueEnd::Next(i));
            }
            if i > vs && c == '#' && self.comment_starts_in_value(i) {
                return (i, ValueEnd::Comment(i));
            }
            if i > vs && c == '-' {
                let prev = t[i - 1];
                let spaced = is_space(prev);
                let glued_ok = self.glued && prev != '-' && !is_ws(prev);
                if self.doc_separator_at(i) && (spaced || glued_ok) {
                    return (i, ValueEnd::Next(i));
                }
                let item = t.get(i + 1).is_none_or(|&n| is_ws(n));
                if item && (spaced || glued_ok) && self.stack.iter().any(|f| f.seq) {
                    return (i, ValueEnd::Next(i));
                }
            }
            if c == ':' && i > vs {
                let dash_follows =
                    t.get(i + 1) == Some(&'-') && t.get(i + 2).is_none_or(|&n| is_ws(n));
                let comment_follows = t.get(i + 1) == Some(&'#');
                let hard = t.get(i + 1).is_none_or(|&n| is_ws(n))
                    || (self.glued && (dash_follows || comment_follows));
                let glued_colon = !hard && self.glued && self.glued_start(i + 1, 0);
                let flow_follows = self.glued && matches!(t.get(i + 1), Some('[') | Some('{'));
                if flow_follows
                    && let Some(cand) = self.key_candidate(vs, i, owner, vs)
                    && cand.score >= 60
                    && cand.start > vs
                {
                    return (cand.start, ValueEnd::Next(cand.start));
                }
                if hard {
                    if let Some(cand) = self.key_candidate(vs, i, owner, vs) {
                        return (cand.start, ValueEnd::Next(cand.start));
                    }
                } else if glued_colon && let Some(start) = self.split_at_glued_colon(vs, i, owner) {
                    return (start, ValueEnd::Next(start));
                }
            }
            i += 1;
        }
        (t.len(), ValueEnd::Next(t.len()))
    }

    /// At a colon glued to a chain of keys (`myos:8.5command:`, `truekind:Pod:`): either it ends a
    /// key (split before it), or it belongs to the value and the key starts after it. The latter
    /// needs a real key after a non-empty stretch of value (`8.5` + `command`).
    fn split_at_glued_colon(&self, vs: usize, colon: usize, owner: &Pending) -> Option<usize> {
        let t = &self.t;
        let before = self.key_candidate(vs, colon, owner, vs);
        let mut next = colon + 1;
        while next < t.len() && is_key_char(t[next]) {
            next += 1;
        }
        let after = (next < t.len() && t[next] == ':')
            .then(|| self.key_candidate(vs, next, owner, colon + 2))
            .flatten();
        match (before, after) {
            (Some(b), Some(a)) if a.score >= 40 && a.score > b.score => None,
            (Some(b), _) => Some(b.start),
            (None, _) => None,
        }
    }

    /// Whether a `#` at `i` inside a plain value starts a comment (` #`, or glued `value# text`).
    fn comment_starts_in_value(&self, i: usize) -> bool {
        let t = &self.t;
        let prev = t[i - 1];
        if is_space(prev) {
            return true;
        }
        let next = t.get(i + 1).copied();
        let glued_comment = match next {
            None => false,
            Some(n) => is_ws(n) || !n.is_ascii() || n == '#',
        };
        glued_comment && prev != '#'
    }

    /// The best split of the run before `colon` into the end of a value and a key.
    /// The best split of the run before `colon` into the end of a value and a key starting at or
    /// after `min_start`.
    fn key_candidate(
        &self,
        vs: usize,
        colon: usize,
        owner: &Pending,
        min_start: usize,
    ) -> Option<Candidate> {
        let t = &self.t;
        let mut r = colon;
        while r > vs && !is_ws(t[r - 1]) {
            r -= 1;
        }
        if r == colon {
            return None;
        }
        let mut best: Option<Candidate> = None;
        for i in key_run_start(t, r.max(min_start), colon)..colon {
            if !is_key_start(t[i]) {
                continue;
            }
            let boundary = if i > r {
                Boundary::Glued
            } else if r == vs {
                Boundary::Empty
            } else {
                Boundary::Space
            };
            if boundary == Boundary::Glued && !self.glued {
                continue;
            }
            let key = text_of(t, i, colon);
            let value = text_of(t, vs, i);
            let probe = KeyAt {
                name: &key,
                child: self.child_after(colon),
                first_child: self.first_child_key(colon),
            };
            let score = self.candidate_score(probe, value.trim_end(), boundary, owner);
            let usualness =
                (boundary == Boundary::Glued).then(|| self.s.boundary_usualness(&value, &key));
            let better = best.as_ref().is_none_or(|b| {
                score > b.score
                    || score == b.score
                        && matches!((usualness, b.usualness), (Some(u), Some(b)) if u > b)
            });
            if better {
                best = Some(Candidate {
                    start: i,
                    score,
                    usualness,
                });
            }
        }
        best
    }

    /// How good a split is: the key's support, how the boundary looks, the value's support.
    fn candidate_score(
        &self,
        probe: KeyAt,
        value: &str,
        boundary: Boundary,
        owner: &Pending,
    ) -> i32 {
        let key = probe.name;
        let as_child = boundary == Boundary::Empty;
        let mut score = self.key_tier(probe, as_child, owner);
        if key.starts_with(|c: char| c.is_ascii_digit()) {
            score -= 40;
        }
        if mixes_dashes_and_humps(key) || is_unlikely_key(key) {
            score -= 20;
        }
        // Without glue, keys only start after a space; with glue, a space in a value is common.
        let bonus = if self.glued { 15 } else { 70 };
        match boundary {
            Boundary::Space => score += bonus,
            Boundary::Empty => {
                let may_open = owner.owner != Ty::Scalars
                    && !names_a_scalar(&owner.key)
                    && self.child_map_type(&owner.owner, &owner.key).is_some();
                score += if may_open { bonus } else { -5 };
            }
            Boundary::Glued => {
                if self.vocab.values.contains(value) {
                    score += 30;
                }
                if self.ends_with_word(value) {
                    score += 5;
                }
                // A lower-case key after an upper-case letter or a digit (`Standard_LRSlocation`).
                let before = value.chars().next_back();
                if key.starts_with(|c: char| c.is_ascii_lowercase())
                    && before.is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    score += 3;
                }
                // A key rarely starts right after a word separator: `queue-name` is one key.
                if value.ends_with(['-', '.', '/', '_']) {
                    score -= 35;
                }
                // A word of this document on either side of the split supports it.
                let tail = value
                    .rsplit(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("");
                let head = key
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("");
                for side in [tail, head] {
                    if side.chars().count() >= 3 && self.vocab.words.contains(&side.to_lowercase())
                    {
                        score += 6;
                    }
                }
                // `true` and `false` are whole values (`enabled: true` + `priorities`).
                if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
                    score += 15;
                }
                // The last word of a value cut from a key mixes styles as the key would
                // (`…-4tacceleratorNetworkPro` + `file`).
                if mixes_dashes_and_humps(value.rsplit(' ').next().unwrap_or("")) {
                    score -= 10;
                }
                // A number keeps its unit (`30s` + `retries`, not `30` + `sretries`) when the key
                // is known without the unit and not with it (`3` + `selector` stays).
                let known = |k: &str| {
                    self.s.is_field_name(k)
                        || self.s.is_word(k)
                        || self.vocab.words.contains(&k.to_lowercase())
                };
                if value.bytes().all(|b| b.is_ascii_digit())
                    && !known(key)
                    && ["s", "m", "h", "ms", "Mi", "Gi", "Ki", "Ti"]
                        .iter()
                        .filter_map(|unit| key.strip_prefix(unit))
                        .any(|rest| {
                            rest.starts_with(|c: char| c.is_ascii_lowercase()) && known(rest)
                        })
                {
                    score -= 8;
                }
                // Nor after a single letter: `fast` + `availability`, not `f` + `astavailability`.
                let mut letters = value.trim_start().chars();
                if letters.next().is_some_and(|c| c.is_alphabetic()) && letters.next().is_none() {
                    score -= 8;
                }
            }
        }
        if self.shares_prefix_with_sibling(key) {
            score += 40;
        }
        if boundary == Boundary::Glued && self.shares_first_word_with_sibling(key) {
            score += 25;
        }
        score + key.chars().count().min(30) as i32 / 10
    }

    /// Whether a value ends with a whole word of the schema's vocabulary (`password` in `passwordweb`).
    fn ends_with_word(&self, value: &str) -> bool {
        let tail: Vec<char> = value
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_lowercase())
            .collect();
        let tail: String = tail.into_iter().rev().collect();
        tail.len() >= 3 && (self.s.is_word(&tail) || self.vocab.values.contains(&tail))
    }

    /// Whether a domain-prefixed key (`example.com/name`) has the prefix of a key next to it.
    fn shares_prefix_with_sibling(&self, key: &str) -> bool {
        let Some(prefix) = key_prefix(key) else {
            return false;
        };
        self.stack
            .last()
            .is_some_and(|f| f.keys.iter().any(|k| key_prefix(k) == Some(prefix)))
    }

    /// Whether a camel-case key starts with the first word of a camel-case key next to it
    /// (`migProfile` after `migEnabled`, `runAsGroup` after `runAsUser`).
    fn shares_first_word_with_sibling(&self, key: &str) -> bool {
        let first = |k: &str| {
            is_camel_compound(k)
                .then(|| schema::split_words(k).into_iter().next())
                .flatten()
                .filter(|w| w.len() >= 3)
        };
        let Some(word) = first(key) else {
            return false;
        };
        self.stack.last().is_some_and(|f| {
            f.keys
                .iter()
                .any(|k| k != key && first(k).as_ref() == Some(&word))
        })
    }

    /// How strongly the schema and the text support `key` as the next key.
    fn key_tier(&self, probe: KeyAt, as_child: bool, owner: &Pending) -> i32 {
        let key = probe.name;
        let fit = self.preview_fit(probe, as_child, owner);
        match fit {
            Fit::Strong => return 100,
            Fit::Likely => return 60,
            _ => {}
        }
        let seen = self.vocab.keys.contains(key);
        let resource = self.s.is_resource_name(key) && self.top_is_free_map();
        let mut tier = if seen || resource {
            60
        } else if self.s.is_field_name(key) {
            40
        } else {
            self.word_tier(key)
        };
        if fit == Fit::Reject {
            tier -= 50;
        }
        tier
    }

    /// Whether a key looks like a field name built from the schema's words (`podMetricsEndpoints`).
    fn word_tier(&self, key: &str) -> i32 {
        let words = schema::split_words(key);
        let Some(first) = words.first() else {
            return 0;
        };
        let first_lower = key.starts_with(|c: char| c.is_lowercase());
        if !first_lower || first.len() < 3 || !self.s.is_word(first) {
            return 0;
        }
        if words.iter().all(|w| self.s.is_word(w)) {
            20
        } else {
            10
        }
    }

    /// The fit `key` would have if the value being scanned ended here (or, `as_child`, were empty).
    fn preview_fit(&self, key: KeyAt, as_child: bool, owner: &Pending) -> Fit {
        if as_child
            && owner.owner != Ty::Scalars
            && let Some(child) = self.child_map_type(&owner.owner, &owner.key)
        {
            let fit = self.fit(&child, &Keys::default(), &owner.key, key);
            if fit >= Fit::Weak {
                return fit;
            }
        }
        self.best_frame_fit(key)
    }

    // ----- comments

    /// Where a comment starting at `h` ends: at a newline, or where a line that lost its newline
    /// starts inside it (another `#`, a `- ` item, a key the structure expects).
    fn scan_comment(&self, h: usize, awaiting: Option<&Pending>) -> usize {
        let t = &self.t;
        let mut i = h + 1;
        while i < t.len() && t[i] == '#' {
            i += 1;
        }
        while i < t.len() && is_space(t[i]) {
            i += 1;
        }
        let text_start = i;
        // A comment that runs on over several `key:` words swallowed the lines after it.
        let line_end = t[h..]
            .iter()
            .position(|&c| c == '\n')
            .map_or(t.len(), |p| h + p);
        let swallowed = comment_hides_keys(&text_of(t, h, line_end));
        let first_word_end = {
            let mut j = i;
            while j < t.len() && !is_ws(t[j]) {
                j += 1;
            }
            j
        };
        // A comment's first word is text (`# NOTE: ...`); only a line glued inside it can start there.
        let mut i = text_start + 1;
        while i < t.len() {
            let c = t[i];
            if c == '\n' {
                return i;
            }
            let prev = t[i - 1];
            let in_first_word = i < first_word_end;
            if in_first_word && !self.glued {
                i += 1;
                continue;
            }
            if c == '#' && prev != '#' {
                let spaced = is_space(prev);
                let glued = self.glued
                    && !is_ws(prev)
                    && t.get(i + 1).is_none_or(|&n| is_ws(n) || !n.is_ascii());
                if spaced || glued {
                    return i;
                }
            }
            if c == '-' && prev != '-' && self.doc_separator_at(i) {
                let after = t.get(i + 3).copied();
                let key_follows = self.key_at_loose(i + 4).is_some();
                if after.is_none_or(|n| n == '\n') || key_follows || t.get(i + 4) == Some(&'#') {
                    return i;
                }
            }
            if c == '-'
                && t.get(i + 1).is_none_or(|&n| is_ws(n))
                && prev != '-'
                && self.comment_item_ok(i, is_space(prev), awaiting.is_some())
            {
                return i;
            }
            if c == ':'
                && (t.get(i + 1).is_none_or(|&n| is_ws(n))
                    || (self.glued && self.glued_start(i + 1, 0)))
                && let Some(start) = self.comment_key(text_start, i, awaiting, swallowed)
            {
                return start;
            }
            i += 1;
        }
        t.len()
    }

    /// Whether a key is written like the keys of the innermost mapping (`BACKEND_URL` after
    /// `LOG_LEVEL`): upper case, or snake case, or kebab case.
    fn styled_like_siblings(&self, key: &str) -> bool {
        let Some(style) = key_style(key) else {
            return false;
        };
        self.stack.last().is_some_and(|f| {
            !f.keys.is_empty() && f.keys.iter().all(|k| key_style(k) == Some(style))
        })
    }

    /// Whether a `- ` at `i` inside a comment starts an item line.
    fn comment_item_ok(&self, i: usize, spaced: bool, awaiting: bool) -> bool {
        if !spaced && !self.glued {
            return false;
        }
        let mut p = i + 1;
        while p < self.t.len() && is_space(self.t[p]) {
            p += 1;
        }
        if awaiting {
            return true;
        }
        if self.item_expected_at(p) {
            return true;
        }
        // Right after a scalar item, a `- ` starts the next item.
        if spaced && self.stack.last().is_some_and(|f| f.seq) {
            return true;
        }
        !spaced && self.stack.iter().any(|f| f.seq)
    }

    /// The start of a key inside a comment, ending at `colon`, if the structure expects it there.
    fn comment_key(
        &self,
        lo: usize,
        colon: usize,
        awaiting: Option<&Pending>,
        swallowed: bool,
    ) -> Option<usize> {
        let t = &self.t;
        let mut r = colon;
        while r > lo && !is_ws(t[r - 1]) {
            r -= 1;
        }
        if r == colon {
            return None;
        }
        let owner = awaiting.cloned().unwrap_or(Pending {
            key: String::new(),
            owner: Ty::Scalars,
            indent: 0,
        });
        let mut best: Option<(i32, usize)> = None;
        let mut domain_key = None;
        for i in key_run_start(t, r, colon)..colon {
            if i == lo {
                continue;
            }
            let spaced = i == r && is_ws(t[r - 1]);
            if !spaced && !self.glued {
                break;
            }
            // `#image: x` inside a comment is a commented-out line, not a key.
            if t[i - 1] == '#' {
                continue;
            }
            if !is_key_start(t[i]) {
                continue;
            }
            // Nor is `app: web` quoted in a comment (`` the `app: web` label ``).
            if opens_quote(&t[lo..i]) {
                continue;
            }
            let key = text_of(t, i, colon);
            let probe = KeyAt {
                name: &key,
                child: self.child_after(colon),
                first_child: self.first_child_key(colon),
            };
            let tier = self.key_tier(probe, awaiting.is_some(), &owner);
            let prev_word = previous_word(t, r);
            if prev_word == "-" {
                // `# - name: x` is a commented-out item.
                continue;
            }
            let after_text = prev_word.ends_with(|c: char| !c.is_ascii() || ".!?)".contains(c));
            // No key starts right after a word separator (`auth-` + `type`); a full stop may
            // end a sentence (`setup.` + `namespace`).
            if !spaced && matches!(t[i - 1], '-' | '/' | '_') {
                continue;
            }
            // An ASCII key glued to text in another script (`# 配置parameters:`) starts a line,
            // and so does a camel-case key glued to an acronym (`# 共享 GPUallocationMode:`), a
            // capitalised key glued to a lower-case word among capitalised keys (`callsMETADATA:`),
            // and a key with the domain of the key before it (`…authenticationnginx.org/auth-type:`).
            let sibling_domain = !spaced && self.shares_prefix_with_sibling(&key);
            let upper_after_lower = key_style(&key) == Some(0)
                && t[i - 1].is_ascii_lowercase()
                && self.styled_like_siblings(&key);
            let at_boundary = !spaced
                && ((!t[i - 1].is_ascii() && is_identifier(&key))
                    || (is_camel_compound(&key) && ends_with_acronym(&t[r..i]))
                    || upper_after_lower
                    || sibling_domain);
            let ok = if spaced {
                tier >= 20
                    || is_camel_or_snake(&key)
                    || self.styled_like_siblings(&key)
                    || (after_text && is_identifier(&key))
                    || (swallowed && is_identifier(&key) && (probe.opens() || tier > 0))
            } else {
                tier >= 20 || at_boundary
            };
            // The longest key with a sibling's domain is the whole key.
            if sibling_domain && domain_key.is_none() {
                domain_key = Some(i);
            }
            let styled = if self.styled_like_siblings(&key) {
                5
            } else {
                0
            };
            let score = tier + styled + if spaced || at_boundary { 10 } else { 0 };
            if ok && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i));
            }
        }
        domain_key.or(best.map(|(_, i)| i))
    }
}

/// Whether a text leaves a backtick or double quote open: what follows it is quoted.
fn opens_quote(text: &[char]) -> bool {
    let odd = |q: char| text.iter().filter(|&&c| c == q).count() % 2 == 1;
    odd('`') || odd('"')
}

/// Whether a word ends in two or more capitals that follow no lower-case letter (`GPU`, `v1.2GPU`).
fn ends_with_acronym(word: &[char]) -> bool {
    let caps = word
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    caps >= 2
        && word[..word.len() - caps]
            .last()
            .is_none_or(|c| !c.is_ascii_lowercase())
}

/// The whitespace-separated word that ends before index `r` (skipping the spaces before `r`).
fn previous_word(t: &[char], r: usize) -> String {
    let mut end = r;
    while end > 0 && is_ws(t[end - 1]) {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && !is_ws(t[start - 1]) {
        start -= 1;
    }
    text_of(t, start, end)
}

/// A plain lower-case identifier (`release`, `compute`, `max-size`).
fn is_identifier(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

/// A glued script's lines, one command per line, loop bodies indented by two spaces as YAML is.
fn script_lines(content: &str) -> Vec<String> {
    let joined: Vec<&str> = content
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (repaired, _) = super::shell::repair_script_indented(&joined.join("\n"), "  ");
    repaired
        .lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Keys longer than this are not considered when splitting a glued run.
const MAX_KEY_CHARS: usize = 128;

/// Where the key characters before `colon` begin (not before `lo`, and at most a long key back):
/// every candidate key start lies between this and the colon.
fn key_run_start(t: &[char], lo: usize, colon: usize) -> usize {
    let floor = lo.max(colon.saturating_sub(MAX_KEY_CHARS));
    let mut i = colon;
    while i > floor && is_key_char(t[i - 1]) {
        i -= 1;
    }
    i
}

/// A child of a guessed type is only guessed too.
fn guessed_if(owner: &Ty, child: Ty) -> Ty {
    match (owner, child) {
        (Ty::Guess(_), Ty::Known(t)) => Ty::Guess(vec![t]),
        (_, child) => child,
    }
}

/// Whether a key and a type name share a word of 4+ letters (`podTolerations`, `Toleration`).
fn names_share_word(key: &str, type_name: &str) -> bool {
    let type_words: Vec<String> = schema::split_words(type_name)
        .iter()
        .map(|w| stem(w))
        .collect();
    schema::split_words(key)
        .iter()
        .map(|w| stem(w))
        .any(|w| w.len() >= 4 && type_words.contains(&w))
}

/// Keys named alike: they end in the same two words (`headGroupSpec`, `workerGroupSpecs`), or one
/// is the last word of the other (`selector`, `namespaceSelector`): the last word names the thing.
fn keys_are_kin(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let wa: Vec<String> = schema::split_words(a).iter().map(|w| stem(w)).collect();
    let wb: Vec<String> = schema::split_words(b).iter().map(|w| stem(w)).collect();
    let shorter = wa.len().min(wb.len());
    let common = wa
        .iter()
        .rev()
        .zip(wb.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let letters: usize = wa[wa.len() - common..].iter().map(String::len).sum();
    wa.len().max(wb.len()) >= 2
        && (common >= 2 || (common == shorter && common >= 1))
        && letters >= 4
}

/// What the keys inside a block scalar's content look like so far.
#[derive(Default)]
struct ContentKeys {
    keys: usize,
    camel: bool,
}

impl ContentKeys {
    /// Counts one more key of the content.
    fn add(&mut self, run: &str) {
        self.keys += 1;
        self.camel |= is_camel_compound(run);
    }
}

/// How deep blocks of YAML held in blocks are rebuilt.
const MAX_EMBEDDED_DEPTH: usize = 3;

/// The lines of glued YAML held in a block scalar (`serveConfigV2: |applications:- name: …`),
/// rebuilt on their own; `None` when the content is not glued YAML or is not rebuilt with
/// confidence.
fn embedded_yaml_lines(content: &str) -> Option<Vec<String>> {
    let starts_with_key = content
        .split_once(':')
        .is_some_and(|(key, _)| !key.is_empty() && key.chars().all(is_key_char));
    if !starts_with_key || !looks_damaged(content) {
        return None;
    }
    // Blocks in blocks are rebuilt a few levels deep at most: a hostile note may nest thousands.
    thread_local! {
        static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    struct Deeper;
    impl Drop for Deeper {
        fn drop(&mut self) {
            DEPTH.set(DEPTH.get() - 1);
        }
    }
    if DEPTH.get() >= MAX_EMBEDDED_DEPTH {
        return None;
    }
    DEPTH.set(DEPTH.get() + 1);
    // One level less when this one ends, even by a panic.
    let _deeper = Deeper;
    let (fixed, fixes) = repair_yaml(content);
    if fixes.iter().any(|f| f.rule == "yaml-unsure") {
        return None;
    }
    Some(
        fixed
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// A `camelCase` name of two or more words (`rayClusterConfig`, `apiVersion`).
fn is_camel_compound(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_alphanumeric())
        && key.chars().any(|c| c.is_ascii_uppercase())
}

/// The namespace part of a key: up to its last `/` (`app.kubernetes.io/`), else up to its last
/// `.` (`special.` in `special.how`).
fn key_prefix(key: &str) -> Option<&str> {
    let end = key.rfind('/').or_else(|| key.rfind('.'))?;
    (end > 0).then(|| &key[..=end])
}

/// A distinctive way of writing keys: `UPPER_CASE`, `snake_case`, `kebab-case`.
fn key_style(key: &str) -> Option<u8> {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if key.len() >= 3
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && key.starts_with(|c: char| c.is_ascii_uppercase())
    {
        return Some(0);
    }
    let lower = key.starts_with(|c: char| c.is_ascii_lowercase())
        && !key.chars().any(|c| c.is_ascii_uppercase());
    if lower && key.contains('_') && key.chars().all(|c| alnum(c) || c == '_') {
        return Some(1);
    }
    if lower && key.contains('-') && key.chars().all(|c| alnum(c) || c == '-') {
        return Some(2);
    }
    None
}

/// The mapping type a field opens, or `None` when its value can only be a scalar or a sequence.
fn field_map_type(field: &Field) -> Option<Ty> {
    if let Some(t) = field.object_type() {
        return Some(Ty::Known(t));
    }
    if let Some(t) = field.map_value_type() {
        return Some(Ty::ObjMap(t));
    }
    if field.is_free_map() {
        return Some(Ty::FreeMap);
    }
    if field.is_any() {
        return Some(Ty::Unknown);
    }
    None
}

/// The item type of a field's sequence.
fn field_seq_type(field: &Field) -> Ty {
    if let Some(t) = field.item_type() {
        return Ty::Known(t);
    }
    if field.shapes.contains(&Shape::Array) {
        return Ty::Scalars;
    }
    Ty::Unknown
}

/// No value: the key opens a child, or the item is empty.
fn empty_value(next: usize) -> Value {
    Value {
        text: String::new(),
        block: None,
        block_indent: None,
        opens_child: false,
        certain_end: false,
        comment: None,
        next,
    }
}

/// The spaces and tabs right before index `i`.
fn whitespace_before(t: &[char], i: usize) -> String {
    let mut j = i;
    while j > 0 && is_space(t[j - 1]) {
        j -= 1;
    }
    text_of(t, j, i)
}

/// The suffixes of a raw token that could be a key glued to the end of a value.
fn suffixes(raw: &str) -> impl Iterator<Item = &str> {
    raw.char_indices().map(move |(i, _)| &raw[i..])
}

/// The colon of a `key:` at the start of `chars` followed by a space or the end.
/// The keys at the start of a line, with those glued after it (`spec:template:metadata: x`): each
/// has a certain left edge (the line start or its parent's colon). Empty unless the run ends in `key: `.
fn glued_key_chain(chars: &[char]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut p = 0;
    loop {
        if !chars.get(p).is_some_and(|&c| is_key_start(c)) {
            return Vec::new();
        }
        let mut q = p;
        while q < chars.len() && is_key_char(chars[q]) {
            q += 1;
        }
        if q >= chars.len() || chars[q] != ':' {
            return Vec::new();
        }
        let key = text_of(chars, p, q);
        if !key.chars().any(|c| c.is_alphabetic()) {
            return Vec::new();
        }
        keys.push(key);
        if chars.get(q + 1).is_none_or(|&c| is_ws(c)) {
            return keys;
        }
        p = q + 1;
    }
}

fn key_colon_at(chars: &[char], p: usize) -> Option<usize> {
    if !chars.get(p).is_some_and(|&c| is_key_start(c)) {
        return None;
    }
    let mut q = p;
    while q < chars.len() && is_key_char(chars[q]) {
        q += 1;
    }
    let ends = q < chars.len() && chars[q] == ':' && chars.get(q + 1).is_none_or(|&c| is_ws(c));
    ends.then_some(q)
}

/// Whether the text shows lines glued without a space (so values and keys may be glued too).
fn shows_glue(text: &str) -> bool {
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    if lines > 1 {
        return true;
    }
    let chars: Vec<char> = text.chars().collect();
    for i in 1..chars.len() {
        if chars[i] != ':' || is_ws(chars[i - 1]) {
            continue;
        }
        match chars.get(i + 1) {
            Some('-') if chars.get(i + 2).is_none_or(|&c| is_ws(c)) => return true,
            Some(&c) if !is_ws(c) && glued_key_follows(&chars, i + 1) => return true,
            _ => {}
        }
    }
    false
}

/// The kind named by the first `kind:` of a document's text.
fn find_kind(segment: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = segment[from..].find("kind:") {
        let at = from + i;
        let before_ok = at == 0
            || !segment[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() && c.is_ascii_uppercase());
        let rest = segment[at + 5..]
            .trim_start_matches([' ', '\t'])
            .trim_start_matches(['"', '\'']);
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if before_ok && word.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Some(word);
        }
        from = at + 5;
    }
    None
}

/// The first key of a document's text (after comments and a `---`).
fn first_key(segment: &str) -> Option<String> {
    for line in segment.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l == "---" {
            continue;
        }
        let chars: Vec<char> = l.chars().collect();
        let mut q = 0;
        while q < chars.len() && is_key_char(chars[q]) {
            q += 1;
        }
        return (q < chars.len() && chars[q] == ':').then(|| text_of(&chars, 0, q));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Schema hints

/// A document of a valid block: its lines with their 1-based numbers.
struct HintDoc {
    lines: Vec<(usize, String)>,
}

/// The documents of a block (split at `---` lines), with their line numbers.
fn block_documents(text: &str) -> Vec<HintDoc> {
    let (label, body) = split_label(text);
    let offset = label.lines().count();
    let mut docs = vec![HintDoc { lines: Vec::new() }];
    for (i, line) in body.lines().enumerate() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push(HintDoc { lines: Vec::new() });
            continue;
        }
        if let Some(doc) = docs.last_mut() {
            doc.lines.push((i + 1 + offset, line.to_string()));
        }
    }
    docs
}

/// What the hint walker knows about an open mapping.
#[derive(Clone)]
enum HintTy {
    Typed(TypeId),
    /// The root of an unknown kind: only near-misses of the common resource fields are named.
    Loose(TypeId),
    /// A map with free-form keys whose values are objects of a type (Compose `services`).
    MapOf(TypeId),
    /// Free-form or unknown: nothing is checked.
    Unchecked,
}

/// Walks one document by indentation, checking each key against the type of its mapping.
fn hint_document(doc: &HintDoc, hints: &mut Vec<Hint>) {
    let s = schema::schema();
    // Stack of (column of the mapping's keys, type); sequences are transparent.
    let mut stack: Vec<(usize, HintTy)> = vec![(0, hint_root(s, doc))];
    // A key with no value: its child mapping (or sequence of mappings) follows.
    let mut opened: Option<(usize, HintTy)> = None;
    let mut block_parent: Option<usize> = None;
    for (number, line) in &doc.lines {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(parent) = block_parent {
            if indent > parent {
                continue;
            }
            block_parent = None;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        let (col, rest) = strip_dashes(indent, trimmed);
        if rest.is_empty() || rest == "-" {
            continue;
        }
        if let Some((parent_col, ty)) = opened.take()
            && col > parent_col
        {
            stack.push((col, ty));
        }
        while stack.len() > 1 && stack.last().is_some_and(|(c, _)| *c > col) {
            stack.pop();
        }
        let (code, _) = blank_literals(rest);
        if opens_block_scalar(&code) {
            block_parent = Some(indent);
        }
        let chars: Vec<char> = rest.chars().collect();
        let Some(colon) = key_colon_at(&chars, 0) else {
            continue;
        };
        let key = text_of(&chars, 0, colon);
        let current = stack.last().map_or(HintTy::Unchecked, |(_, t)| t.clone());
        check_key(s, &current, &key, *number, col + 1, hints);
        let value = code.get(colon + 1..).unwrap_or("").trim();
        if value.is_empty() {
            opened = Some((col, hint_child(s, &current, &key)));
        }
    }
}

/// The type of a document's root: its kind's, a Compose file's, or the common resource fields.
fn hint_root(s: &Schema, doc: &HintDoc) -> HintTy {
    let kind = doc.lines.iter().find_map(|(_, l)| {
        l.strip_prefix("kind:")
            .map(|k| k.trim().trim_matches(['"', '\'']).to_string())
    });
    if let Some(t) = kind.as_deref().and_then(|k| s.root_for_kind(k)) {
        return HintTy::Typed(t);
    }
    let compose = kind.is_none() && doc.lines.iter().any(|(_, l)| l.starts_with("services:"));
    match (compose, s.compose_root(), s.generic_root()) {
        (true, Some(c), _) => HintTy::Typed(c),
        (_, _, Some(g)) => HintTy::Loose(g),
        _ => HintTy::Unchecked,
    }
}

/// The column of a line's content after its `- ` markers, and that content.
fn strip_dashes(indent: usize, trimmed: &str) -> (usize, &str) {
    let mut col = indent;
    let mut rest = trimmed;
    while let Some(r) = rest.strip_prefix("- ") {
        let next = r.trim_start();
        col += rest.len() - next.len();
        rest = next;
    }
    (col, rest)
}

/// The type of the mapping (or of the sequence items) under `key`.
fn hint_child(s: &Schema, owner: &HintTy, key: &str) -> HintTy {
    let t = match owner {
        HintTy::Typed(t) | HintTy::Loose(t) => *t,
        HintTy::MapOf(t) => return HintTy::Typed(*t),
        HintTy::Unchecked => return HintTy::Unchecked,
    };
    let Some(field) = s.field(t, key) else {
        return HintTy::Unchecked;
    };
    if let Some(child) = field.object_type().or_else(|| field.item_type()) {
        return HintTy::Typed(child);
    }
    match field.map_value_type() {
        Some(v) => HintTy::MapOf(v),
        None => HintTy::Unchecked,
    }
}

/// Adds a hint when `key` is not a field of the mapping's type.
fn check_key(
    s: &Schema,
    owner: &HintTy,
    key: &str,
    line: usize,
    col: usize,
    hints: &mut Vec<Hint>,
) {
    match owner {
        HintTy::Typed(t) => {
            if s.has_field(*t, key) {
                return;
            }
            let name = s.type_name(*t);
            let message = match s.suggest(*t, key) {
                Some(good) => format!("`{key}` is not a field of {name}; did you mean `{good}`?"),
                None => format!("`{key}` is not a field of {name}"),
            };
            hints.push(Hint { line, col, message });
        }
        HintTy::Loose(t) => {
            if s.has_field(*t, key) {
                return;
            }
            if let Some(good) = s.suggest(*t, key).filter(|g| g.len() >= 4) {
                hints.push(Hint {
                    line,
                    col,
                    message: format!(
                        "`{key}` is not a field of a Kubernetes resource; did you mean `{good}`?"
                    ),
                });
            }
        }
        HintTy::MapOf(_) | HintTy::Unchecked => {}
    }
}

/// Whether a key is named for a single value (`name`, `gatewayClassName`, `enabled`): such a key
/// holds a scalar, not a mapping, whatever the schema knows of it.
fn names_a_scalar(key: &str) -> bool {
    schema::split_words(key)
        .last()
        .is_some_and(|w| matches!(w.as_str(), "name" | "enabled" | "disabled"))
}

/// Whether a key joins words both with dashes and with capitals (`gpu-classallocationMode`):
/// keys use one style or the other, so such a key is most likely a value glued to a key.
fn mixes_dashes_and_humps(key: &str) -> bool {
    let chars: Vec<char> = key.chars().collect();
    let dash = chars
        .windows(2)
        .any(|w| w[0] == '-' && w[1].is_ascii_alphanumeric());
    let hump = chars
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    dash && hump && !key.contains(['.', '/'])
}

/// Whether a key has a shape keys seldom have: starting with `_`, more than one `/`
/// (`stash/pipeline/logstash.conf`), a `/` after something other than a domain, or lower-case
/// letters before an `UPPER_SNAKE` part (`fullRUST_LOG`, `tandard_LRSlocation`).
fn is_unlikely_key(key: &str) -> bool {
    let lower_then_upper_snake = key.contains('_') && {
        let chars: Vec<char> = key.chars().collect();
        chars.windows(3).any(|w| {
            w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase() && w[2].is_ascii_uppercase()
        })
    };
    // A prefix before `/` is a domain (`app.kubernetes.io/name`): `ww/htmldb` is a path cut short.
    let prefix_without_domain = key
        .split_once('/')
        .is_some_and(|(prefix, _)| !prefix.contains('.'));
    key.starts_with('_')
        || key.matches('/').count() > 1
        || lower_then_upper_snake
        || prefix_without_domain
}

/// The runs of letters and digits of `text` (lower case) that are not right before a colon
/// starting a value or a child (`name:`), and so are not keys glued to what precedes them:
/// `hello` and `svc` in `name: hello-svc`, `redis` in `image: redis:7`.
fn document_words(text: &str) -> HashSet<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut words = HashSet::default();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_alphanumeric() {
            i += 1;
        }
        let before_key_colon = chars.get(i) == Some(&':')
            && !chars
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == '/');
        if !before_key_colon && i - start >= 3 {
            words.insert(chars[start..i].iter().collect::<String>().to_lowercase());
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The repaired text alone.
    fn repaired(text: &str) -> String {
        repair_yaml(text).0
    }

    /// The rules of the fixes made.
    fn rules(text: &str) -> Vec<&'static str> {
        repair_yaml(text).1.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn valid_yaml_comes_back_unchanged() {
        let texts = [
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web # the web pod\nspec:\n  containers:\n  - name: web\n    image: nginx:1.25\n",
            "key: value\nlist:\n  - a\n  - b\n",
            "script: |\n  echo a: b c: d\n  done\nother: {a: 1, b: 2}\n",
            "a: 1\n---\nb: \"x: y\"\n",
            "kind:\napiVersion:\n",
            "name: web",
            "# only a comment: here\n",
        ];
        for text in texts {
            assert!(!looks_damaged(text), "{text}");
            assert_eq!(repair_yaml(text), (text.to_string(), Vec::new()));
        }
    }

    #[test]
    fn flattened_pod_is_nested_by_the_schema() {
        let text = "apiVersion: v1 kind: Pod metadata: name: web labels: app: web tier: front spec: containers: - name: web image: nginx:1.25 ports: - containerPort: 80 name: http - name: sidecar image: busybox:1.36 args: - sleep - \"3600\" restartPolicy: Always";
        let expected = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\n    tier: front\nspec:\n  containers:\n  - name: web\n    image: nginx:1.25\n    ports:\n    - containerPort: 80\n      name: http\n  - name: sidecar\n    image: busybox:1.36\n    args:\n    - sleep\n    - \"3600\"\n  restartPolicy: Always";
        assert_eq!(repaired(text), expected);
        assert_eq!(rules(text), ["yaml-rebuilt"]);
    }

    #[test]
    fn glued_keys_split_where_a_field_starts() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:name: weblabels:app: web\nspec:containers:- name: webimage: nginx:1.25resources:limits:cpu: 500mmemory: 128Mi\n";
        let expected = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.25\n    resources:\n      limits:\n        cpu: 500m\n        memory: 128Mi\n";
        assert_eq!(repaired(text), expected);
    }

    #[test]
    fn a_glued_run_splits_at_a_word_the_document_uses_elsewhere() {
        // `shop` stands apart in `shop-web`: `shoptier` is `shop` + `tier`, not `s` + `hoptier`.
        let text = "apiVersion: v1\nkind: Service\nmetadata:name: shop-web\nlabels:app: shoptier: frontend\nspec:selector:app: shoptier: frontend\nports:- port: 80\n";
        let expected = "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop-web\n  labels:\n    app: shop\n    tier: frontend\nspec:\n  selector:\n    app: shop\n    tier: frontend\n  ports:\n  - port: 80\n";
        assert_eq!(repaired(text), expected);
        let words = document_words("name: hello-svc\nimage: redis:7\nhellotier: web");
        assert!(words.contains("hello") && words.contains("redis") && words.contains("svc"));
        assert!(!words.contains("hellotier") && !words.contains("name"));
        assert!(is_unlikely_key("fullRUST_LOG") && is_unlikely_key("_healthyproxy"));
        assert!(is_unlikely_key("stash/pipeline/logstash.conf"));
        assert!(!is_unlikely_key("RUST_LOG") && !is_unlikely_key("app.kubernetes.io/name"));
    }

    #[test]
    fn booleans_and_numbers_with_units_are_whole_values() {
        let text = "apiVersion: example.io/v1\nkind: Job\nmetadata:name: nightly\nspec:enabled: truecommand: backup\ntimeout: 30sretries: 3\n";
        let expected = "apiVersion: example.io/v1\nkind: Job\nmetadata:\n  name: nightly\nspec:\n  enabled: true\n  command: backup\n  timeout: 30s\n  retries: 3\n";
        assert_eq!(repaired(text), expected);
        // A count before a known key keeps the key whole, whatever its first letter.
        let text = "apiVersion: example.io/v1\nkind: Rollout\nmetadata:name: web\nspec:replicas: 3selector:matchLabels:app: web\n";
        let out = repaired(text);
        assert!(out.contains("  replicas: 3\n  selector:\n"), "{out}");
        let s = schema::schema();
        assert!(
            s.boundary_usualness("fast", "availability")
                > s.boundary_usualness("f", "astavailability")
        );
        assert_eq!(s.boundary_usualness("a", "bc"), 0);
    }

    #[test]
    fn a_name_holds_a_value_and_the_key_glued_to_it_follows() {
        // A custom resource the schema does not know: `…Name` keys hold one value, and a key
        // that mixes dashes and capitals is a value glued to a key.
        let text = "apiVersion: example.io/v1\nkind: Pipeline\nmetadata:name: build\nspec:runnerClassName: linux-defaultreplicas: 3\ndeviceClassName: gpu-largeallocationMode: Immediate\n";
        let expected = "apiVersion: example.io/v1\nkind: Pipeline\nmetadata:\n  name: build\nspec:\n  runnerClassName: linux-default\n  replicas: 3\n  deviceClassName: gpu-large\n  allocationMode: Immediate\n";
        assert_eq!(repaired(text), expected);
        assert!(mixes_dashes_and_humps("volume-aretainPolicy"));
        assert!(!mixes_dashes_and_humps("retainPolicy"));
        assert!(!mixes_dashes_and_humps("app.kubernetes.io/part-of"));
        assert!(names_a_scalar("runnerClassName") && names_a_scalar("name"));
        assert!(!names_a_scalar("names") && !names_a_scalar("nameservers"));
    }

    #[test]
    fn free_form_map_closes_at_a_field_of_an_enclosing_type() {
        let text = "apiVersion: apps/v1 kind: Deployment metadata: labels: app: shop tier: db name: shop namespace: prod spec: replicas: 2 selector: matchLabels: app: shop template: metadata: labels: app: shop spec: containers: - name: shop image: shop:2";
        let out = repaired(text);
        assert!(out.contains("metadata:\n  labels:\n    app: shop\n    tier: db\n  name: shop\n  namespace: prod\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: shop\n  template:"), "{out}");
    }

    #[test]
    fn an_item_goes_to_the_sequence_whose_items_have_its_keys() {
        let text = "apiVersion: v1 kind: Pod metadata: name: two spec: containers: - name: a image: a:1 ports: - containerPort: 80 name: http - name: b image: b:1";
        let out = repaired(text);
        assert!(
            out.ends_with(
                "    ports:\n    - containerPort: 80\n      name: http\n  - name: b\n    image: b:1"
            ),
            "{out}"
        );
    }

    #[test]
    fn comments_return_to_the_end_of_their_line() {
        let text = "apiVersion: v1 kind: PersistentVolumeClaim metadata: name: data spec: accessModes: # 读写 - ReadWriteOnce resources: requests: storage: 1Gi #容量 storageClassName: fast";
        let out = repaired(text);
        assert!(
            out.contains("  accessModes: # 读写\n  - ReadWriteOnce\n"),
            "{out}"
        );
        assert!(
            out.contains("      storage: 1Gi #容量\n  storageClassName: fast"),
            "{out}"
        );
    }

    #[test]
    fn a_comment_glued_to_a_value_gains_a_space() {
        let text = "apiVersion: v1\nkind: Service\nspec:ports:- port: 80targetPort: http# 网页端口\ntype: ClusterIP\n";
        let (out, fixes) = repair_yaml(text);
        assert!(
            out.contains("    targetPort: http # 网页端口\n  type: ClusterIP\n"),
            "{out}"
        );
        assert!(fixes.iter().any(|f| f.rule == "yaml-comment-space"));
    }

    #[test]
    fn a_key_quoted_in_a_comment_stays_in_the_comment() {
        let text = "apiVersion: example.com/v1\nkind: Probe\nmetadata:name: web-probe\nspec:targets:- web-a# picks the pods with the `app: web` labelselector:matchLabels:app: web\n";
        assert_eq!(
            repaired(text),
            "apiVersion: example.com/v1\nkind: Probe\nmetadata:\n  name: web-probe\nspec:\n  targets:\n  - web-a # picks the pods with the `app: web` label\n  selector:\n    matchLabels:\n      app: web\n"
        );
    }

    #[test]
    fn a_key_glued_to_the_end_of_a_comment_starts_where_its_case_or_domain_says() {
        // After an acronym.
        let text = "apiVersion: resource.k8s.io/v1alpha2\nkind: ResourceClaim\nmetadata:name: claim-a\nspec:resourceClassName: fast-gpu# 独占 GPUallocationMode: Immediate\n";
        let out = repaired(text);
        assert!(
            out.ends_with(
                "  resourceClassName: fast-gpu # 独占 GPU\n  allocationMode: Immediate\n"
            ),
            "{out}"
        );
        // In capitals after a lower-case word, among keys in capitals.
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:name: env\ndata:\nLOG_LEVEL: \"info\" # more output when debugging problemsLOG_FORMAT: \"json\"\n";
        let out = repaired(text);
        assert!(
            out.ends_with("  LOG_LEVEL: \"info\" # more output when debugging problems\n  LOG_FORMAT: \"json\"\n"),
            "{out}"
        );
        // With the domain of the key before it, whole.
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:name: shopannotations:example.org/proxy-size: \"8m\"# how long to wait for the upstreamexample.org/proxy-timeout: \"60\"\nspec:rules:- host: shop.example.com\n";
        let out = repaired(text);
        assert!(
            out.contains("    example.org/proxy-size: \"8m\" # how long to wait for the upstream\n    example.org/proxy-timeout: \"60\"\n"),
            "{out}"
        );
    }

    #[test]
    fn a_glued_key_may_start_with_the_first_word_of_the_key_before() {
        let text = "apiVersion: example.com/v1\nkind: Cache\nmetadata:name: c1\nspec:tuning:cacheEnabled: truecacheProfile: \"small\"\n";
        let out = repaired(text);
        assert!(
            out.ends_with("  tuning:\n    cacheEnabled: true\n    cacheProfile: \"small\"\n"),
            "{out}"
        );
    }

    #[test]
    fn a_script_in_a_flattened_manifest_gets_its_lines_back() {
        let text = "apiVersion: v1 kind: Pod metadata: name: probe spec: containers: - name: probe image: busybox command: - sh - -c - | echo \"waiting\" until wget -q http://web; do echo \"not yet\" sleep 2 done echo \"up\" restartPolicy: Never";
        let out = repaired(text);
        assert!(
            out.contains("    - |\n      echo \"waiting\"\n      until wget -q http://web; do\n        echo \"not yet\"\n        sleep 2\n      done\n      echo \"up\"\n  restartPolicy: Never"),
            "{out}"
        );
        // Elsewhere a one-line block keeps its spaces.
        let text =
            "apiVersion: v1 kind: ConfigMap metadata: name: hosts data: hosts: | echo a sleep 1";
        let out = repaired(text);
        assert!(out.contains("  hosts: |\n    echo a sleep 1"), "{out}");
    }

    #[test]
    fn a_misspelt_field_is_placed_as_the_field_would_be() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:name: p\nspec:volumes:- name: data\nscaleIO:gateway: https://sio.example.com/apisystem: siosysprotectoinDomain: pd1storagePool: sp1\n";
        let out = repaired(text);
        assert!(
            out.ends_with(
                "      system: siosys\n      protectoinDomain: pd1\n      storagePool: sp1\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn documents_stay_apart_when_the_separator_is_glued() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:name: a\nspec:containers:- name: aimage: nginx\nstatus: {}---\napiVersion: v1\nkind: Service\nmetadata:name: a\n";
        let out = repaired(text);
        assert!(
            out.contains("status: {}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n"),
            "{out}"
        );
    }

    #[test]
    fn a_glued_block_of_embedded_yaml_ends_at_a_key_of_the_document_inside_a_word() {
        let text = "apiVersion: ray.io/v1\nkind: RayService\nmetadata:name: sd\nspec:serveConfigV2: |applications:- name: sdimport_path: app:deploymentpip:- fastapirayClusterConfig:rayVersion: '2.9.0'headGroupSpec:template:spec:containers:- name: ray-headimage: rayproject/ray-ml:2.9.0\n";
        let out = repaired(text);
        assert!(
            out.contains("  rayClusterConfig:\n    rayVersion: '2.9.0'"),
            "{out}"
        );
        assert!(out.contains("- fastapi\n"), "{out}");
    }

    #[test]
    fn glued_yaml_in_a_block_scalar_is_rebuilt_and_deep_nesting_is_bounded() {
        let text = "apiVersion: ray.io/v1\nkind: RayJob\nmetadata:name: job\nspec:\nruntimeEnvYAML: |pip:- jax==0.8.2- pandas==2.3.3\n";
        let out = repaired(text);
        assert!(
            out.contains("  runtimeEnvYAML: |\n    pip:\n    - jax==0.8.2\n    - pandas==2.3.3"),
            "{out}"
        );
        // Thousands of blocks in blocks: no stack overflow, and nothing is lost.
        let deep = format!("a: |{}z: 1\n", "k:x: |".repeat(5000));
        let out = repaired(&deep);
        let letters = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(letters(&out), letters(&deep));
    }

    #[test]
    fn the_root_of_an_object_takes_no_kin_of_its_fields() {
        let text = "apiVersion: ray.io/v1 kind: RayService metadata: name: x spec: rayClusterConfig: rayVersion: '2.9.0' headGroupSpec: rayStartParams: {}";
        assert_eq!(
            repaired(text),
            "apiVersion: ray.io/v1\nkind: RayService\nmetadata:\n  name: x\nspec:\n  rayClusterConfig:\n    rayVersion: '2.9.0'\n    headGroupSpec:\n      rayStartParams: {}"
        );
    }

    #[test]
    fn a_key_of_an_unknown_kind_with_a_key_after_it_opens_a_mapping() {
        // `path` holds a string in an Ingress; in a route of an unknown kind it opens a mapping.
        let text = "apiVersion: gateway.networking.k8s.io/v1 kind: HTTPRoute metadata: name: web spec: rules: - matches: - path: type: PathPrefix value: /api";
        assert_eq!(
            repaired(text),
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web\nspec:\n  rules:\n  - matches:\n    - path:\n        type: PathPrefix\n        value: /api"
        );
    }

    #[test]
    fn mappings_of_an_unknown_kind_that_start_alike_are_siblings() {
        let text = "apiVersion: policy/v1beta1 kind: PodSecurityPolicy metadata: name: restricted spec: runAsUser: rule: MustRunAsNonRoot seLinux: # no SELinux here rule: RunAsAny fsGroup: rule: MustRunAs ranges: - min: 1 max: 65535 supplementalGroups: rule: MustRunAs";
        let out = repaired(text);
        assert!(
            out.contains("spec:\n  runAsUser:\n    rule: MustRunAsNonRoot\n  seLinux: # no SELinux here\n    rule: RunAsAny\n  fsGroup:\n    rule: MustRunAs\n    ranges:\n    - min: 1\n      max: 65535\n  supplementalGroups:\n    rule: MustRunAs"),
            "{out}"
        );
        // A child that starts otherwise stays a child.
        let text = "apiVersion: example.com/v1 kind: Widget metadata: name: w spec: auth: type: tls options: retries: 3";
        let out = repaired(text);
        assert!(
            out.contains("  auth:\n    type: tls\n    options:\n      retries: 3"),
            "{out}"
        );
    }

    #[test]
    fn a_block_scalar_ends_where_the_schema_expects_a_field() {
        let text = "apiVersion: v1 kind: Pod metadata: name: job spec: containers: - name: job image: busybox command: - sh - -c - | echo start; sleep 5 ports: - containerPort: 80";
        let out = repaired(text);
        assert!(
            out.contains("    - |\n      echo start; sleep 5\n    ports:\n    - containerPort: 80"),
            "{out}"
        );
    }

    #[test]
    fn a_glued_script_gets_one_command_per_line() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:name: loop\nspec:containers:- name: loopimage: busyboxcommand:- sh- -c- |for i in $(seq 3)dosleep 1done\n";
        let out = repaired(text);
        assert!(
            out.contains("    - |\n      for i in $(seq 3)\n      do\n        sleep 1\n      done"),
            "the loop's body is indented two spaces, as YAML is: {out}"
        );
        assert!(out.trim_end().ends_with("done"), "{out}");
    }

    #[test]
    fn compose_top_level_maps_are_told_from_service_lists() {
        let text = "services: web: image: nginx:1.25 ports: - \"8080:80\" volumes: - site:/usr/share/nginx/html depends_on: - api api: build: ./api environment: MODE: prod volumes: site:";
        let expected = "services:\n  web:\n    image: nginx:1.25\n    ports:\n    - \"8080:80\"\n    volumes:\n    - site:/usr/share/nginx/html\n    depends_on:\n    - api\n  api:\n    build: ./api\n    environment:\n      MODE: prod\nvolumes:\n  site:";
        assert_eq!(repaired(text), expected);
    }

    #[test]
    fn unknown_kinds_keep_the_plain_structure() {
        let text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:name: w1\nspec:size: 3color: blue\n";
        let out = repaired(text);
        assert!(out.ends_with("spec:\n  size: 3\n  color: blue\n"), "{out}");
    }

    #[test]
    fn a_kind_glued_to_the_next_key_still_selects_the_schema() {
        let text = "apiVersion: v1\nkind: Servicemetadata:\nname: webspec:\nselector:app: webports:- port: 80\n";
        let expected = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n";
        assert_eq!(repaired(text), expected);
    }

    #[test]
    fn a_label_line_stays_in_front() {
        let text = "yml\napiVersion: v1 kind: ConfigMap metadata: name: cfg data: MODE: prod";
        let out = repaired(text);
        assert!(
            out.starts_with("yml\napiVersion: v1\nkind: ConfigMap\n"),
            "{out}"
        );
    }

    #[test]
    fn documents_glued_without_their_separator_are_split() {
        let text = "apiVersion: v1kind: Podmetadata:name: p0spec:containers:- name: nginximage: nginx\n\napiVersion: v1kind: Podmetadata:name: p1spec:containers:- name: webimage: web:1\n";
        let (out, fixes) = repair_yaml(text);
        assert_eq!(
            out,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p0\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\nspec:\n  containers:\n  - name: web\n    image: web:1\n"
        );
        assert!(fixes.iter().any(|f| f.rule == "yaml-document"), "{fixes:?}");
        // A key the root has, but not its first, is not taken for a new document.
        let (out, _) = repair_yaml(
            "apiVersion: v1kind: Podmetadata:name: aspec:containers:- name: cimage: i\n",
        );
        assert!(!out.contains("---"), "{out}");
    }

    #[test]
    fn many_documents_and_many_keys_are_rebuilt_whole() {
        let docs: String = (0..600)
            .map(|i| format!("apiVersion: v1kind: ConfigMapmetadata:name: c{i}data:a{i}: x\n"))
            .collect();
        let (out, fixes) = repair_yaml(&docs);
        assert!(!fixes.iter().any(|f| f.rule == "yaml-unsure"), "{fixes:?}");
        assert_eq!(out.matches("\n---\n").count(), 599);
        assert!(
            out.contains(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c599\ndata:\n  a599: x\n"
            ),
            "{out}"
        );
        let data: String = (0..3000).map(|i| format!("key{i}: value{i}")).collect();
        let map = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:name: big\ndata:{data}\n");
        let (out, fixes) = repair_yaml(&map);
        assert!(!fixes.iter().any(|f| f.rule == "yaml-unsure"), "{fixes:?}");
        assert!(
            out.contains("data:\n  key0: value0\n  key1: value1\n"),
            "{out}"
        );
        assert!(out.ends_with("  key2999: value2999\n"), "{out}");
        assert_eq!(out.lines().count(), 3005);
    }

    #[test]
    fn unsure_blocks_are_kept_with_a_fix() {
        let text = "key: [unclosed value: x other: y";
        let (out, fixes) = repair_yaml(text);
        assert_eq!(out, text);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].rule, "yaml-unsure");
    }

    #[test]
    fn keys_glued_after_a_colon_teach_the_custom_resource_keys() {
        let chars: Vec<char> = "spec:template:metadata: x".chars().collect();
        assert_eq!(glued_key_chain(&chars), ["spec", "template", "metadata"]);
        let port: Vec<char> = "80:80".chars().collect();
        assert!(glued_key_chain(&port).is_empty());
        let value: Vec<char> = "image:nginx:latest".chars().collect();
        assert!(glued_key_chain(&value).is_empty());
        // `workerParams` is seen with a certain left edge, so the glued `pool-aworkerParams:` splits before it.
        let text = "apiVersion: example.io/v1\nkind: Pool\nspec:workerParams: {}\ngroups:- groupName: pool-aworkerParams: {}\n";
        let out = repaired(text);
        assert!(out.contains("groupName: pool-a\n"), "{out}");
        assert!(out.contains("workerParams: {}"), "{out}");
    }

    #[test]
    fn damage_is_recognised() {
        assert!(looks_damaged("apiVersion: v1 kind: Pod metadata: name: x"));
        assert!(looks_damaged("metadata:name: x"));
        assert!(looks_damaged("spec:\ncontainers:- name: x"));
        assert!(looks_damaged(
            "# example kind: Role apiVersion: v1 metadata: name: r"
        ));
        assert!(looks_damaged(
            "apiVersion: v1\nkind: Pod\nmetadata:\nname: x\n"
        ));
        assert!(looks_damaged("status: {}---"));
        assert!(!looks_damaged("metadata:\n  name: x\n"));
        assert!(!looks_damaged("image: myos:nginx\nurl: http://a.b/c\n"));
        assert!(!looks_damaged("kind:\napiVersion:\n"));
        assert!(!looks_damaged(""));
    }

    #[test]
    fn hints_name_misspelt_fields_at_every_depth() {
        let text = "apiversion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  lables:\n    app: web\nspec:\n  selector:\n    matchLables:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        imagePullPolice: Always\n";
        let hints = schema_hints(text);
        let messages: Vec<(usize, usize, &str)> = hints
            .iter()
            .map(|h| (h.line, h.col, h.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    1,
                    1,
                    "`apiversion` is not a field of Deployment; did you mean `apiVersion`?"
                ),
                (
                    5,
                    3,
                    "`lables` is not a field of ObjectMeta; did you mean `labels`?"
                ),
                (
                    9,
                    5,
                    "`matchLables` is not a field of LabelSelector; did you mean `matchLabels`?"
                ),
                (
                    19,
                    9,
                    "`imagePullPolice` is not a field of Container; did you mean `imagePullPolicy`?"
                ),
            ]
        );
    }

    #[test]
    fn hints_leave_free_form_maps_and_unknown_kinds_alone() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    anything.example.com/at-all: x\ndata:\n  whatever: y\n";
        assert!(schema_hints(text).is_empty());
        let crd = "apiVersion: example.com/v1\nkind: Widget\nspec:\n  anyThing: 1\n";
        assert!(schema_hints(crd).is_empty());
    }

    #[test]
    fn hints_catch_a_root_typo_without_a_kind() {
        let hints = schema_hints("apiversion: apps/v1\n");
        assert_eq!(hints.len(), 1);
        assert!(
            hints[0].message.contains("did you mean `apiVersion`?"),
            "{:?}",
            hints
        );
        assert_eq!((hints[0].line, hints[0].col), (1, 1));
    }

    #[test]
    fn hints_follow_compose_services() {
        let text = "services:\n  web:\n    image: nginx\n    restrat: always\n";
        let hints = schema_hints(text);
        assert_eq!(hints.len(), 1);
        assert_eq!(hints[0].line, 4);
        assert!(
            hints[0].message.contains("did you mean `restart`?"),
            "{:?}",
            hints
        );
    }

    /// Small manifests to damage in the property tests.
    const MANIFESTS: &[&str] = &[
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.25 # pinned\n    ports:\n    - containerPort: 80\n    command:\n    - sh\n    - -c\n    - |\n      echo hi\n  restartPolicy: Always\n",
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: example\n    volumes:\n    - data:/var/lib/postgresql/data\nvolumes:\n  data:\n",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  parts:\n  - id: 1\n    size: \"2\"\n---\napiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n",
    ];

    /// A manifest with its lines stripped and joined by the given separators.
    fn damage(text: &str, seps: &[u8]) -> String {
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                out.push_str(match seps.get(i).copied().unwrap_or(0) % 3 {
                    0 => "",
                    1 => " ",
                    _ => "\n",
                });
            }
            out.push_str(line.trim());
        }
        out
    }

    /// The text without its whitespace.
    fn non_space(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn never_panics_on_arbitrary_text(text in "[a-zA-Z0-9 :#\\-|>\"'\\[\\]{}\n.,/&*!_é中]{0,160}") {
            let (_, body) = split_label(&text);
            let _ = Parser::new(body).run();
            let _ = repair_yaml(&text);
            let _ = schema_hints(&text);
        }

        #[test]
        fn repair_is_idempotent(text in "[a-z:#\\- \n|\"]{0,120}") {
            let once = repaired(&text);
            prop_assert_eq!(repaired(&once), once);
        }

        #[test]
        fn repair_keeps_every_non_space_character(text in "[a-zA-Z0-9:#\\- \n|{}\\[\\]\"]{0,160}") {
            prop_assert_eq!(non_space(&repaired(&text)), non_space(&text));
        }

        #[test]
        fn damaged_manifests_repair_soundly(which in 0..MANIFESTS.len(), seps in proptest::collection::vec(any::<u8>(), 40)) {
            let text = damage(MANIFESTS[which], &seps);
            let once = repaired(&text);
            prop_assert_eq!(non_space(&once), non_space(&text));
            prop_assert_eq!(repaired(&once), once.clone());
            let (_, body) = split_label(&text);
            let _ = Parser::new(body).run();
        }
    }
}
