//! Finding code in prose: where unfenced code starts and ends, which language it is, and fencing it.

use super::fix::Fix;
use super::shell;
use super::yaml;
use regex::Regex;
use std::sync::LazyLock;

/// What one line of a note looks like, judged on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    /// A line-numbered remnant: `1 | apiVersion: v1`.
    Gutter {
        number: usize,
    },
    /// A lone language label (`yml`, `shell`) standing before code.
    Label(&'static str),
    /// A shell prompt followed by a command.
    Prompt,
    /// A YAML mapping or sequence line.
    Yaml,
    /// A shell command without prompt.
    Command,
    /// A `#` comment (or a Markdown heading: context decides).
    Comment,
    /// A line of another language: the language's name.
    Code(&'static str),
    /// Markdown structure: heading, list item, table row, quote.
    Markdown,
    /// Anything else: a sentence, a caption.
    Prose,
}

/// Fence info words read as "no particular language": their content gets a detected one.
/// `text` is not among them: it is what repair itself writes for code it keeps as written.
const VAGUE_LABELS: &[&str] = &["", "plain", "plaintext", "txt", "none", "code"];

/// Lone label lines and the language they name.
const LABELS: &[(&str, &str)] = &[
    ("yml", "yaml"),
    ("yaml", "yaml"),
    ("bash", "bash"),
    ("shell", "bash"),
    ("sh", "bash"),
    ("zsh", "bash"),
    ("console", "console"),
    ("json", "json"),
    ("dockerfile", "dockerfile"),
    ("go", "go"),
    ("golang", "go"),
    ("nginx", "nginx"),
    ("sql", "sql"),
    ("ini", "ini"),
    ("toml", "toml"),
    ("properties", "properties"),
    ("python", "python"),
    ("xml", "xml"),
];

/// The length of the longest name in [`LABELS`].
const LONGEST_LABEL: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < LABELS.len() {
        if LABELS[i].0.len() > longest {
            longest = LABELS[i].0.len();
        }
        i += 1;
    }
    longest
};

static GUTTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s{0,3}(\d{1,4})\s*\|\s?(.*)$").expect("valid regex"));
static YAML_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:-\s+)?(?:[A-Za-z_$][A-Za-z0-9_.\-/$]*|"[^"\n]+"|'[^'\n]+'):(?:\s|$)"#)
        .expect("valid regex")
});
static YAML_GLUED_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:-\s*)?[a-z][A-Za-z0-9_\-]*:(?:-\s?)?[a-z][A-Za-z0-9_.\-]*:")
        .expect("valid regex")
});
/// A line that ends in `key: value`, the value one word (`storage: 100Gi`, not `tar -xf`).
static ENDS_WITH_KEY_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9_.\-]+: [^\s:]+$").expect("valid regex"));
static YAML_GLUED_INSIDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[a-z][A-Za-z]{2,}:[a-z][A-Za-z_]{3,}:(?:\s|[a-z])").expect("valid regex")
});
static DOCKERFILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:FROM|RUN|CMD|COPY|ADD|ENTRYPOINT|ENV|EXPOSE|WORKDIR|USER|VOLUME|ARG|LABEL|HEALTHCHECK|ONBUILD|STOPSIGNAL|SHELL|MAINTAINER)\s+\S")
        .expect("valid regex")
});
static SQL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(?:TABLE|DATABASE|INDEX|USER)\s|DROP\s+(?:TABLE|DATABASE)\s|ALTER\s+TABLE\s|GRANT\s.+\sON\s|SHOW\s+(?:DATABASES|TABLES)|USE\s+\w+;)")
        .expect("valid regex")
});
static GO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:package\s+\w+$|import\s+(?:\(|\x22)|func\s+(?:\([^)]*\)\s*)?\w+\(|type\s+\w+\s+(?:struct|interface)\s*\{)")
        .expect("valid regex")
});
static NGINX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:server\s*\{|location\s+\S.*\{|upstream\s+\S+\s*\{|http\s*\{|events\s*\{|(?:listen|server_name|proxy_pass|root|index)\s+[^;]+;$)")
        .expect("valid regex")
});
static INI_SECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[[\w .:\-]+\]$").expect("valid regex"));
static KEY_EQUALS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-]*\s*=\s*\S").expect("valid regex"));
static MD_LIST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+]\s|\d{1,3}[.)]\s)").expect("valid regex"));

/// Share of CJK characters among the non-space characters of a line.
pub fn cjk_ratio(line: &str) -> f32 {
    if line.is_ascii() {
        return 0.0;
    }
    let (mut cjk, mut all) = (0usize, 0usize);
    // Characters other than white space; CJK ones need no look-up (U+3000 is a space).
    for c in line.chars() {
        if c.is_ascii() {
            all += usize::from(!matches!(c, '\t'..='\r' | ' '));
        } else if is_cjk(c) {
            let counted = usize::from(c != '\u{3000}');
            all += counted;
            cjk += counted;
        } else {
            all += usize::from(!c.is_whitespace());
        }
    }
    if all == 0 {
        0.0
    } else {
        cjk as f32 / all as f32
    }
}

/// CJK ideographs and full-width punctuation.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

/// A line without its trailing `#` comment, even one glued on without a space (`ls# 列出文件`):
/// a `#` outside quotes that is followed by a space or a CJK character, and not part of `$#`, `${#` or `<#`.
pub fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && i > 0 && !matches!(previous, '$' | '{' | '<' | '\\' | '/') => {
                let next = line[i + 1..].chars().next();
                if next.is_some_and(|n| n == ' ' || is_cjk(n)) {
                    return line[..i].trim_end();
                }
            }
            None => {}
        }
        previous = c;
    }
    line
}

/// The language a lone label line names.
pub fn label_language(line: &str) -> Option<&'static str> {
    let word = line.trim().trim_end_matches(':');
    if word.len() > LONGEST_LABEL {
        return None;
    }
    let word = word.to_ascii_lowercase();
    LABELS
        .iter()
        .find(|(l, _)| *l == word)
        .map(|(_, lang)| *lang)
}

/// A gutter line's number and the code after the gutter.
pub fn gutter(line: &str) -> Option<(usize, &str)> {
    // The number comes first, in ASCII digits (others would not parse).
    if !line.trim_start().starts_with(|c: char| c.is_ascii_digit()) || !line.contains('|') {
        return None;
    }
    let caps = GUTTER.captures(line)?;
    let number = caps.get(1)?.as_str().parse().ok()?;
    let rest = caps.get(2)?.as_str();
    (!rest.trim().is_empty() && !rest.trim_start().starts_with('|')).then_some((number, rest))
}

/// Whether a line reads as YAML: `key: value`, `- key: value`, a glued `key:key:` run, or a flattened manifest.
pub fn is_yaml_line(line: &str) -> bool {
    let t = line.trim();
    if t == "---" {
        return true;
    }
    // Both shapes hold a `key:`.
    if !t.contains(':') {
        return false;
    }
    YAML_KEY.is_match(line) || YAML_GLUED_KEY.is_match(line)
}

/// Whether a single line is a whole manifest flattened onto one line.
pub fn is_flattened_yaml(line: &str) -> bool {
    // Every sign of one is a `key:`.
    if !line.contains(':') {
        return false;
    }
    // A document marker may lead the flattened stream: `--- apiVersion: v1 kind: …`.
    let t = line.trim_start();
    let t = t.strip_prefix("--- ").map_or(t, str::trim_start);
    let keys = t
        .split_whitespace()
        .filter(|w| {
            w.strip_suffix(':').is_some_and(|k| {
                k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
            })
        })
        .count();
    (t.starts_with("apiVersion:") || t.starts_with("kind:") || keys >= 4)
        && YAML_KEY.is_match(t)
        && cjk_ratio(line) < 0.5
}

/// A whole manifest flattened behind its leading comment (`# 示例 kind: Role apiVersion: …`).
fn is_commented_manifest(t: &str) -> bool {
    t.starts_with('#') && t.contains(" apiVersion: ") && t.contains(" kind: ")
}

/// Another language recognisable from one line.
fn other_language(line: &str) -> Option<&'static str> {
    let t = line.trim();
    // Every one starts with a Latin letter.
    if t.chars()
        .next()
        .is_none_or(|c| (c.is_ascii() && !c.is_ascii_alphabetic()) || is_cjk(c))
    {
        return None;
    }
    if DOCKERFILE.is_match(t) {
        return Some("dockerfile");
    }
    if SQL.is_match(t) {
        return Some("sql");
    }
    if GO.is_match(t) {
        return Some("go");
    }
    if NGINX.is_match(t) {
        return Some("nginx");
    }
    None
}

/// A Markdown heading of level 2 or more (`## 配置`): never read as a code comment.
fn is_subheading(t: &str) -> bool {
    let hashes = t.chars().take_while(|&c| c == '#').count();
    (2..=6).contains(&hashes) && t[hashes..].starts_with(' ')
}

/// Markdown structure that is never code on its own.
fn is_markdown(line: &str) -> bool {
    let t = line.trim_start();
    let quote = t.starts_with('>') && !t.starts_with(">&") && !t.starts_with(">>");
    is_table_row(t) || quote || t.starts_with("![") || MD_LIST.is_match(line)
}

/// A Markdown table row: `| a | b |`. A tree drawing (`|-- file`) is not one.
fn is_table_row(t: &str) -> bool {
    t.starts_with('|') && !t.starts_with("|-- ") && !t.starts_with("|   ") && t[1..].contains('|')
}

thread_local! {
    /// Lines of the note being repaired, classified: repair reads a note in several passes
    /// (and a code block's lines more than once in a pass), mostly over the same lines.
    static CLASSIFIED: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, LineKind>> =
        Default::default();
}

/// Forget the lines [`classify`] has kept: called before each note, so that what is kept stays
/// the size of one note.
pub fn forget_classified() {
    CLASSIFIED.with_borrow_mut(|kept| kept.clear());
}

/// Classify one line on its own.
pub fn classify(line: &str) -> LineKind {
    if line.len() < MEMO_MIN_BYTES {
        return classify_line(line);
    }
    if let Some(kind) = CLASSIFIED.with_borrow(|kept| kept.get(line).cloned()) {
        return kind;
    }
    let kind = classify_line(line);
    CLASSIFIED.with_borrow_mut(|kept| kept.insert(line.into(), kind.clone()));
    kind
}

/// Lines shorter than this are classified again rather than looked up.
const MEMO_MIN_BYTES: usize = 8;

/// [`classify`], without looking for the line among those classified before.
fn classify_line(line: &str) -> LineKind {
    let t = line.trim();
    if t.is_empty() {
        return LineKind::Blank;
    }
    if let Some((number, _)) = gutter(line) {
        return LineKind::Gutter { number };
    }
    if let Some(lang) = label_language(t) {
        return LineKind::Label(lang);
    }
    if shell::prompt_len(line).is_some() {
        return LineKind::Prompt;
    }
    if is_subheading(t) {
        return LineKind::Markdown;
    }
    if t.starts_with('#') && !t.starts_with("#!") {
        // A comment with a manifest glued to its end (`# 注释 webapp:container_name: web`) starts YAML.
        // So does a whole manifest flattened behind its leading comment.
        if YAML_GLUED_INSIDE.is_match(t) || is_commented_manifest(t) {
            return LineKind::Yaml;
        }
        // A comment running into a command with arguments (`# 列出文件gsutil ls gs://b`) is a script's.
        if let Some(at) = shell::command_in_comment(t)
            && t[at..].is_ascii()
            && t[at..].split_whitespace().nth(1).is_some()
            && shell::looks_like_command(&t[at..])
        {
            return LineKind::Command;
        }
        return LineKind::Comment;
    }
    if let Some(lang) = other_language(line) {
        return LineKind::Code(lang);
    }
    let cjk = cjk_ratio(t);
    // Only a `#` can start a comment.
    let code = if t.contains('#') {
        without_comment(t)
    } else {
        t
    };
    let code_cjk = if code.len() == t.len() {
        cjk
    } else {
        cjk_ratio(code)
    };
    // A Chinese comment glued to a manifest's line (`metadata:name: web# 注释`) is the comment's.
    // So is one glued to a lone key (`spec:# 注释`).
    let key_before_comment = code.len() < t.len() && is_yaml_line(code);
    if code_cjk < 0.6 && (is_yaml_line(line) || key_before_comment || is_flattened_yaml(line)) {
        return LineKind::Yaml;
    }
    // Chinese placeholders in a command's arguments (`kubectl logs pods名称`) are allowed once the
    // command and its first argument are plain ASCII.
    if code_cjk < 0.5 && !is_title(code) {
        let ascii_head = code.split_whitespace().take(2).all(|w| w.is_ascii());
        let limit = if ascii_head { 0.5 } else { 0.35 };
        if code_cjk < limit && shell::looks_like_command(code) {
            return LineKind::Command;
        }
    }
    if is_markdown(line) {
        return LineKind::Markdown;
    }
    if INI_SECTION.is_match(t) || (cjk < 0.3 && KEY_EQUALS.is_match(t)) {
        return LineKind::Code("ini");
    }
    LineKind::Prose
}

/// A name and one Chinese word (`service 管理`, `docker 安装`): a title for what follows, not a
/// command with a Chinese argument.
fn is_title(code: &str) -> bool {
    let mut words = code.split_whitespace();
    matches!((words.next(), words.next(), words.next()),
        (Some(name), Some(word), None) if name.is_ascii() && word.chars().all(is_cjk))
}

/// A run of lines found to be code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Region {
    /// First and one-past-last line index (label line excluded).
    start: usize,
    end: usize,
    lang: &'static str,
    truncated: bool,
    /// Index of a label line standing before the region, dropped from the output.
    label: Option<usize>,
}

/// Fence every unfenced piece of code in `text`, and give vague or wrong fences the right language.
/// Code content is repaired by language (sessions and scripts re-split). Nothing but label lines,
/// gutters and the whitespace around code is removed.
pub fn fence_code(text: &str) -> (String, Vec<Fix>) {
    fence_code_with(text, true)
}

/// [`fence_code`] for a text whose lines outside fences are known to need nothing: only its
/// fences are relabelled.
pub fn relabel_fences(text: &str) -> (String, Vec<Fix>) {
    fence_code_with(text, false)
}

/// Whether `a` and `b` have the same lines but for the info strings of some opening fences
/// (the fence itself and its indent the same).
pub fn differ_only_in_fence_info(a: &str, b: &str) -> bool {
    let (mut a_lines, mut b_lines) = (crate::lines::split_lines(a), crate::lines::split_lines(b));
    loop {
        match (a_lines.next(), b_lines.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            (Some(x), Some(y)) => {
                let marker = |line: &str| {
                    fence_open(line).map(|(fence, _)| {
                        let indent = line.len() - line.trim_start_matches(' ').len();
                        (indent, fence)
                    })
                };
                match (marker(x), marker(y)) {
                    (Some(mx), Some(my)) if mx == my => {}
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
}

fn fence_code_with(text: &str, free_lines: bool) -> (String, Vec<Fix>) {
    let lines: Vec<&str> = crate::lines::split_lines(text).collect();
    let context = NoteContext::of(&lines);
    let mut out = LineOut::with_capacity(text.len() + 64);
    let mut fixes = Vec::new();
    let free = |start: usize, end: usize, out: &mut LineOut, fixes: &mut Vec<Fix>| {
        if free_lines {
            fence_free_lines(&lines, start, end, &context, out, fixes);
        } else {
            out.extend(lines[start..end].iter().copied());
        }
    };
    let mut i = 0;
    let mut free_start = 0;
    while i < lines.len() {
        if let Some((fence, _)) = fence_open(lines[i]) {
            let indent = lines[i].len() - lines[i].trim_start_matches(' ').len();
            // A fence in a list item is looked for within a bound, so that many lone indented
            // fences cost no more than a pass each.
            let last = if indent > 3 {
                lines.len().min(i + 1 + MAX_LIST_FENCE_LINES)
            } else {
                lines.len()
            };
            let close = (i + 1..last).find(|&j| fence_closes(lines[j], &fence, indent));
            if indent > 3 && close.is_none() {
                // Not a fence in a list item: the text of an indented code block.
                i += 1;
                continue;
            }
            free(free_start, i, &mut out, &mut fixes);
            let end = close.unwrap_or(lines.len());
            relabel_fence(&lines, i, end, close.is_some(), &mut out, &mut fixes);
            i = end + 1;
            free_start = i;
            continue;
        }
        i += 1;
    }
    free(
        free_start.min(lines.len()),
        lines.len(),
        &mut out,
        &mut fixes,
    );
    (out.finish(), fixes)
}

/// Lines written one after another, joined by line breaks.
struct LineOut {
    text: String,
    lines: usize,
}

impl LineOut {
    fn with_capacity(bytes: usize) -> LineOut {
        LineOut {
            text: String::with_capacity(bytes),
            lines: 0,
        }
    }

    fn push(&mut self, line: impl AsRef<str>) {
        if self.lines > 0 {
            self.text.push('\n');
        }
        self.text.push_str(line.as_ref());
        self.lines += 1;
    }

    fn extend<S: AsRef<str>>(&mut self, lines: impl IntoIterator<Item = S>) {
        for line in lines {
            self.push(line);
        }
    }

    fn finish(self) -> String {
        self.text
    }
}

/// The fence marker of an opening fence line (```` ``` ```` or `~~~`, up to 3 spaces indented) and its info string.
fn fence_open(line: &str) -> Option<(String, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > MAX_FENCE_INDENT {
        return None;
    }
    let t = &line[indent..];
    let ch = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = t.chars().take_while(|&c| c == ch).count();
    if n < 3 {
        return None;
    }
    let info = &t[n..];
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some((t[..n].to_string(), info.trim()))
}

/// How far a fence may be indented: up to 3 spaces at the margin, more inside a list item.
pub(crate) const MAX_FENCE_INDENT: usize = 16;

/// The most lines a fenced block inside a list item is looked for over.
pub(crate) const MAX_LIST_FENCE_LINES: usize = 2000;

/// Whether `line` closes a fence `fence` opened `open_indent` spaces in. A fence indented 4 or
/// more stands in a list item (else it is an indented code block's text): its closing fence is
/// indented the same.
fn fence_closes(line: &str, fence: &str, open_indent: usize) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 && indent != open_indent {
        return false;
    }
    let t = line.trim();
    let ch = fence.chars().next().unwrap_or('`');
    t.len() >= fence.len() && t.chars().all(|c| c == ch)
}

/// Copy an existing fenced block, giving it a language when its label is vague or wrong.
fn relabel_fence(
    lines: &[&str],
    open: usize,
    end: usize,
    closed: bool,
    out: &mut LineOut,
    fixes: &mut Vec<Fix>,
) {
    let (fence, info) = fence_open(lines[open]).expect("an opening fence");
    let body: Vec<&str> = lines[open + 1..end.min(lines.len())].to_vec();
    let mut words = info.split_whitespace();
    let given = words.next().unwrap_or("").to_ascii_lowercase();
    let rest: Vec<&str> = words.collect();
    // The detected language matters only for a vague or shell label.
    let detected = if VAGUE_LABELS.contains(&given.as_str()) || is_shell_label(&given) {
        detect_language(&body)
    } else {
        None
    };
    let lang = choose_fence_language(&given, detected, &body);
    if lang != given {
        fixes.push(Fix::new(
            open + 1,
            "fence-language",
            format!(
                "code block labelled `{}` is {lang}",
                if given.is_empty() { "(none)" } else { &given }
            ),
        ));
    }
    let indent = &lines[open][..lines[open].len() - lines[open].trim_start_matches(' ').len()];
    let mut opening = format!("{indent}{fence}{lang}");
    for word in &rest {
        opening.push(' ');
        opening.push_str(word);
    }
    out.push(opening);
    match repaired_fenced_yaml(&lang, indent, &body) {
        Some((text, body_fixes)) => {
            out.extend(text.lines());
            fixes.extend(
                body_fixes
                    .into_iter()
                    .map(|f| Fix::new(open + 1 + f.line, f.rule, f.message)),
            );
        }
        None => out.extend(body.iter().copied()),
    }
    if closed {
        out.push(lines[end]);
    } else {
        fixes.push(Fix::new(
            open + 1,
            "unclosed-fence",
            "code block was never closed; closed at the end of the note",
        ));
        out.push(format!("{indent}{fence}"));
    }
}

/// A fenced YAML block whose lines were glued or flattened, rebuilt; None when it is intact or
/// cannot be rebuilt with confidence (the author's fence then stays as written).
fn repaired_fenced_yaml(lang: &str, indent: &str, body: &[&str]) -> Option<(String, Vec<Fix>)> {
    if lang != "yaml" || !indent.is_empty() {
        return None;
    }
    let code = body.join("\n");
    if !yaml::looks_damaged(&code) {
        return None;
    }
    let (fixed, fixes) = yaml::repair_yaml(&code);
    (!fixes.iter().any(|f| f.rule == "yaml-unsure") && fixed != code).then_some((fixed, fixes))
}

fn is_shell_label(label: &str) -> bool {
    matches!(label, "shell" | "sh" | "bash" | "zsh")
}

/// The language to give an existing fence.
fn choose_fence_language(given: &str, detected: Option<&'static str>, body: &[&str]) -> String {
    let vague = VAGUE_LABELS.contains(&given);
    let shellish = is_shell_label(given);
    match detected {
        Some("console") if vague || shellish => "console".into(),
        Some(lang) if vague => lang.into(),
        // A shell label on lines that are neither commands nor comments (a list of names, a URL pattern).
        None if shellish
            && !body.iter().any(|l| {
                let t = l.trim();
                t.is_empty() || t.starts_with('#') || shell::looks_like_command(t)
            }) =>
        {
            "text".into()
        }
        _ if vague => "text".into(),
        _ if shellish => "bash".into(),
        _ if given == "yml" => "yaml".into(),
        _ => given.into(),
    }
}

/// The language of a block of code lines, or None when nothing is recognised.
pub fn detect_language(lines: &[&str]) -> Option<&'static str> {
    let (mut yaml, mut command, mut prompt, mut prose) = (0, 0, 0, 0);
    let mut other: Option<&'static str> = None;
    let mut json = 0;
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let t = line.trim();
        if t.starts_with('{') || t.starts_with('}') || t.starts_with('"') && t.contains("\":") {
            json += 1;
        }
        match classify(line) {
            LineKind::Prompt => prompt += 1,
            LineKind::Yaml => yaml += 1,
            LineKind::Command => command += 1,
            LineKind::Code(lang) => {
                other.get_or_insert(lang);
            }
            LineKind::Prose | LineKind::Markdown => prose += 1,
            _ => {}
        }
    }
    if prompt > 0 {
        return Some("console");
    }
    let first_code = lines
        .iter()
        .map(|l| classify(l))
        .find(|k| !matches!(k, LineKind::Blank | LineKind::Comment));
    if let Some(lang) = other
        && !matches!(first_code, Some(LineKind::Command))
    {
        return Some(lang);
    }
    if json > 0
        && json * 2 >= lines.len().min(4)
        && lines
            .first()
            .is_some_and(|l| l.trim_start().starts_with(['{', '[']))
    {
        return Some("json");
    }
    // The first line of code says what the block is: a command that feeds a manifest to a
    // heredoc is a script, a manifest with a command in a block scalar is YAML.
    let first = lines
        .iter()
        .map(|l| classify(l))
        .find(|k| matches!(k, LineKind::Yaml | LineKind::Command));
    match first {
        Some(LineKind::Command)
            if command * 4 >= yaml || lines.iter().any(|l| l.contains("<<")) =>
        {
            return Some("bash");
        }
        Some(LineKind::Yaml) if yaml * 2 >= yaml + command + prose => return Some("yaml"),
        _ => {}
    }
    if yaml > 0 && yaml >= command && yaml * 2 >= yaml + command + prose {
        return Some("yaml");
    }
    if command > 0 && command * 2 >= command + prose {
        return Some("bash");
    }
    None
}

/// What is known about a whole note before its regions are found.
struct NoteContext {
    /// Gutter lines carry a closing ` |` to strip.
    strip_gutter_pipe: bool,
    /// The language most line-numbered remnants of the note are in, for remnants that do not say.
    remnant_prior: Option<&'static str>,
}

impl NoteContext {
    fn of(lines: &[&str]) -> NoteContext {
        let (mut yaml, mut shell) = (0, 0);
        for rest in lines.iter().filter_map(|l| gutter(l).map(|(_, rest)| rest)) {
            match classify(rest) {
                LineKind::Yaml => yaml += 1,
                LineKind::Command | LineKind::Prompt => shell += 1,
                _ => {}
            }
        }
        let remnant_prior = match (yaml, shell) {
            (0, 0) => None,
            (y, s) if y >= s => Some("yaml"),
            _ => Some("bash"),
        };
        NoteContext {
            strip_gutter_pipe: gutters_end_with_pipe(lines),
            remnant_prior,
        }
    }
}

/// Words that say a comment introduces a shell command, and ones that say it introduces a manifest.
const SHELL_WORDS: &[&str] = &[
    "kubectl", "helm", "docker", "命令", "安装", "执行", "运行", "获取", "查看", "仓库", "下载",
    "install", "command", "run ", "shell", "bash", "终端", "脚本", "taint", "label ",
];
const MANIFEST_WORDS: &[&str] = &[
    "yaml",
    "yml",
    "apiversion",
    "api 版本",
    "定义",
    "配置",
    "清单",
    "manifest",
    "部署",
    "示例",
    "kind",
];

/// The language of a remnant that kept only a comment or a line of prose: `//` comments are Go
/// (the language of Kubernetes code), `#` comments are told apart by their words and the lines
/// before them, else the note's usual remnant language.
fn remnant_language(
    codes: &[&str],
    before: &[&str],
    context: &NoteContext,
) -> Option<&'static str> {
    let first = codes.first()?.trim();
    if first.starts_with("//") {
        return Some("go");
    }
    let lead: Vec<&str> = before
        .iter()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(2)
        .copied()
        .collect();
    // The comment's own words decide; the lines before it break a tie; then the note's habit.
    let own = codes.join(" ").to_lowercase();
    let around = lead.join(" ").to_lowercase();
    let lean = |text: &str| {
        let count = |words: &[&str]| words.iter().filter(|w| text.contains(*w)).count();
        match count(SHELL_WORDS).cmp(&count(MANIFEST_WORDS)) {
            std::cmp::Ordering::Greater => Some("bash"),
            std::cmp::Ordering::Less => Some("yaml"),
            std::cmp::Ordering::Equal => None,
        }
    };
    lean(&own)
        .or_else(|| lean(&around))
        .or(context.remnant_prior)
}

/// Whether the note's gutter lines carry a closing ` |` (a flattened line-number table): most of them end with one.
fn gutters_end_with_pipe(lines: &[&str]) -> bool {
    let gutters: Vec<&str> = lines
        .iter()
        .filter_map(|l| gutter(l).map(|(_, rest)| rest))
        .collect();
    let piped = gutters
        .iter()
        .filter(|r| r.trim_end().ends_with(" |"))
        .count();
    piped >= 2 && piped * 2 > gutters.len()
}

/// Fence the code found among lines `start..end` (none of them inside a fence) and copy the rest.
fn fence_free_lines(
    lines: &[&str],
    start: usize,
    end: usize,
    context: &NoteContext,
    out: &mut LineOut,
    fixes: &mut Vec<Fix>,
) {
    let kinds: Vec<LineKind> = lines[start..end].iter().map(|l| classify(l)).collect();
    let regions = find_regions(&lines[start..end], &kinds, context);
    let mut i = 0;
    for region in regions {
        let label = region.label.unwrap_or(region.start);
        out.extend(lines[start + i..start + label].iter().copied());
        emit_region(&lines[start..end], start, &region, context, out, fixes);
        i = region.end;
    }
    out.extend(lines[start + i..end].iter().copied());
}

/// Write one region as a fenced block, repairing its content by language.
fn emit_region(
    lines: &[&str],
    offset: usize,
    region: &Region,
    context: &NoteContext,
    out: &mut LineOut,
    fixes: &mut Vec<Fix>,
) {
    let first_line = offset + region.start + 1;
    let raw: Vec<&str> = lines[region.start..region.end].to_vec();
    let code: String = if region.truncated {
        raw.iter()
            .filter_map(|l| gutter(l).map(|(_, rest)| rest))
            .map(|rest| {
                let rest = rest.trim_end();
                match rest.strip_suffix(" |") {
                    Some(inner) if context.strip_gutter_pipe => inner.trim_end(),
                    _ => rest,
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        trim_block(&raw)
    };
    let mut lang = region.lang;
    let (code, mut content_fixes) = match region.lang {
        "console" => shell::repair_session(&code),
        "dockerfile" => super::dockerfile::repair_dockerfile(&code),
        "bash" => {
            let (script, mut fixes) = shell::repair_script(&code);
            let (script, body_fixes) = repair_heredoc_manifests(&script);
            fixes.extend(body_fixes);
            (script, fixes)
        }
        "yaml" if !region.truncated && yaml::looks_damaged(&code) => {
            // A dash after the last value is what is left of the page's list the manifest was
            // pasted from (`storage: 100Gi -`): an item with nothing in it.
            let code = match code.strip_suffix(" -") {
                Some(kept) if ENDS_WITH_KEY_VALUE.is_match(kept) => kept.trim_end().to_string(),
                _ => code,
            };
            let (fixed, fixes) = yaml::repair_yaml(&code);
            if fixes.iter().any(|f| f.rule == "yaml-unsure") {
                // Kept as written, shown as plain text rather than as a manifest it is not.
                lang = "text";
            }
            (fixed, fixes)
        }
        _ => (code, Vec::new()),
    };
    for fix in &mut content_fixes {
        fix.line += first_line - 1;
    }
    let what = if region.truncated {
        format!(
            "line-numbered remnant fenced as {} and marked truncated",
            region.lang
        )
    } else {
        format!("unfenced {} code fenced", region.lang)
    };
    fixes.push(Fix::new(
        first_line,
        if region.truncated {
            "gutter-remnant"
        } else {
            "fence-code"
        },
        what,
    ));
    if let Some(label) = region.label {
        fixes.push(Fix::new(
            offset + label + 1,
            "label-line",
            format!(
                "label line `{}` became the fence language",
                lines[label].trim()
            ),
        ));
    }
    fixes.extend(content_fixes);
    out.push(format!(
        "```{}{}",
        lang,
        if region.truncated { " truncated" } else { "" }
    ));
    out.push(code);
    out.push("```");
}

/// Manifests written through heredocs (`cat <<EOF | kubectl apply -f -`) are repaired like any manifest.
fn repair_heredoc_manifests(script: &str) -> (String, Vec<Fix>) {
    let lines: Vec<&str> = crate::lines::split_lines(script).collect();
    let mut out = LineOut::with_capacity(script.len() + 64);
    let mut fixes = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        out.push(lines[i]);
        let Some(word) = HEREDOC.captures(lines[i]).map(|c| c[1].to_string()) else {
            i += 1;
            continue;
        };
        let Some(end) = (i + 1..lines.len()).find(|&j| lines[j].trim() == word) else {
            i += 1;
            continue;
        };
        let body = lines[i + 1..end].join("\n");
        if detect_language(&lines[i + 1..end]) == Some("yaml") && yaml::looks_damaged(&body) {
            let (fixed, mut body_fixes) = yaml::repair_yaml(&body);
            if !body_fixes.iter().any(|f| f.rule == "yaml-unsure") {
                for fix in &mut body_fixes {
                    fix.line += i + 1;
                }
                fixes.extend(body_fixes);
                out.push(fixed);
                i = end;
                continue;
            }
        }
        out.extend(lines[i + 1..end].iter().copied());
        i = end;
    }
    (out.finish(), fixes)
}

/// Lines of a block without the blank lines around it, trailing whitespace trimmed.
fn trim_block(lines: &[&str]) -> String {
    let first = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(0);
    let last = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    lines[first..last.max(first)]
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a line is code that can start a region by itself.
fn starts_code(kind: &LineKind, line: &str) -> bool {
    match kind {
        LineKind::Gutter { .. } | LineKind::Prompt | LineKind::Command | LineKind::Code(_) => true,
        LineKind::Yaml => {
            is_flattened_yaml(line)
                || YAML_GLUED_KEY.is_match(line)
                || YAML_GLUED_INSIDE.is_match(line)
                || is_commented_manifest(line.trim())
        }
        _ => false,
    }
}

/// Where a region stands while it grows: its language and whether a heredoc is open.
struct Growth<'a> {
    lang: &'a str,
    heredoc: Option<String>,
    /// The last line taken was program output (in a session).
    after_output: bool,
    /// Commands typed at the session's prompts so far.
    commands: Vec<String>,
    /// A manifest has opened a block scalar (`command: |`): script lines may follow unindented.
    block_scalar: bool,
}

static HEREDOC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?"#).expect("valid regex")
});

impl Growth<'_> {
    /// Track heredocs opened and closed by a line of the region (terminators may be glued to the line's end).
    fn take(&mut self, line: &str) {
        let kind = classify(line);
        if self.lang == "yaml" && opens_block_scalar(line) {
            self.block_scalar = true;
        }
        if let Some(prompt) = shell::prompt_len(line) {
            self.commands.push(
                line[prompt..]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        self.after_output = self.lang == "console"
            && self.heredoc.is_none()
            && !matches!(kind, LineKind::Prompt | LineKind::Comment | LineKind::Blank)
            && !line.trim_end().ends_with('\\');
        match &self.heredoc {
            Some(end) if line.trim_end().ends_with(end.as_str()) => self.heredoc = None,
            Some(_) => {}
            None => {
                if let Some(caps) = HEREDOC.captures(line) {
                    let word = caps[1].to_string();
                    // A heredoc opened and closed on one glued line stays closed.
                    let after = &line[caps.get(0).map_or(0, |m| m.end())..];
                    if !after.trim_end().ends_with(&word) {
                        self.heredoc = Some(word);
                    }
                }
            }
        }
    }
}

/// Share of Chinese ideographs (punctuation not counted) among a line's non-space characters.
fn ideograph_ratio(line: &str) -> f32 {
    let (mut ideographs, mut all) = (0usize, 0usize);
    for c in line.chars().filter(|c| !c.is_whitespace()) {
        all += 1;
        if matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}') {
            ideographs += 1;
        }
    }
    if all == 0 {
        0.0
    } else {
        ideographs as f32 / all as f32
    }
}

/// A line of Chinese prose: mostly ideographs, or Chinese text ending like a sentence. Program
/// output in Chinese (`总共 0(差异 0)`) has numbers and ASCII punctuation and is not one.
fn is_sentence(line: &str) -> bool {
    let t = without_comment(line.trim());
    let ratio = ideograph_ratio(t);
    // Chinese program output carries numbers or paths; prose mostly does not.
    let has_data = t.chars().any(|c| c.is_ascii_digit() || c == '/');
    ratio >= 0.7
        || ratio >= 0.45 && !has_data
        || ratio >= 0.3 && t.ends_with(['。', '！', '？', '；', '：', ':', '.'])
}

/// A YAML line that opens a block scalar (`command: |`, `- |`), possibly with its script glued on.
fn opens_block_scalar(line: &str) -> bool {
    let t = line.trim_end();
    [": |", "- |", ": >", "- >"].iter().any(|m| t.contains(m))
        || t.ends_with(":|")
        || t.ends_with("-|")
}

/// A prompt-less command after a session's output that is not part of it: the session's own
/// command pasted again without its prompt, or a lone command word closing the block.
fn pasted_apart(lines: &[&str], kinds: &[LineKind], i: usize, growth: &Growth<'_>) -> bool {
    let command = lines[i].split_whitespace().collect::<Vec<_>>().join(" ");
    let repeated = growth.commands.contains(&command);
    // A word under an output line that ends in a colon is that line's value (`Command:` then
    // `perl`, as `kubectl describe` prints it).
    let under_a_label = i > 0 && lines[i - 1].trim_end().ends_with(':');
    let closes_block = matches!(
        kinds.get(i + 1),
        None | Some(LineKind::Blank | LineKind::Prose)
    ) && lines[i].split_whitespace().count() == 1
        && is_lone_words(lines[i])
        && !under_a_label;
    repeated || closes_block
}

/// Editors whose command line is followed by the file being edited, not by output.
const EDITORS: &[&str] = &["vim", "vi", "nano", "emacs", "gedit", "nvim"];

/// A session line that opens a file in an editor (`[root@m ~]# vim web.yaml`): what follows is the file.
fn opens_an_editor(line: &str) -> bool {
    let Some(prompt) = shell::prompt_len(line) else {
        return false;
    };
    let mut words = line[prompt..].split_whitespace();
    words.next().is_some_and(|w| EDITORS.contains(&w)) && words.next().is_some()
}

/// A single bare word right above a comment or a prompt (`exec` then `# 进入容器` then
/// `[root@m ~]# kubectl exec …`): a heading naming the code below, not a command. A Latin word
/// right under a command at a prompt is that command's output (`# cat level` then `very`).
fn names_the_code_below(kinds: &[LineKind], lines: &[&str], i: usize) -> bool {
    let single_word = lines[i].split_whitespace().count() == 1 && is_lone_words(lines[i]);
    let after_command = i > 0
        && kinds[i - 1] == LineKind::Prompt
        && shell::prompt_len(lines[i - 1]).is_some_and(|n| !lines[i - 1][n..].trim().is_empty());
    let output = after_command && lines[i].is_ascii();
    single_word && !output && matches!(kinds.get(i + 1), Some(LineKind::Comment | LineKind::Prompt))
}

/// A line made of one or two plain words: a title or a heading more often than code.
fn is_lone_words(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= 2
        && words.iter().all(|w| {
            w.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

/// Whether line `i` continues a growing region.
fn continues(kinds: &[LineKind], lines: &[&str], i: usize, growth: &Growth<'_>) -> bool {
    let (kind, line) = (&kinds[i], lines[i]);
    if *kind == LineKind::Blank {
        return false;
    }
    if growth.heredoc.is_some() || i > 0 && lines[i - 1].trim_end().ends_with('\\') {
        return true;
    }
    if names_the_code_below(kinds, lines, i) || opens_an_editor(lines[i - 1]) {
        return false;
    }
    // An editor's marks for the lines past the end of its file (vi's `~`) end the file's text.
    let t = line.trim();
    if !growth.block_scalar && !t.is_empty() && t.chars().all(|c| c == '~') {
        return false;
    }
    let low_cjk = cjk_ratio(line) < 0.3;
    let indented = line.starts_with(char::is_whitespace);
    let lang = growth.lang;
    // A program's output can draw with symbols (`##  ## ==`, `/"""\___/ ===`): no heading, fence
    // or rule of the note, but part of the session.
    if lang == "console" && is_drawing(t) {
        return true;
    }
    match kind {
        LineKind::Blank | LineKind::Label(_) | LineKind::Gutter { .. } => false,
        // A prompt after a manifest starts a session of its own.
        LineKind::Prompt => lang != "yaml",
        // Comments introduce what follows them: a session after a manifest takes its comments along.
        // In a session, a comment after a command's output opens the next part of the session.
        LineKind::Comment => {
            let next_code = kinds[i..].iter().find(|k| **k != LineKind::Comment);
            let opens_next_part = lang == "yaml" || (lang == "console" && growth.after_output);
            !(opens_next_part && next_code == Some(&LineKind::Prompt))
        }
        LineKind::Code(_) => true,
        // A command after a manifest starts a script of its own, unless it sits in a block scalar.
        // In a session, a command without a prompt after program output starts a script of its own
        // (`kubeadm token create` after its own output, pasted again without the prompt).
        LineKind::Command => {
            (lang != "yaml" || indented || growth.block_scalar)
                && !(lang == "console"
                    && growth.after_output
                    && pasted_apart(lines, kinds, i, growth))
        }
        // A manifest after commands is a file of its own, unless it is a command's output.
        LineKind::Yaml => lang != "bash",
        LineKind::Markdown => {
            // A YAML or shell list item, or program output, can look like a Markdown list item.
            let t = line.trim_start();
            low_cjk && !is_table_row(t) && !t.starts_with(['>', '#'])
        }
        LineKind::Prose => match lang {
            "bash" => {
                low_cjk
                    && (indented
                        || line.contains([
                            '=', '|', ';', '$', '&', '{', '}', '(', ')', '"', '\'', '`',
                        ]))
                    || matches!(line.trim(), "done" | "fi" | "esac" | "then" | "do" | "else")
            }
            // Chinese words at the margin with no key, item or comment, outside a block scalar,
            // are the text after a manifest (`Pod 挂载 PVC`, `(3) 云存储(AWS/Azure/GCP 等)`).
            "yaml"
                if !indented
                    && !growth.block_scalar
                    && !line.contains([':', '#'])
                    && !line.starts_with('-')
                    && line.chars().any(is_cjk) =>
            {
                false
            }
            "yaml" => indented && cjk_ratio(line) < 0.5 || low_cjk && !is_lone_words(line),
            _ => {
                let last = i + 1 == lines.len() || kinds[i + 1] == LineKind::Blank;
                let after_command = matches!(kinds[i - 1], LineKind::Prompt | LineKind::Command);
                // A line right above a table is its caption.
                let captions_a_table = lines
                    .get(i + 1)
                    .is_some_and(|n| is_table_row(n.trim_start()));
                let closing_word = is_lone_words(line) && last && !after_command;
                !(is_sentence(line) || captions_a_table || closing_word)
            }
        },
    }
}

/// Whether a line is drawn with symbols: at least three of them, at most one in four of its
/// characters a letter or digit. Not a Markdown rule (`---`, `***`) nor a table row.
fn is_drawing(t: &str) -> bool {
    let visible: Vec<char> = t.chars().filter(|c| !c.is_whitespace()).collect();
    let word_chars = visible.iter().filter(|c| c.is_alphanumeric()).count();
    let rule = visible.first().is_some_and(|&first| {
        matches!(first, '-' | '=' | '*' | '_') && visible.iter().all(|&c| c == first)
    });
    visible.len() >= 3 && word_chars * 4 <= visible.len() && !rule && !is_table_row(t)
}

/// Find code regions among free lines.
fn find_regions(lines: &[&str], kinds: &[LineKind], context: &NoteContext) -> Vec<Region> {
    let mut regions = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(region) = region_at(lines, kinds, i, context) {
            i = region.end;
            regions.push(region);
        } else {
            i += 1;
        }
    }
    regions
}

/// The region that starts at line `i`, if code starts there (possibly after a label line or leading comments).
fn region_at(
    lines: &[&str],
    kinds: &[LineKind],
    i: usize,
    context: &NoteContext,
) -> Option<Region> {
    let (label, first) = match kinds[i] {
        LineKind::Label(lang) => {
            let next = (i + 1..lines.len()).find(|&j| kinds[j] != LineKind::Blank)?;
            if next > i + 2 {
                return None;
            }
            (Some((i, lang)), next)
        }
        _ => (None, i),
    };
    if let LineKind::Gutter { number } = kinds[first] {
        if number > 1 && label.is_none() {
            return None;
        }
        let mut end = first + 1;
        let mut expected = number + 1;
        while end < lines.len() && kinds[end] == (LineKind::Gutter { number: expected }) {
            end += 1;
            expected += 1;
        }
        let codes: Vec<&str> = lines[first..end]
            .iter()
            .filter_map(|l| gutter(l).map(|(_, r)| r))
            .collect();
        let lang = label
            .map(|(_, l)| l)
            .or_else(|| detect_language(&codes))
            .or_else(|| remnant_language(&codes, &lines[..first], context))
            .unwrap_or("text");
        return Some(Region {
            start: first,
            end,
            lang,
            truncated: true,
            label: label.map(|(l, _)| l),
        });
    }
    if names_the_code_below(kinds, lines, first) {
        return None;
    }
    // Leading comment lines belong to the code right below them.
    let mut code_start = first;
    while code_start < lines.len() && kinds[code_start] == LineKind::Comment {
        code_start += 1;
    }
    let code_follows = code_start < lines.len()
        && !matches!(
            kinds[code_start],
            LineKind::Prose | LineKind::Blank | LineKind::Markdown
        );
    if let Some((label_line, lang)) = label
        && code_start > first
        && !code_follows
    {
        // Comments alone are code only under a label line (`sh` then `# ...` lines).
        return Some(Region {
            start: first,
            end: code_start,
            lang,
            truncated: false,
            label: Some(label_line),
        });
    }
    if code_start >= lines.len() || code_start > first + 3 {
        return None;
    }
    let strong = starts_code(&kinds[code_start], lines[code_start]);
    let yaml_run =
        kinds[code_start] == LineKind::Yaml && yaml_run_length(lines, kinds, code_start) >= 2;
    if !(strong || yaml_run || label.is_some() && kinds[code_start] != LineKind::Prose) {
        return None;
    }
    let hint = label.map(|(_, l)| l);
    let mut lang = match (hint, &kinds[code_start]) {
        // A `shell` label names the shell, not whether prompts show: a session stays a session.
        (Some("bash") | None, LineKind::Prompt) => "console",
        (Some(h), _) => h,
        (None, kind) => initial_language(kind, lines[code_start]),
    };
    let mut end = code_start + 1;
    let mut growth = Growth {
        lang,
        heredoc: None,
        after_output: false,
        commands: Vec::new(),
        block_scalar: false,
    };
    for line in &lines[first..end] {
        growth.take(line);
    }
    loop {
        while end < lines.len() && continues(kinds, lines, end, &growth) {
            if kinds[end] == LineKind::Prompt && hint.is_none_or(|h| h == "bash") {
                growth.lang = "console";
            }
            growth.take(lines[end]);
            end += 1;
        }
        lang = growth.lang;
        // A blank line inside code: continue when code of the same kind follows it.
        let next = (end..lines.len()).find(|&j| kinds[j] != LineKind::Blank);
        match next {
            Some(j) if j > end && j - end <= 2 && resumes(&kinds[j], lines[j], lang) => end = j + 1,
            _ => break,
        }
    }
    let body: Vec<&str> = lines[first..end].to_vec();
    match (hint, detect_language(&body)) {
        (None, Some(detected)) => lang = detected,
        (Some("bash"), Some("console")) => lang = "console",
        _ => {}
    }
    if label.is_none() && end - first == 1 && is_lone_words(lines[first]) {
        // A lone command name on its own line is a heading about it, not code.
        return None;
    }
    if lang == "yaml" && label.is_none() {
        let line = lines[code_start];
        let single = end - code_start == 1
            && !is_flattened_yaml(line)
            && !is_commented_manifest(line.trim())
            && !YAML_GLUED_KEY.is_match(line)
            && !YAML_GLUED_INSIDE.is_match(line);
        if single || is_definition_list(&lines[code_start..end]) {
            return None;
        }
    }
    Some(Region {
        start: first,
        end,
        lang,
        truncated: false,
        label: label.map(|(l, _)| l),
    })
}

/// `Term: 中文说明` lines: a glossary written as `key: value`, whose values are sentences, not data.
/// Comment lines (`# 说明: …`) are no terms.
fn is_definition_list(lines: &[&str]) -> bool {
    let values: Vec<&str> = lines
        .iter()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            let (_, value) = t.split_once(':')?;
            let value = without_comment(value).trim();
            (!value.is_empty()).then_some(value)
        })
        .collect();
    let sentences = values.iter().filter(|v| cjk_ratio(v) > 0.3).count();
    !values.is_empty() && sentences * 2 >= values.len()
}

/// Whether code of language `lang` resumes at a line after a blank line.
fn resumes(kind: &LineKind, line: &str, lang: &str) -> bool {
    match (kind, lang) {
        (LineKind::Prompt, "console") => true,
        (LineKind::Yaml, "yaml") => true,
        (LineKind::Command, "bash") | (LineKind::Comment, "bash") => true,
        (LineKind::Comment, "yaml") => true,
        (LineKind::Code(l), _) => *l == lang,
        (LineKind::Prose, "yaml") => line.starts_with("  ") && cjk_ratio(line) < 0.3,
        _ => false,
    }
}

fn initial_language(kind: &LineKind, _line: &str) -> &'static str {
    match kind {
        LineKind::Prompt => "console",
        LineKind::Yaml => "yaml",
        LineKind::Command => "bash",
        LineKind::Code(lang) => lang,
        _ => "text",
    }
}

/// How many YAML-looking lines follow one another from `i` (blank lines and comments allowed between).
fn yaml_run_length(lines: &[&str], kinds: &[LineKind], i: usize) -> usize {
    let mut count = 0;
    for (kind, line) in kinds[i..].iter().zip(&lines[i..]) {
        match kind {
            LineKind::Yaml => count += 1,
            LineKind::Comment | LineKind::Blank => {}
            LineKind::Markdown if line.trim_start().starts_with("- ") && cjk_ratio(line) < 0.3 => {
                count += 1
            }
            _ => break,
        }
        if count >= 2 {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    #[test]
    fn cjk_ratio_counts_every_character_but_white_space() {
        let reference = |line: &str| {
            let chars: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
            let cjk = chars.iter().filter(|&&c| is_cjk(c)).count();
            if chars.is_empty() {
                0.0
            } else {
                cjk as f32 / chars.len() as f32
            }
        };
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let line = format!("中{c}a");
            assert_eq!(cjk_ratio(&line), reference(&line), "{:?}", c);
        }
    }

    use super::*;

    #[test]
    fn texts_that_differ_only_in_fence_info_are_told_apart_from_others() {
        let a = "x\n```\ncode\n```\n  ~~~~ plain\ny";
        assert!(differ_only_in_fence_info(a, a));
        assert!(differ_only_in_fence_info(
            a,
            "x\n```bash\ncode\n```\n  ~~~~ text\ny"
        ));
        // Another fence, another indent, another line or one more line is a real change.
        assert!(!differ_only_in_fence_info(
            a,
            "x\n````bash\ncode\n```\n  ~~~~ plain\ny"
        ));
        assert!(!differ_only_in_fence_info(
            a,
            "x\n```\ncode\n```\n ~~~~ plain\ny"
        ));
        assert!(!differ_only_in_fence_info(
            a,
            "x\n```\ncode!\n```\n  ~~~~ plain\ny"
        ));
        assert!(!differ_only_in_fence_info(a, &format!("{a}\n")));
    }

    fn fenced(text: &str) -> String {
        fence_code(text).0
    }

    #[test]
    fn gutter_remnant_becomes_a_truncated_block() {
        let out = fenced("资源清单如下\n1 | apiVersion: v1\n注意缩进。");
        assert_eq!(
            out,
            "资源清单如下\n```yaml truncated\napiVersion: v1\n```\n注意缩进。"
        );
    }

    #[test]
    fn gutter_lines_with_a_closing_pipe_lose_it() {
        let out = fenced("a\n1 | apiVersion: v1 |\n\nb\n1 | kubectl get pods |\n");
        assert!(
            out.contains("```yaml truncated\napiVersion: v1\n```"),
            "{out}"
        );
        assert!(
            out.contains("```bash truncated\nkubectl get pods\n```"),
            "{out}"
        );
    }

    #[test]
    fn a_block_scalar_indicator_is_not_a_gutter_pipe() {
        let out = fenced("1 | command: |\n");
        assert!(out.contains("command: |\n```"), "{out}");
    }

    #[test]
    fn label_line_gives_the_language() {
        let out = fenced(
            "创建 PV\n\nyml\napiVersion: v1 kind: PersistentVolume metadata: name: nfs-pv\n",
        );
        // The flattened manifest is re-nested by the YAML repair.
        assert_eq!(
            out,
            "创建 PV\n\n```yaml\napiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: nfs-pv\n```\n"
        );
    }

    #[test]
    fn yaml_lines_are_fenced_and_prose_stays() {
        let out = fenced(
            "资源清单文件如下\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n这样就完成了。",
        );
        assert_eq!(
            out,
            "资源清单文件如下\n```yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n```\n这样就完成了。"
        );
    }

    #[test]
    fn a_key_with_a_chinese_comment_glued_on_stays_in_its_manifest() {
        let out = fenced(
            "说明如下\n\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:name: data\nspec:# 只读挂载\naccessModes:- ReadOnlyMany\n",
        );
        assert_eq!(out.matches("```yaml").count(), 1, "{out}");
        assert!(out.starts_with("说明如下\n\n```yaml\n"), "{out}");
        assert!(
            out.contains("spec: # 只读挂载\n  accessModes:\n  - ReadOnlyMany\n```"),
            "{out}"
        );
    }

    #[test]
    fn a_comment_running_into_a_command_opens_a_script() {
        let out = fenced(
            "下面列出文件。\n\n# List the bucket filesgsutil ls -l gs://my-bucket/data/\n# check the sizes too\n\n这样就可以了。\n\n# 标题\n\n正文。",
        );
        assert_eq!(
            out,
            "下面列出文件。\n\n```bash\n# List the bucket files\ngsutil ls -l gs://my-bucket/data/\n# check the sizes too\n```\n\n这样就可以了。\n\n# 标题\n\n正文。"
        );
    }

    #[test]
    fn a_session_at_bare_hash_prompts_keeps_its_one_word_output() {
        let out = fenced(
            "查看内容\n\n# ls  /etc/config/keys/\nlevel\n# cat  /etc/config/keys/level\nvery\n# cat  /etc/config/keys/type\ncharm\n\n结束",
        );
        assert_eq!(
            out,
            "查看内容\n\n```console\n# ls  /etc/config/keys/\nlevel\n# cat  /etc/config/keys/level\nvery\n# cat  /etc/config/keys/type\ncharm\n```\n\n结束"
        );
    }

    #[test]
    fn chinese_words_at_the_margin_end_a_manifest() {
        let out = fenced(
            "创建 PVC:\napiVersion: v1 kind: PersistentVolumeClaim metadata:name: data\n\
             Pod 挂载 PVC\napiVersion: v1 kind: Pod metadata:name: web\n(3) 云存储(AWS 等)\n",
        );
        assert_eq!(
            out,
            "创建 PVC:\n```yaml\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n```\n\
             Pod 挂载 PVC\n```yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n```\n(3) 云存储(AWS 等)\n"
        );
    }

    #[test]
    fn an_editors_tilde_lines_end_the_file_shown() {
        let out = fenced(
            "静态pod\n---\nkind: Pod\nmetadata:name: web\nstatus: {}\n~\n~\n\n\
             # 修改清单后 pod 会自动更新\nmetadata:name: myweb# 删除清单才能删除静态pod\n\n多容器pod\n",
        );
        assert_eq!(
            out,
            "静态pod\n```yaml\n---\nkind: Pod\nmetadata:\n  name: web\nstatus: {}\n```\n~\n~\n\n\
             ```yaml\n# 修改清单后 pod 会自动更新\nmetadata:\n  name: myweb # 删除清单才能删除静态pod\n```\n\n多容器pod\n"
        );
    }

    #[test]
    fn a_dash_left_after_a_flattened_manifest_is_dropped() {
        let out = fenced(
            "创建 PVC:\napiVersion: v1 kind: PersistentVolumeClaim metadata:name: data spec:resources:requests:storage: 100Gi - \n下一步\n",
        );
        assert!(out.contains("      storage: 100Gi\n```"), "{out}");
        // A list item still open at the end keeps its dash.
        let out = fenced("apiVersion: v1 kind: Pod metadata:name: web spec:containers: -\n");
        assert!(out.ends_with("  containers:\n  -\n```\n"), "{out}");
        // Only a one-word value loses the dash after it, not a command that reads its input.
        assert!(ENDS_WITH_KEY_VALUE.is_match("    requests:storage: 100Gi"));
        assert!(!ENDS_WITH_KEY_VALUE.is_match("    - kubectl apply -f"));
        assert!(!ENDS_WITH_KEY_VALUE.is_match("  command: tar -xf"));
    }

    #[test]
    fn a_fence_inside_a_list_item_is_left_as_it_is() {
        let text = "1. 编写配置文件：\n\n    ```yaml\n    source-id: \"mysql-01\"\n\n    from:\n      host: \"127.0.0.1\"\n      port: 3306\n    ```\n\n2. 创建数据源\n";
        assert_eq!(fenced(text), text);
        // Four spaces in with no closing fence at that indent: no fence, and the note's code
        // after it is still found.
        let out =
            fenced("说明\n\n    ```\n\n清单：\napiVersion: v1 kind: Pod metadata:name: web\n");
        assert!(
            out.ends_with("```yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n```\n"),
            "{out}"
        );
    }

    #[test]
    fn a_name_and_a_chinese_word_title_rather_than_run() {
        assert_ne!(classify("service 管理"), LineKind::Command);
        assert_ne!(classify("docker 安装"), LineKind::Command);
        assert_eq!(classify("kubectl logs pods名称"), LineKind::Command);
        assert_eq!(classify("service nginx restart"), LineKind::Command);
    }

    #[test]
    fn output_drawn_with_symbols_stays_in_its_session() {
        let out = fenced(
            "运行容器\n[admin@web ~]$ docker run --rm banner\n##   ## ##\n## ## ## ==\n/\"\"\"\"\\___/ ===\n{      /  ===-\n\\____ o  __/\nHello![admin@web ~]$ docker ps\n\n## 下一步\n\n---\n",
        );
        assert_eq!(
            out,
            "运行容器\n```console\n[admin@web ~]$ docker run --rm banner\n##   ## ##\n## ## ## ==\n/\"\"\"\"\\___/ ===\n{      /  ===-\n\\____ o  __/\nHello!\n[admin@web ~]$ docker ps\n```\n\n## 下一步\n\n---\n"
        );
        assert!(is_drawing("## ## ## =="));
        assert!(!is_drawing("## Install") && !is_drawing("---") && !is_drawing("|---|---|"));
    }

    #[test]
    fn a_word_under_a_label_of_the_output_is_its_value() {
        let text = "查看详情\n[root@m ~]# kubectl describe pod web\nName:    web\nCommand:\nsleep\n-v\nEvents:  <none>\n";
        let out = fenced(text);
        assert_eq!(out.matches("```").count(), 2, "{out}");
        assert!(out.contains("Command:\nsleep\n-v\n"), "{out}");
    }

    #[test]
    fn a_comment_after_output_opens_the_next_part_of_a_session() {
        let out = fenced(
            "步骤\n\n[root@master ~]# kubectl get pods\nNAME   READY\nweb1   1/1\n# 拓展提高\n[root@master ~]# kubectl create\n",
        );
        assert_eq!(
            out,
            "步骤\n\n```console\n[root@master ~]# kubectl get pods\nNAME   READY\nweb1   1/1\n```\n\
             ```console\n# 拓展提高\n[root@master ~]# kubectl create\n```\n"
        );
        // Before any output, a comment stays in the session.
        let out = fenced("[root@master ~]# ls\n# 查看\n[root@master ~]# pwd\n");
        assert_eq!(out.matches("```console").count(), 1, "{out}");
    }

    #[test]
    fn a_lone_key_value_sentence_is_prose() {
        let out = fenced("Note: this is a sentence.\n");
        assert_eq!(out, "Note: this is a sentence.\n");
    }

    #[test]
    fn vague_fences_get_a_language() {
        let out = fenced("```plain\nkubectl get pods\n```\n```\napiVersion: v1\nkind: Pod\n```\n");
        assert!(out.starts_with("```bash\n"), "{out}");
        assert!(out.contains("```yaml\napiVersion"), "{out}");
    }

    #[test]
    fn fenced_content_is_left_alone() {
        let text = "```yaml\n1 | apiVersion: v1\n```\n";
        assert_eq!(fenced(text), text);
    }

    #[test]
    fn a_fenced_manifest_that_lost_its_newlines_is_rebuilt_in_place() {
        let text = "```yaml\nservices:web-app:build: webports:- 80:80\ndb:image: postgres\n```\n";
        assert_eq!(
            fenced(text),
            "```yaml\nservices:\n  web-app:\n    build: web\n    ports:\n    - 80:80\n  db:\n    image: postgres\n```\n"
        );
        // Well-formed YAML inside a fence is never touched, nor is an indented fence.
        let intact = "```yaml\nservices:\n  db:\n    image: postgres\n```\n";
        assert_eq!(fenced(intact), intact);
        let nested = "- item\n\n  ```yaml\n  services:db:image: postgres\n  ```\n";
        assert_eq!(fenced(nested), nested);
    }

    #[test]
    fn glued_keys_with_dashes_start_yaml() {
        assert!(YAML_GLUED_KEY.is_match("services:nginx-proxy:build: nginx"));
        assert!(YAML_GLUED_KEY.is_match("flask-app:build: flask"));
        // A key glued to the list item under it.
        assert!(YAML_GLUED_KEY.is_match("    volumeMounts:- name: conf"));
        assert!(!YAML_GLUED_KEY.is_match("选项:- 说明: 文字"));
        assert!(!YAML_GLUED_KEY.is_match("see https://example.com: here"));
    }

    #[test]
    fn unclosed_fence_is_closed() {
        let (out, fixes) = fence_code("```bash\nls\n");
        assert_eq!(out, "```bash\nls\n\n```");
        assert!(fixes.iter().any(|f| f.rule == "unclosed-fence"));
    }

    #[test]
    fn comments_are_cut_even_when_glued() {
        assert_eq!(
            without_comment("kubectl logs pods名称  {参数/选项}# 例如查看"),
            "kubectl logs pods名称  {参数/选项}"
        );
        assert_eq!(without_comment("echo \"a # b\" # c"), "echo \"a # b\"");
        assert_eq!(without_comment("echo ${#arr[@]} $#"), "echo ${#arr[@]} $#");
    }

    #[test]
    fn prose_with_colons_is_not_code() {
        let text = "官网地址: https://kubernetes.io/zh-cn/docs/\n\n- 服务发现和负载均衡\n- 自动部署和回滚\n";
        assert_eq!(fenced(text), text);
    }

    #[test]
    fn a_comment_with_a_colon_does_not_make_a_manifest_a_definition_list() {
        // The comment's Chinese "value" once made the two lines read as a glossary, left unfenced;
        // fenced again without the comment, the manifest line was fenced: fencing was not idempotent.
        let text = "apiVersion: v1\n##:一\ncat <<EOF > a.yaml";
        let once = fenced(text);
        assert!(once.starts_with("```yaml\napiVersion: v1\n"), "{once}");
        assert_eq!(fenced(&once), once);
        // Definitions in Chinese stay prose, comment or not.
        let glossary = "Pod: 最小的部署单元\n# 说明\nService: 访问一组 Pod 的方式\n";
        assert_eq!(fenced(glossary), glossary);
    }
}
