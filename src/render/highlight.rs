//! Code highlighting: the only module that uses syntect.
//!
//! Code blocks are tokenised with the grammars of `two_face` (syntect's own set plus
//! Dockerfile, INI, TOML, nginx and many more) and rendered as HTML with CSS classes
//! (`hl-` prefixed scope atoms), never inline styles, so one stylesheet can carry both a
//! light and a dark colour scheme.
//!
//! Console sessions have no grammar of their own: prompts, commands and program output
//! are told apart line by line here, and commands are highlighted as bash.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::OnceLock;

use syntect::highlighting::{
    FontStyle, Highlighter as ThemeResolver, StyleModifier, Theme, ThemeItem,
};
use syntect::html::{ClassStyle, css_for_theme_with_class_style};
use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, ScopeStackOp, SyntaxReference, SyntaxSet,
};
use two_face::theme::EmbeddedThemeName;

/// Prefix of every class this module emits.
pub const CLASS_PREFIX: &str = "hl-";
/// Class the caller puts on the `<pre>` around highlighted code; every CSS rule is scoped under it.
pub const PRE_CLASS: &str = "hl";
/// Light colour scheme (the default).
pub const LIGHT_THEME: EmbeddedThemeName = EmbeddedThemeName::ColdarkCold;
/// Dark colour scheme.
pub const DARK_THEME: EmbeddedThemeName = EmbeddedThemeName::ColdarkDark;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed {
    prefix: CLASS_PREFIX,
};

/// Lines longer than this are emitted as plain text: grammars tokenise them slowly (about
/// 1 MB/s) and such lines are data (base64, minified JSON), not code to read.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// Selector prefixes of the dark scheme: the system preference (unless the page was switched
/// to light), and an explicit switch to dark.
const DARK_BY_PREFERENCE: &str = ":root:not([data-theme=\"light\"]) .hl";
const DARK_BY_SWITCH: &str = ":root[data-theme=\"dark\"] .hl";

/// Tokenises and renders code blocks. Holds the syntax set, which is costly to build:
/// build it once ([`Highlighter::global`]) and share it; it is `Sync`.
pub struct Highlighter {
    syntaxes: SyntaxSet,
    /// Atoms of every compound selector (`string.quoted` -> [string, quoted]) in either theme:
    /// a span keeps only the classes some selector can use, and spans with none are left out.
    compounds: Vec<Vec<String>>,
}

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl Highlighter {
    /// Loads the extended syntax set.
    pub fn new() -> Self {
        let themes = two_face::theme::extra();
        Highlighter {
            syntaxes: two_face::syntax::extra_newlines(),
            compounds: compound_selectors(&[themes.get(LIGHT_THEME), themes.get(DARK_THEME)]),
        }
    }

    /// Drops the tokenised lines kept so far by the threads of the current pool (see
    /// [`LineMemo`]), freeing their memory.
    pub fn forget_lines() {
        rayon::broadcast(|_| LINE_MEMO.with_borrow_mut(|memo| *memo = LineMemo::default()));
    }

    /// Shared, lazily built instance (std::sync::OnceLock); building the syntax set is expensive.
    pub fn global() -> &'static Highlighter {
        static GLOBAL: OnceLock<Highlighter> = OnceLock::new();
        GLOBAL.get_or_init(Highlighter::new)
    }

    /// Canonical language name for a fence info-string's first word: `shell`, `sh`, `zsh`,
    /// `bash` -> "bash"; `console`, `shell-session`, `terminal` -> "console"; `yml` -> "yaml";
    /// `text`, `plain`, `plaintext`, `txt`, "" -> "text"; `dockerfile`/`docker` -> "dockerfile";
    /// `golang` -> "go"; `ini`, `properties`, `conf`, `cfg` -> "ini"; `py` -> "python";
    /// `patch` -> "diff"; `js` -> "javascript"; and so on.
    ///
    /// Case-insensitive; tolerates `{.yaml}`, `language-yaml` and trailing attributes such as
    /// `yaml,ignore` or `yaml{1,3}`. Unknown languages are returned lower-cased as they are.
    pub fn canonical_lang(info_first_word: &str) -> String {
        let word = lang_word(info_first_word).to_lowercase();
        let canonical = match word.as_str() {
            "" | "text" | "plain" | "plaintext" | "plain-text" | "txt" | "none" | "nohighlight"
            | "no-highlight" => "text",
            "bash" | "sh" | "shell" | "zsh" | "ksh" | "ash" | "dash" | "shellscript"
            | "shell-script" => "bash",
            "console" | "shell-session" | "shellsession" | "sh-session" | "bash-session"
            | "terminal" => "console",
            "yaml" | "yml" => "yaml",
            "json" | "jsonc" | "json5" | "jsonl" | "geojson" => "json",
            "dockerfile" | "docker" | "containerfile" => "dockerfile",
            "go" | "golang" => "go",
            "ini" | "properties" | "conf" | "cfg" | "cnf" | "systemd" | "desktop" => "ini",
            "toml" => "toml",
            "nginx" | "nginxconf" | "nginx.conf" => "nginx",
            "sql" | "mysql" | "mariadb" | "pgsql" | "postgres" | "postgresql" | "sqlite"
            | "plsql" => "sql",
            "python" | "py" | "python3" | "py3" => "python",
            "diff" | "patch" | "udiff" => "diff",
            "javascript" | "js" | "node" | "nodejs" | "mjs" | "cjs" | "jsx" => "javascript",
            "typescript" | "ts" | "tsx" => "typescript",
            "rust" | "rs" => "rust",
            "c" | "h" => "c",
            "cpp" | "c++" | "cc" | "cxx" | "hpp" => "cpp",
            "csharp" | "c#" | "cs" => "csharp",
            "java" => "java",
            "kotlin" | "kt" | "kts" => "kotlin",
            "groovy" | "gradle" | "jenkinsfile" => "groovy",
            "ruby" | "rb" => "ruby",
            "perl" | "pl" => "perl",
            "php" => "php",
            "lua" => "lua",
            "html" | "htm" | "xhtml" => "html",
            "xml" | "xsd" | "xsl" | "xslt" | "svg" | "pom" => "xml",
            "css" => "css",
            "scss" => "scss",
            "markdown" | "md" => "markdown",
            "makefile" | "make" | "mk" | "mak" => "makefile",
            "cmake" => "cmake",
            "powershell" | "ps1" | "pwsh" | "posh" => "powershell",
            "batch" | "bat" | "cmd" => "batch",
            "terraform" | "tf" | "hcl" => "terraform",
            "protobuf" | "proto" => "protobuf",
            "dotenv" | "env" => "dotenv",
            "crontab" | "cron" => "crontab",
            "jinja" | "jinja2" | "j2" => "jinja",
            "graphql" | "gql" => "graphql",
            "csv" => "csv",
            "http" => "http",
            "log" => "log",
            "awk" => "awk",
            "fish" => "fish",
            "vim" | "viml" | "vimrc" => "vim",
            "gitconfig" => "gitconfig",
            "gitignore" | "dockerignore" => "gitignore",
            "ssh-config" | "ssh_config" => "ssh-config",
            _ => return word,
        };
        canonical.to_string()
    }

    /// Highlight `code` in language `lang` (any alias). Returns the inner HTML of a `<code>`
    /// element: escaped text wrapped in `<span class="hl-…">` elements. Unknown language, or
    /// "text": plain HTML-escaped text, no spans.
    ///
    /// Never panics. The text content of the result (tags stripped, entities decoded) equals
    /// `code` byte for byte, newlines included.
    pub fn highlight(&self, lang: &str, code: &str) -> String {
        self.highlight_nested(lang, code).0
    }

    /// [`Highlighter::highlight`], with how deep its `<span>` elements nest at most.
    pub fn highlight_nested(&self, lang: &str, code: &str) -> (String, usize) {
        let lang = Self::canonical_lang(lang);
        let rendered = catch_unwind(AssertUnwindSafe(|| {
            if lang == "console" {
                self.syntax_for("bash").map(|bash| self.console(bash, code))
            } else {
                self.syntax_for(&lang)
                    .map(|syntax| self.highlight_with(syntax, code))
            }
        }));
        match rendered {
            Ok(Some(nested)) => nested,
            Ok(None) | Err(_) => (escape(code), 0),
        }
    }

    /// Whether `lang` (any alias) has a real grammar (false for text and unknown languages).
    pub fn knows(&self, lang: &str) -> bool {
        match Self::canonical_lang(lang).as_str() {
            "console" => self.syntax_for("bash").is_some(),
            other => self.syntax_for(other).is_some(),
        }
    }

    /// The stylesheet for highlighted code: the light scheme by default, the dark scheme under
    /// `@media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) .hl … }` and under
    /// `:root[data-theme="dark"] .hl …`. Every selector sits under the `.hl` class of the
    /// `<pre>`. Deterministic.
    pub fn css(&self) -> String {
        let themes = two_face::theme::extra();
        let light = themes.get(LIGHT_THEME);
        let dark = themes.get(DARK_THEME);
        let light_rules = theme_rules(light);
        let mut dark_rules = theme_rules(dark);
        dark_rules.extend(cover_rules(light, dark));

        let mut css = String::new();
        let _ = writeln!(
            css,
            "/* Code highlighting. Light scheme: {}; dark scheme: {}. */\n",
            LIGHT_THEME.as_name(),
            DARK_THEME.as_name()
        );
        css.push_str("/* light */\n");
        write_scheme(&mut css, ".hl", light, &light_rules, "");
        css.push_str("\n/* dark, following the system preference */\n");
        css.push_str("@media (prefers-color-scheme: dark) {\n");
        write_scheme(&mut css, DARK_BY_PREFERENCE, dark, &dark_rules, "  ");
        css.push_str("}\n\n/* dark, chosen on the page */\n");
        write_scheme(&mut css, DARK_BY_SWITCH, dark, &dark_rules, "");
        css
    }

    /// The grammar for a canonical language name, if there is one.
    fn syntax_for(&self, lang: &str) -> Option<&SyntaxReference> {
        if lang == "text" || lang == "console" {
            return None;
        }
        let named = grammar_names(lang)
            .iter()
            .find_map(|name| self.syntaxes.find_syntax_by_name(name));
        named.or_else(|| {
            self.syntaxes
                .find_syntax_by_token(lang)
                .filter(|syntax| syntax.name != "Plain Text")
        })
    }

    fn highlight_with(&self, syntax: &SyntaxReference, code: &str) -> (String, usize) {
        let mut out = String::with_capacity(code.len() * 2 + 64);
        let mut lines = Lines::new(self, syntax);
        let sql = syntax.name == "SQL";
        for line in code.split_inclusive('\n') {
            // The result tables a SQL client prints after a query are output, not SQL; they are
            // shown (and skipped by the grammar) as such when no string or comment is open.
            if sql && lines.open == 0 && is_sql_client_output(line) {
                let (content, newline) = match line.strip_suffix('\n') {
                    Some(content) => (content, "\n"),
                    None => (line, ""),
                };
                out.push_str("<span class=\"hl-output\">");
                escape_into(&mut out, content);
                out.push_str("</span>");
                out.push_str(newline);
                continue;
            }
            lines.push_line(line, &mut out);
        }
        lines.close_spans(&mut out);
        // A line of client output is one span deep.
        (out, lines.deepest.max(usize::from(sql)))
    }

    /// Console session: prompt lines hold a command (highlighted as bash, continued by a
    /// trailing backslash or by here-documents), every other line is program output.
    /// Every line is balanced HTML on its own.
    fn console(&self, bash: &SyntaxReference, code: &str) -> (String, usize) {
        let mut out = String::with_capacity(code.len() * 2 + 64);
        let mut command: Option<Command> = None;
        // Output lines are one span deep; commands one more than their spans.
        let mut deepest = 1;
        for line in code.split_inclusive('\n') {
            let (content, newline) = match line.strip_suffix('\n') {
                Some(content) => (content, "\n"),
                None => (line, ""),
            };
            if let Some(cmd) = command.as_mut() {
                // A continuation line: the command goes on, possibly behind a `> ` prompt.
                let (prompt, rest) = match content.strip_prefix("> ") {
                    Some(rest) => ("> ", rest),
                    None => ("", content),
                };
                if let Some(delimiter) = cmd.heredocs.front() {
                    if rest.trim() == delimiter {
                        cmd.heredocs.pop_front();
                    }
                } else {
                    cmd.heredocs.extend(heredoc_delimiters(rest));
                    cmd.continued = ends_with_backslash(rest);
                }
                push_prompt(&mut out, prompt);
                cmd.push_line(rest, &mut out);
                deepest = deepest.max(1 + cmd.lines.deepest);
                if cmd.heredocs.is_empty() && !cmd.continued {
                    command = None;
                }
            } else if let Some(len) = prompt_len(content) {
                let (prompt, rest) = content.split_at(len);
                let mut cmd = Command {
                    lines: Lines::new(self, bash),
                    heredocs: heredoc_delimiters(rest).into(),
                    continued: ends_with_backslash(rest),
                };
                push_prompt(&mut out, prompt);
                cmd.push_line(rest, &mut out);
                deepest = deepest.max(1 + cmd.lines.deepest);
                if !cmd.heredocs.is_empty() || cmd.continued {
                    command = Some(cmd);
                }
            } else if !content.is_empty() {
                out.push_str("<span class=\"hl-output\">");
                escape_into(&mut out, content);
                out.push_str("</span>");
            }
            out.push_str(newline);
        }
        (out, deepest)
    }
}

impl Highlighter {
    /// The classes of a scope's span: `hl-` and each atom some theme selector needs
    /// (`string.quoted.double.yaml` -> `hl-string hl-quoted` if only those are styled).
    /// `None` when no selector can match the scope: it gets no span at all.
    fn classes_for(&self, scope: Scope) -> Option<String> {
        let name = scope.build_string();
        let atoms: Vec<&str> = name.split('.').collect();
        let mut keep = vec![false; atoms.len()];
        for compound in &self.compounds {
            if compound.iter().all(|atom| atoms.contains(&atom.as_str())) {
                for (kept, atom) in keep.iter_mut().zip(&atoms) {
                    *kept |= compound.iter().any(|wanted| wanted == atom);
                }
            }
        }
        let mut classes = String::new();
        for (i, atom) in atoms.iter().enumerate() {
            if keep[i] && !atoms[..i].contains(atom) {
                if !classes.is_empty() {
                    classes.push(' ');
                }
                classes.push_str(CLASS_PREFIX);
                escape_into(&mut classes, atom);
            }
        }
        (!classes.is_empty()).then_some(classes)
    }
}

/// The compound selectors (one scope of a selector path, as atoms) of some themes,
/// deduplicated and sorted.
fn compound_selectors(themes: &[&Theme]) -> Vec<Vec<String>> {
    let mut compounds = BTreeSet::new();
    for theme in themes {
        for item in &theme.scopes {
            for selector in &item.scope.selectors {
                for scope in selector.extract_scopes() {
                    let atoms: Vec<String> = scope
                        .build_string()
                        .split('.')
                        .map(str::to_string)
                        .collect();
                    if atoms.iter().all(|atom| !atom.is_empty()) {
                        compounds.insert(atoms);
                    }
                }
            }
        }
    }
    compounds.into_iter().collect()
}

/// Names (in order of preference) of the grammars for a canonical language name.
fn grammar_names(lang: &str) -> &'static [&'static str] {
    match lang {
        "bash" => &["Bourne Again Shell (bash)"],
        "yaml" => &["YAML"],
        "json" => &["JSON"],
        "dockerfile" => &["Dockerfile (with bash)", "Dockerfile"],
        "go" => &["Go"],
        "ini" => &["INI"],
        "toml" => &["TOML"],
        "nginx" => &["nginx"],
        "sql" => &["SQL"],
        "python" => &["Python"],
        "diff" => &["Diff"],
        "javascript" => &["JavaScript (Babel)", "JavaScript"],
        "typescript" => &["TypeScript"],
        "rust" => &["Rust"],
        "c" => &["C"],
        "cpp" => &["C++"],
        "csharp" => &["C#"],
        "java" => &["Java"],
        "kotlin" => &["Kotlin"],
        "groovy" => &["Groovy"],
        "ruby" => &["Ruby"],
        "perl" => &["Perl"],
        "php" => &["PHP"],
        "lua" => &["Lua"],
        "html" => &["HTML"],
        "xml" => &["XML"],
        "css" => &["CSS"],
        "scss" => &["SCSS"],
        "markdown" => &["Markdown"],
        "makefile" => &["Makefile"],
        "cmake" => &["CMake"],
        "powershell" => &["PowerShell"],
        "batch" => &["Batch File"],
        "terraform" => &["Terraform"],
        "protobuf" => &["Protocol Buffer"],
        "dotenv" => &["DotENV"],
        "crontab" => &["Crontab"],
        "jinja" => &["Jinja2"],
        "graphql" => &["GraphQL"],
        "csv" => &["Separated Values"],
        "http" => &["HTTP Request and Response"],
        "log" => &["log"],
        "awk" => &["AWK"],
        "fish" => &["Fish"],
        "vim" => &["VimL"],
        "gitconfig" => &["Git Config"],
        "gitignore" => &["Git Ignore"],
        "ssh-config" => &["SSH Config"],
        _ => &[],
    }
}

/// The language word of a fence info string: `{.yaml}`, `language-yaml`, `yaml,ignore`
/// and `yaml{1,3}` all give `yaml`.
fn lang_word(info: &str) -> &str {
    let word = info.trim().trim_start_matches(['{', '.']);
    let word = word.strip_prefix("language-").unwrap_or(word);
    let end = word
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}' | '=' | ':'))
        .unwrap_or(word.len());
    &word[..end]
}

thread_local! {
    /// The classes of the scopes this thread has met, lent to each region it highlights: most
    /// regions are a few lines long, and working out a scope's classes costs more than a line.
    /// Every highlighter styles with the same two themes, so they share these.
    static SCOPE_CLASSES: std::cell::Cell<HashMap<Scope, Option<String>>> =
        std::cell::Cell::new(HashMap::default());
}

impl Drop for Lines<'_> {
    fn drop(&mut self) {
        let classes = std::mem::take(&mut self.classes);
        // A thread that is exiting has nowhere to keep them.
        let _ = SCOPE_CLASSES.try_with(|kept| kept.set(classes));
    }
}

/// Incremental highlighter for one code region: one parser state across its lines.
struct Lines<'a> {
    highlighter: &'a Highlighter,
    parser: ParseState,
    scopes: ScopeStack,
    /// For each scope on `scopes`: whether it has a `<span>`.
    spanned: Vec<bool>,
    /// `<span>`s written and not yet closed.
    open: usize,
    /// The most `<span>`s open at once so far.
    deepest: usize,
    /// Start offsets in the output of spans opened since the last text (dropped if closed empty).
    empty: Vec<usize>,
    /// Classes of each scope met so far (`None`: no rule can match it, no span), kept by the
    /// thread from one region to the next (see [`SCOPE_CLASSES`]).
    classes: HashMap<Scope, Option<String>>,
    /// Set when the grammar failed; the rest of the region is plain text.
    failed: bool,
}

impl<'a> Lines<'a> {
    fn new(highlighter: &'a Highlighter, syntax: &SyntaxReference) -> Self {
        Lines {
            highlighter,
            parser: ParseState::new(syntax),
            scopes: ScopeStack::new(),
            spanned: Vec::new(),
            open: 0,
            deepest: 0,
            empty: Vec::new(),
            classes: SCOPE_CLASSES.with(|classes| classes.take()),
            failed: false,
        }
    }

    /// Appends `line` (with or without its trailing newline) as HTML. Spans may be left open
    /// for the following lines.
    fn push_line(&mut self, line: &str, out: &mut String) {
        self.empty.clear();
        if self.failed || line.len() > MAX_LINE_BYTES {
            escape_into(out, line);
            return;
        }
        let syntaxes = &self.highlighter.syntaxes;
        let parsed = if line.ends_with('\n') {
            parse_line(&mut self.parser, line, syntaxes)
        } else {
            // Grammars expect each line to end with a newline; parse with one, render without.
            parse_line(&mut self.parser, &format!("{line}\n"), syntaxes)
        };
        let (mark, open) = (out.len(), self.open);
        let rendered = parsed.is_ok_and(|ops| self.render(line, &ops, out));
        if !rendered {
            // Undo the partial line; spans of earlier lines stay open.
            out.truncate(mark);
            self.open = open;
            self.failed = true;
            escape_into(out, line);
        }
    }

    /// Writes the text of `line` with a span for each scope that some theme rule can match;
    /// spans closed without text are removed. False if the operations do not fit the scope
    /// stack.
    fn render(&mut self, line: &str, ops: &[(usize, ScopeStackOp)], out: &mut String) -> bool {
        let Lines {
            highlighter,
            scopes,
            spanned,
            open,
            deepest,
            empty,
            classes,
            ..
        } = self;
        let mut at = 0;
        for (index, op) in ops {
            let index = (*index).min(line.len());
            if index > at {
                escape_into(out, &line[at..index]);
                empty.clear();
                at = index;
            }
            let applied = scopes.apply_with_hook(op, |basic, _| match basic {
                BasicScopeStackOp::Push(scope) => {
                    let class = classes
                        .entry(scope)
                        .or_insert_with(|| highlighter.classes_for(scope));
                    if let Some(class) = class {
                        empty.push(out.len());
                        out.push_str("<span class=\"");
                        out.push_str(class);
                        out.push_str("\">");
                        *open += 1;
                        *deepest = (*deepest).max(*open);
                    }
                    spanned.push(class.is_some());
                }
                BasicScopeStackOp::Pop => {
                    if spanned.pop() == Some(true) {
                        match empty.pop() {
                            Some(start) => out.truncate(start),
                            None => out.push_str("</span>"),
                        }
                        *open = open.saturating_sub(1);
                    }
                }
            });
            if applied.is_err() {
                return false;
            }
        }
        escape_into(out, &line[at..]);
        true
    }

    /// Closes every open span.
    fn close_spans(&mut self, out: &mut String) {
        for _ in 0..self.open {
            out.push_str("</span>");
        }
        self.open = 0;
        self.empty.clear();
    }

    /// Opens a span for every scope in effect that has one, so that a line can start balanced.
    fn reopen_spans(&mut self, out: &mut String) {
        self.empty.clear();
        for (scope, spanned) in self.scopes.as_slice().iter().zip(&self.spanned) {
            if let (true, Some(Some(class))) = (spanned, self.classes.get(scope)) {
                out.push_str("<span class=\"");
                out.push_str(class);
                out.push_str("\">");
                self.open += 1;
                self.deepest = self.deepest.max(self.open);
            }
        }
    }
}

/// Tokenised lines by their text: code repeats itself (the same statement, command or key in
/// many blocks), and a grammar gives the same operations and end state for the same line
/// started in the same state, so a line met again in that state is not tokenised again.
/// Each thread keeps its own (parser states cannot be shared), at most [`MEMO_BUDGET`] bytes.
#[derive(Default)]
struct LineMemo {
    /// Entries by the hash of their line.
    entries: rustc_hash::FxHashMap<u64, Vec<MemoEntry>>,
    /// Approximate bytes held.
    bytes: usize,
}

struct MemoEntry {
    line: Box<str>,
    before: ParseState,
    ops: Ops,
    after: ParseState,
}

type Ops = Rc<[(usize, ScopeStackOp)]>;

/// Approximate bytes a thread's [`LineMemo`] keeps at most; past it the memo starts again empty.
const MEMO_BUDGET: usize = 32 << 20;
/// Bytes counted for each parser state kept.
const STATE_BYTES: usize = 160;

thread_local! {
    static LINE_MEMO: RefCell<LineMemo> = RefCell::new(LineMemo::default());
}

/// The operations of `line` (ending in a newline) parsed from `state`, which is moved on to the
/// state after the line; from this thread's [`LineMemo`] when it has met the line in that state.
fn parse_line(
    state: &mut ParseState,
    line: &str,
    syntaxes: &SyntaxSet,
) -> Result<Ops, syntect::parsing::ParsingError> {
    let hash = {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(line)
    };
    let found = LINE_MEMO.with_borrow(|memo| {
        memo.entries
            .get(&hash)?
            .iter()
            .find(|e| &*e.line == line && &e.before == state)
            .map(|e| (Rc::clone(&e.ops), e.after.clone()))
    });
    if let Some((ops, after)) = found {
        *state = after;
        return Ok(ops);
    }
    let before = state.clone();
    let ops: Ops = state.parse_line(line, syntaxes)?.into();
    let entry = MemoEntry {
        line: line.into(),
        before,
        ops: Rc::clone(&ops),
        after: state.clone(),
    };
    let size =
        line.len() + ops.len() * std::mem::size_of::<(usize, ScopeStackOp)>() + 2 * STATE_BYTES;
    LINE_MEMO.with_borrow_mut(|memo| {
        if memo.bytes + size > MEMO_BUDGET {
            *memo = LineMemo::default();
        }
        memo.bytes += size;
        memo.entries.entry(hash).or_default().push(entry);
    });
    Ok(ops)
}

/// A console command being read: its parser state and what still continues it.
struct Command<'a> {
    lines: Lines<'a>,
    /// Here-document delimiters still awaited, in order.
    heredocs: VecDeque<String>,
    /// The last line ended in a backslash.
    continued: bool,
}

impl Command<'_> {
    /// Appends one line of the command (no newline) as a balanced `hl-cmd` span.
    fn push_line(&mut self, line: &str, out: &mut String) {
        if line.is_empty() {
            // Keep the parser in step (a blank line inside a here-document), emit nothing.
            let mut scratch = String::new();
            self.lines.push_line(line, &mut scratch);
            self.lines.open = 0;
            return;
        }
        out.push_str("<span class=\"hl-cmd\">");
        self.lines.reopen_spans(out);
        self.lines.push_line(line, out);
        self.lines.close_spans(out);
        out.push_str("</span>");
    }
}

/// A line a SQL client prints: a result table's border (`+----+`) or row (`| 1 | a |`), or its
/// summary (`3 rows in set (0.00 sec)`, `Empty set`, `Query OK, 1 row affected`).
fn is_sql_client_output(line: &str) -> bool {
    let t = line.trim();
    let border = t.len() >= 2
        && t.starts_with('+')
        && t.ends_with('+')
        && t.bytes().all(|b| matches!(b, b'+' | b'-' | b'='))
        && t.contains('-');
    let row = t.len() >= 2 && t.starts_with('|') && t.ends_with('|');
    let summary = t.starts_with("Empty set")
        || t.starts_with("Query OK,")
        || t.split_once(' ').is_some_and(|(count, rest)| {
            !count.is_empty()
                && count.bytes().all(|b| b.is_ascii_digit())
                && (rest.starts_with("row in set") || rest.starts_with("rows in set"))
        });
    border || row || summary
}

fn push_prompt(out: &mut String, prompt: &str) {
    if !prompt.is_empty() {
        out.push_str("<span class=\"hl-prompt\">");
        escape_into(out, prompt);
        out.push_str("</span>");
    }
}

/// Length of the shell prompt a console line starts with (including one following blank),
/// or `None` for output. Recognised: `$ `, `# `, `[user@host dir]# `, `[user@host dir]$ `,
/// `user@host:dir# `, `user@host:~$ `, `/ # ` and `~ $ ` (containers), `bash-5.1# `, each
/// optionally behind a `(venv) ` marker.
fn prompt_len(line: &str) -> Option<usize> {
    let mut start = 0;
    if let Some(rest) = line.strip_prefix('(')
        && let Some(close) = rest.find(") ")
        && close > 0
        && rest[..close]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        start = close + 3;
    }
    let rest = &line[start..];
    let body = prompt_body_len(rest)?;
    match rest.as_bytes().get(body) {
        None => Some(start + body),
        Some(b' ' | b'\t') => Some(start + body + 1),
        Some(_) => None,
    }
}

/// Length of a prompt up to and including its `$` or `#` sign.
fn prompt_body_len(s: &str) -> Option<usize> {
    let is_sign = |b: u8| b == b'$' || b == b'#';
    let bytes = s.as_bytes();
    let first = *bytes.first()?;
    if is_sign(first) {
        return Some(1);
    }
    if first == b'[' {
        // [user@host dir]#
        let close = s.find(']')?;
        let inner = &s[1..close];
        return (inner.contains('@')
            && !inner.contains('[')
            && bytes.get(close + 1).is_some_and(|&b| is_sign(b)))
        .then_some(close + 2);
    }
    let token_end = s.find([' ', '\t']).unwrap_or(s.len());
    let token = &s[..token_end];
    if first == b'/' || first == b'~' {
        // `/ # ` or `/app $ `: a path, a blank, then the sign.
        let sign = bytes.get(token_end + 1).copied();
        let after = bytes.get(token_end + 2).copied();
        return (bytes.get(token_end) == Some(&b' ')
            && sign.is_some_and(is_sign)
            && matches!(after, None | Some(b' ' | b'\t')))
        .then_some(token_end + 2);
    }
    if !is_sign(*token.as_bytes().last()?) {
        return None;
    }
    let head = &token[..token.len() - 1];
    let word = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    // user@host:dir#  or  user@host#
    if let Some((user, host_dir)) = head.split_once('@') {
        let host = host_dir.split_once(':').map_or(host_dir, |(host, _)| host);
        return (word(user) && word(host)).then_some(token.len());
    }
    // bash-5.1#  or  sh-4.2$
    let (shell, version) = head.split_once('-')?;
    let shell_ok = !shell.is_empty() && shell.bytes().all(|b| b.is_ascii_lowercase());
    let version_ok = version.starts_with(|c: char| c.is_ascii_digit())
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    (shell_ok && version_ok).then_some(token.len())
}

/// Whether a command line goes on to the next line (`\` at the end, blanks ignored).
fn ends_with_backslash(line: &str) -> bool {
    let trimmed = line.trim_end();
    let backslashes = trimmed.len() - trimmed.trim_end_matches('\\').len();
    backslashes % 2 == 1
}

/// Delimiters of the here-documents a command line opens (`<<EOF`, `<<-'EOF'`, `<< "END"`),
/// ignoring here-strings (`<<<`) and anything inside quotes.
fn heredoc_delimiters(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == q {
                    quote = None;
                } else if b == b'\\' && q == b'"' {
                    i += 1;
                }
            }
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'\\' => i += 1,
            None if b == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') => break,
            None if b == b'<' && bytes.get(i + 1) == Some(&b'<') => {
                if bytes.get(i + 2) == Some(&b'<') {
                    i += 3;
                    continue;
                }
                let mut j = i + 2;
                if bytes.get(j) == Some(&b'-') {
                    j += 1;
                }
                while matches!(bytes.get(j), Some(b' ' | b'\t')) {
                    j += 1;
                }
                let (delimiter, end) = read_delimiter(line, j);
                // A word, not a number: `$((1 << 2))` is a shift.
                if delimiter.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                    found.push(delimiter);
                }
                i = end;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    found
}

/// Reads a here-document delimiter word starting at `start`; quotes and backslashes are
/// removed. Returns the word and the index after it.
fn read_delimiter(line: &str, start: usize) -> (String, usize) {
    let bytes = line.as_bytes();
    let mut word = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => word.push(b),
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'\\' => {}
            None if b.is_ascii_whitespace() || b";|&<>()".contains(&b) => break,
            None => word.push(b),
        }
        i += 1;
    }
    (String::from_utf8_lossy(&word).into_owned(), i)
}

/// Appends `text` with `& < > " '` escaped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(entity);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text);
    out
}

/// One CSS rule: selectors (without the `.hl` ancestor) and declarations.
struct Rule {
    selectors: Vec<String>,
    declarations: Vec<String>,
}

/// The token rules of a theme, as syntect writes them for our class style.
fn theme_rules(theme: &Theme) -> Vec<Rule> {
    let Ok(css) = css_for_theme_with_class_style(theme, CLASS_STYLE) else {
        return Vec::new();
    };
    let body = css.split_once("*/").map_or(css.as_str(), |(_, rest)| rest);
    body.split('}')
        .filter_map(|chunk| {
            let (selectors, declarations) = chunk.split_once('{')?;
            let selectors: Vec<String> = selectors
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            // The `.hl-code` rule holds the theme's base colours; written separately.
            if selectors.is_empty() || selectors == [".hl-code"] {
                return None;
            }
            let declarations = declarations
                .lines()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect();
            Some(Rule {
                selectors,
                declarations,
            })
        })
        .collect()
}

/// Which properties a theme rule sets.
#[derive(Clone, Copy, Default, PartialEq)]
struct Props {
    color: bool,
    background: bool,
    font: bool,
}

impl Props {
    fn of(style: &StyleModifier) -> Props {
        Props {
            color: style.foreground.is_some(),
            background: style.background.is_some(),
            font: style.font_style.is_some(),
        }
    }

    fn union(self, other: Props) -> Props {
        Props {
            color: self.color || other.color,
            background: self.background || other.background,
            font: self.font || other.font,
        }
    }
}

/// Rules for the dark scheme that override every declaration of the light scheme the dark
/// theme does not override itself, so no light colour shows through on a dark background.
/// Empty when both themes style the same selectors with the same properties.
fn cover_rules(light: &Theme, dark: &Theme) -> Vec<Rule> {
    let by_path = |theme: &Theme| {
        let mut map: HashMap<Vec<Scope>, Props> = HashMap::default();
        for item in &theme.scopes {
            for selector in &item.scope.selectors {
                let entry = map.entry(selector.extract_scopes()).or_default();
                *entry = entry.union(Props::of(&item.style));
            }
        }
        map
    };
    let dark_props = by_path(dark);
    let resolver = ThemeResolver::new(dark);
    let dark_background = dark.settings.background;
    let mut done: Vec<Vec<Scope>> = Vec::new();
    let mut rules = Vec::new();
    for ThemeItem { scope, style } in &light.scopes {
        for selector in &scope.selectors {
            let path = selector.extract_scopes();
            if path.is_empty() || done.contains(&path) {
                continue;
            }
            let have = dark_props.get(&path).copied().unwrap_or_default();
            let need = Props::of(style);
            let missing = Props {
                color: need.color && !have.color,
                background: need.background && !have.background,
                font: need.font && !have.font,
            };
            if missing == Props::default() {
                continue;
            }
            done.push(path.clone());
            let resolved = resolver.style_for_stack(&path);
            let mut declarations = Vec::new();
            if missing.color {
                declarations.push(format!("color: {};", hex(resolved.foreground)));
            }
            if missing.background {
                declarations.push(if Some(resolved.background) == dark_background {
                    "background-color: transparent;".to_string()
                } else {
                    format!("background-color: {};", hex(resolved.background))
                });
            }
            if missing.font {
                let font = resolved.font_style;
                let pick = |flag, yes, no| if font.contains(flag) { yes } else { no };
                declarations.push(format!(
                    "font-style: {};",
                    pick(FontStyle::ITALIC, "italic", "normal")
                ));
                declarations.push(format!(
                    "font-weight: {};",
                    pick(FontStyle::BOLD, "bold", "normal")
                ));
                declarations.push(format!(
                    "text-decoration: {};",
                    pick(FontStyle::UNDERLINE, "underline", "none")
                ));
            }
            let mut selector_text = String::new();
            for (i, scope) in path.iter().enumerate() {
                if i > 0 {
                    selector_text.push(' ');
                }
                for atom in scope.build_string().split('.') {
                    selector_text.push('.');
                    push_css_ident(&mut selector_text, &format!("{CLASS_PREFIX}{atom}"));
                }
            }
            rules.push(Rule {
                selectors: vec![selector_text],
                declarations,
            });
        }
    }
    rules
}

/// Appends a CSS identifier, escaping what is not a letter, digit, `-` or `_`.
fn push_css_ident(out: &mut String, ident: &str) {
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_alphabetic() || c == '-' || c == '_' || (i > 0 && c.is_ascii_digit()) {
            out.push(c);
        } else {
            let _ = write!(out, "\\{:x} ", u32::from(c));
        }
    }
}

fn hex(color: syntect::highlighting::Color) -> String {
    if color.a == 0xff {
        format!("#{:02x}{:02x}{:02x}", color.r, color.g, color.b)
    } else {
        format!(
            "#{:02x}{:02x}{:02x}{:02x}",
            color.r, color.g, color.b, color.a
        )
    }
}

/// Writes one colour scheme: the base colours on `root` (the `<pre>`), console parts, then
/// the token rules, every selector prefixed with `root`.
fn write_scheme(css: &mut String, root: &str, theme: &Theme, rules: &[Rule], indent: &str) {
    let resolver = ThemeResolver::new(theme);
    let muted = resolver.style_for_stack(&scopes("comment"));
    let mut base = Vec::new();
    if let Some(foreground) = theme.settings.foreground {
        base.push(format!("color: {};", hex(foreground)));
    }
    if let Some(background) = theme.settings.background {
        base.push(format!("background-color: {};", hex(background)));
    }
    write_rule(css, indent, &[root.to_string()], &base);
    write_rule(
        css,
        indent,
        &[format!("{root} .hl-prompt")],
        &[
            format!("color: {};", hex(muted.foreground)),
            "-webkit-user-select: none;".to_string(),
            "user-select: none;".to_string(),
        ],
    );
    write_rule(
        css,
        indent,
        &[format!("{root} .hl-output")],
        &[format!("color: {};", hex(muted.foreground))],
    );
    for rule in rules {
        let selectors: Vec<String> = rule
            .selectors
            .iter()
            .map(|s| format!("{root} {s}"))
            .collect();
        write_rule(css, indent, &selectors, &rule.declarations);
    }
}

fn write_rule(css: &mut String, indent: &str, selectors: &[String], declarations: &[String]) {
    if declarations.is_empty() {
        return;
    }
    css.push_str(indent);
    css.push_str(&selectors.join(&format!(",\n{indent}")));
    css.push_str(" {");
    for declaration in declarations {
        css.push(' ');
        css.push_str(declaration);
    }
    css.push_str(" }\n");
}

fn scopes(path: &str) -> Vec<Scope> {
    path.split_whitespace()
        .filter_map(|s| Scope::new(s).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # 注释\n  labels: {app: \"web\"}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: nginx\n          image: nginx:1.25\n          args: [\"--port\", '8080']\n";
    const BASH: &str = "#!/bin/bash\nset -euo pipefail\nfor ns in $(kubectl get ns -o name); do\n  echo \"ns: ${ns#*/}\" > /tmp/out.txt 2>&1\ndone\nif [ -f /etc/exports ]; then exportfs -r; fi\n";
    const CONSOLE: &str = "$ kubectl get pods\nNAME    READY   STATUS\nweb-0   1/1     Running\n[root@k8s-master ~]# systemctl status kubelet\n● kubelet.service - kubelet\n";
    const DOCKERFILE: &str = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /app ./cmd/app && \\\n    strip /app\nENV PORT=8080\nEXPOSE 8080\nENTRYPOINT [\"/app\"]\n";
    const JSON: &str = "{\n  \"kind\": \"Pod\",\n  \"spec\": {\"containers\": [{\"name\": \"a\", \"ports\": [80, 443]}]},\n  \"ok\": true,\n  \"none\": null\n}\n";
    const GO: &str = "package main\n\nimport \"fmt\"\n\n// main prints.\nfunc main() {\n\tfor i := 0; i < 3; i++ {\n\t\tfmt.Printf(\"%d\\n\", i)\n\t}\n}\n";
    const INI: &str = "[Unit]\nDescription=kubelet\n; comment\n[Service]\nExecStart=/usr/bin/kubelet --v=2\nRestart=always\n";
    const TOML: &str =
        "[server]\nhost = \"0.0.0.0\"\nport = 8080\ntags = [\"a\", \"b\"]\n# comment\n";
    const NGINX: &str = "server {\n    listen 80;\n    server_name example.com;\n    location / {\n        proxy_pass http://backend;\n    }\n}\n";
    const SQL: &str = "SELECT id, name FROM users WHERE age > 18 AND name LIKE 'a%';\nCREATE TABLE t (id INT PRIMARY KEY);\n";
    const PYTHON: &str = "import os\n\ndef main(argv: list[str]) -> int:\n    \"\"\"Doc.\"\"\"\n    return len(argv)  # count\n";
    const DIFF: &str = "--- a/deploy.yaml\n+++ b/deploy.yaml\n@@ -1,3 +1,3 @@\n-  replicas: 1\n+  replicas: 3\n   image: nginx\n";

    /// Text content of highlighted HTML: tags removed, the five entities decoded.
    fn text_of(html: &str) -> String {
        let mut text = String::new();
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            text.push_str(&rest[..lt]);
            let gt = rest[lt..].find('>').expect("unterminated tag");
            rest = &rest[lt + gt + 1..];
        }
        text.push_str(rest);
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    fn assert_balanced(html: &str) {
        assert_eq!(
            html.matches("<span").count(),
            html.matches("</span>").count(),
            "unbalanced spans in {html}"
        );
    }

    fn assert_round_trip(lang: &str, code: &str) {
        let html = Highlighter::global().highlight(lang, code);
        assert_eq!(text_of(&html), code, "text changed for {lang}: {html}");
        assert_balanced(&html);
    }

    #[test]
    fn required_languages_get_spans() {
        let h = Highlighter::global();
        let samples = [
            ("yaml", YAML),
            ("yml", YAML),
            ("bash", BASH),
            ("shell", BASH),
            ("sh", BASH),
            ("console", CONSOLE),
            ("dockerfile", DOCKERFILE),
            ("Dockerfile", DOCKERFILE),
            ("json", JSON),
            ("go", GO),
            ("ini", INI),
            ("toml", TOML),
            ("nginx", NGINX),
            ("sql", SQL),
            ("python", PYTHON),
            ("py", PYTHON),
            ("diff", DIFF),
            ("patch", DIFF),
        ];
        for (lang, code) in samples {
            assert!(h.knows(lang), "no grammar for {lang}");
            let html = h.highlight(lang, code);
            assert!(
                html.contains("<span class=\"hl-"),
                "no spans for {lang}: {html}"
            );
            assert_eq!(text_of(&html), code, "text changed for {lang}");
            assert_balanced(&html);
        }
    }

    #[test]
    fn grammars_assign_the_expected_scopes() {
        let h = Highlighter::global();
        let expect = [
            ("yaml", YAML, "\"hl-entity hl-name hl-tag"),
            ("bash", BASH, "\"hl-keyword"),
            ("json", JSON, "\"hl-constant hl-numeric"),
            ("go", GO, "\"hl-keyword"),
            ("dockerfile", DOCKERFILE, "\"hl-keyword"),
            ("python", PYTHON, "\"hl-comment"),
            ("diff", DIFF, "\"hl-markup hl-inserted"),
            ("toml", TOML, "\"hl-string"),
            ("sql", SQL, "\"hl-keyword"),
        ];
        for (lang, code, class) in expect {
            let html = h.highlight(lang, code);
            assert!(html.contains(class), "{lang}: no {class} in {html}");
        }
    }

    #[test]
    fn every_emitted_class_is_used_by_the_stylesheet() {
        let h = Highlighter::global();
        let css = h.css();
        let samples = [
            ("yaml", YAML),
            ("bash", BASH),
            ("console", CONSOLE),
            ("dockerfile", DOCKERFILE),
            ("json", JSON),
            ("go", GO),
            ("python", PYTHON),
            ("diff", DIFF),
        ];
        for (lang, code) in samples {
            let html = h.highlight(lang, code);
            for chunk in html.split("<span class=\"").skip(1) {
                let classes = &chunk[..chunk.find('"').unwrap()];
                // `hl-cmd` only marks console commands for the page; it has no colour.
                for class in classes.split(' ').filter(|c| *c != "hl-cmd") {
                    assert!(
                        css.contains(&format!(".{class} "))
                            || css.contains(&format!(".{class}."))
                            || css.contains(&format!(".{class},")),
                        "{lang}: class {class} is not in the stylesheet"
                    );
                }
            }
        }
    }

    #[test]
    fn aliases_are_canonical() {
        let cases = [
            ("shell", "bash"),
            ("sh", "bash"),
            ("zsh", "bash"),
            ("BASH", "bash"),
            ("console", "console"),
            ("shell-session", "console"),
            ("Terminal", "console"),
            ("yml", "yaml"),
            ("YAML", "yaml"),
            ("text", "text"),
            ("plain", "text"),
            ("plaintext", "text"),
            ("txt", "text"),
            ("", "text"),
            ("  ", "text"),
            ("dockerfile", "dockerfile"),
            ("Dockerfile", "dockerfile"),
            ("docker", "dockerfile"),
            ("golang", "go"),
            ("ini", "ini"),
            ("properties", "ini"),
            ("conf", "ini"),
            ("cfg", "ini"),
            ("toml", "toml"),
            ("nginx", "nginx"),
            ("sql", "sql"),
            ("py", "python"),
            ("python", "python"),
            ("diff", "diff"),
            ("patch", "diff"),
            ("json", "json"),
            ("js", "javascript"),
            ("{.yaml}", "yaml"),
            ("language-yml", "yaml"),
            ("yaml,ignore", "yaml"),
            ("bash{1,3}", "bash"),
            ("Mermaid", "mermaid"),
            ("Brainf*ck", "brainf*ck"),
        ];
        for (alias, canonical) in cases {
            assert_eq!(
                Highlighter::canonical_lang(alias),
                canonical,
                "alias {alias:?}"
            );
        }
    }

    #[test]
    fn unknown_and_text_are_escaped_without_spans() {
        let h = Highlighter::global();
        let code = "<script>alert('x') && \"y\"</script>\n{{ .Values.x }}\n";
        let escaped = "&lt;script&gt;alert(&#39;x&#39;) &amp;&amp; &quot;y&quot;&lt;/script&gt;\n{{ .Values.x }}\n";
        for lang in [
            "text",
            "",
            "plain",
            "plaintext",
            "txt",
            "mermaid",
            "no-such-language",
        ] {
            assert!(!h.knows(lang), "{lang} should have no grammar");
            assert_eq!(h.highlight(lang, code), escaped, "lang {lang:?}");
        }
    }

    #[test]
    fn text_round_trips() {
        let tricky = [
            "<script>alert(\"x\")</script>\n",
            "{{ .Values.image.repository }}:{{ .Values.image.tag | default \"latest\" }}\n",
            "image: \"{{ .Values.x }}\" # <b>&amp;</b> 'q'\n",
            "no trailing newline: <a href='x'>&</a>",
            "",
            "\n",
            "\n\n\n",
            "crlf: 1\r\nnext: 2\r\n",
            "中文注释：部署 Pod ➜ 完成\n# 共享文件夹\n",
            "\t\ttabs\t\n",
            "unterminated \"string\n'and more\n`backtick\n/* comment\n",
        ];
        let langs = [
            "yaml",
            "bash",
            "console",
            "dockerfile",
            "json",
            "go",
            "ini",
            "toml",
            "nginx",
            "sql",
            "python",
            "diff",
            "javascript",
            "html",
            "text",
            "unknown",
        ];
        for lang in langs {
            for code in tricky {
                assert_round_trip(lang, code);
            }
            for code in [YAML, BASH, CONSOLE, DOCKERFILE, JSON, GO, INI, TOML, NGINX] {
                assert_round_trip(lang, code);
            }
        }
    }

    #[test]
    fn sql_client_result_tables_are_output() {
        let h = Highlighter::global();
        let code = "SELECT id, name FROM t WHERE a || b;\n+----+------+\n| id | name |\n+----+------+\n|  1 | SELECT |\n+----+------+\n1 row in set (0.00 sec)\n\nSELECT 1;\n";
        let html = h.highlight("sql", code);
        assert_eq!(text_of(&html), code);
        let lines: Vec<&str> = html.split('\n').collect();
        assert!(lines[0].contains("hl-keyword"), "{}", lines[0]);
        for line in &lines[1..7] {
            assert!(line.starts_with("<span class=\"hl-output\">"), "{line}");
        }
        // The query after the table is SQL again.
        assert!(lines[8].contains("hl-keyword"), "{}", lines[8]);
        // A string left open by the query keeps its lines: a `|` line inside it is SQL text.
        let open = h.highlight("sql", "SELECT 'a\n| b |\n';\n");
        assert!(!open.contains("hl-output"), "{open}");
    }

    #[test]
    fn console_splits_prompt_command_and_output() {
        let h = Highlighter::global();
        let html = h.highlight("console", CONSOLE);
        let lines: Vec<&str> = html.split('\n').collect();
        assert_eq!(lines.len(), 6, "{html}");
        assert!(lines[0].starts_with("<span class=\"hl-prompt\">$ </span><span class=\"hl-cmd\">"));
        assert!(lines[0].contains(">kubectl<"), "{}", lines[0]);
        assert_eq!(
            lines[1],
            "<span class=\"hl-output\">NAME    READY   STATUS</span>"
        );
        assert_eq!(
            lines[2],
            "<span class=\"hl-output\">web-0   1/1     Running</span>"
        );
        assert!(lines[3].starts_with(
            "<span class=\"hl-prompt\">[root@k8s-master ~]# </span><span class=\"hl-cmd\">"
        ));
        assert!(lines[4].starts_with("<span class=\"hl-output\">"));
        assert_eq!(lines[5], "");
        for line in &lines {
            assert_balanced(line);
        }
        assert_eq!(text_of(&html), CONSOLE);
    }

    #[test]
    fn console_prompts() {
        let prompts = [
            ("$ ls", Some("$ ")),
            ("# ls", Some("# ")),
            ("$", Some("$")),
            ("[root@host ~]# ls", Some("[root@host ~]# ")),
            ("[user@k8s-node1 /etc]$ ls", Some("[user@k8s-node1 /etc]$ ")),
            ("root@host:/etc# ls", Some("root@host:/etc# ")),
            ("user@host:~$ ls", Some("user@host:~$ ")),
            ("user@host$ ls", Some("user@host$ ")),
            ("/ # ls", Some("/ # ")),
            ("/app $ ls", Some("/app $ ")),
            ("bash-4.2# ls", Some("bash-4.2# ")),
            ("(venv) $ pip install x", Some("(venv) $ ")),
            ("#!/bin/sh", None),
            ("#注释", None),
            ("$HOME is set", None),
            ("NAME READY", None),
            ("/dev/sda1 20G", None),
            ("[2024-01-01 12:00] started", None),
            ("a@b.com wrote", None),
            ("中文$ ", None),
            ("", None),
        ];
        for (line, prompt) in prompts {
            assert_eq!(
                prompt_len(line).map(|n| &line[..n]),
                prompt,
                "line {line:?}"
            );
        }
    }

    #[test]
    fn console_continuations_and_heredocs() {
        let h = Highlighter::global();
        let code = "$ docker run -d \\\n    -p 80:80 nginx\nabc123\n$ cat <<EOF | kubectl apply -f -\napiVersion: v1\n\nkind: Pod\nEOF\npod/x created\n$ cat <<'END'\n> $ not a prompt\n> END\ndone\n";
        let html = h.highlight("console", code);
        assert_eq!(text_of(&html), code);
        let lines: Vec<&str> = html.split('\n').collect();
        assert!(
            lines[1].starts_with("<span class=\"hl-cmd\">"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("<span class=\"hl-output\">"),
            "{}",
            lines[2]
        );
        for i in [4, 6, 7] {
            assert!(
                lines[i].starts_with("<span class=\"hl-cmd\">"),
                "{}",
                lines[i]
            );
        }
        assert_eq!(lines[5], "");
        assert!(
            lines[8].starts_with("<span class=\"hl-output\">"),
            "{}",
            lines[8]
        );
        assert!(
            lines[10].starts_with("<span class=\"hl-prompt\">&gt; </span><span class=\"hl-cmd\">")
        );
        assert!(
            lines[11].starts_with("<span class=\"hl-prompt\">&gt; </span><span class=\"hl-cmd\">")
        );
        assert!(
            lines[12].starts_with("<span class=\"hl-output\">"),
            "{}",
            lines[12]
        );
        for line in &lines {
            assert_balanced(line);
        }
        assert_eq!(
            heredoc_delimiters("cat <<-\"EOF\" > f; x=$((1 << 2)) <<< s # <<NO"),
            ["EOF"]
        );
        assert!(ends_with_backslash("a \\  "));
        assert!(!ends_with_backslash("a \\\\"));
    }

    #[test]
    fn console_without_prompts_is_all_output() {
        let html = Highlighter::global().highlight("console", "a <b>\n\nc\n");
        assert_eq!(
            html,
            "<span class=\"hl-output\">a &lt;b&gt;</span>\n\n<span class=\"hl-output\">c</span>\n"
        );
    }

    #[test]
    fn pathological_inputs_do_not_panic() {
        let long_line = "QUJD\"'<&>".repeat(200 * 1024 / 9);
        let near_limit = "k: [1, \"two\", {a: b}] ".repeat(MAX_LINE_BYTES / 24);
        let deep = format!("{}{}\n", "[".repeat(20_000), "]".repeat(20_000));
        let unclosed = format!("\"{}", "x\n".repeat(5_000));
        for lang in [
            "yaml",
            "json",
            "bash",
            "console",
            "go",
            "dockerfile",
            "python",
        ] {
            for code in [&long_line, &near_limit, &deep, &unclosed] {
                assert_round_trip(lang, code);
            }
        }
    }

    #[test]
    fn scrambled_inputs_round_trip() {
        // Deterministic pseudo-random text over characters that matter to grammars.
        let alphabet: Vec<char> = "ab1 \t\n\"'`\\$#{}[]()<>&|;:=,.-*/%!?@~^中"
            .chars()
            .collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for lang in [
            "yaml", "bash", "console", "json", "go", "ini", "sql", "python", "diff",
        ] {
            for _ in 0..12 {
                let code: String = (0..300)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        alphabet[(seed >> 33) as usize % alphabet.len()]
                    })
                    .collect();
                assert_round_trip(lang, &code);
            }
        }
    }

    #[test]
    fn css_has_light_and_dark_schemes() {
        let h = Highlighter::global();
        let css = h.css();
        assert_eq!(css, h.css(), "css must be deterministic");
        assert!(css.contains("/* light */"));
        assert!(css.contains(&format!("\n.{PRE_CLASS} {{")));
        assert!(css.contains("@media (prefers-color-scheme: dark) {"));
        assert!(css.contains(":root:not([data-theme=\"light\"]) .hl {"));
        assert!(css.contains(":root[data-theme=\"dark\"] .hl {"));
        assert!(css.contains(".hl .hl-comment"));
        assert!(css.contains(":root[data-theme=\"dark\"] .hl .hl-comment"));
        assert!(css.contains(".hl .hl-prompt"));
        assert!(css.contains(".hl .hl-output"));
        assert!(!css.contains("style="));
        assert_eq!(css.matches('{').count(), css.matches('}').count());
        // Every selector is scoped under `.hl`.
        for line in css.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with("/*") || line.starts_with('@') || line == "}" {
                continue;
            }
            let selector = line.split(" {").next().unwrap_or(line);
            assert!(
                selector.starts_with(".hl")
                    || selector.starts_with(DARK_BY_PREFERENCE)
                    || selector.starts_with(DARK_BY_SWITCH),
                "unscoped selector: {line}"
            );
        }
    }

    #[test]
    fn dark_scheme_covers_every_light_rule() {
        let themes = two_face::theme::extra();
        let (light, dark) = (themes.get(LIGHT_THEME), themes.get(DARK_THEME));
        let css = Highlighter::global().css();
        let dark_part = &css[css.find("/* dark, chosen on the page */").unwrap()..];
        for rule in theme_rules(light) {
            for selector in rule.selectors {
                let scoped = format!("{DARK_BY_SWITCH} {selector}");
                assert!(dark_part.contains(&scoped), "no dark rule for {selector}");
            }
        }
        // Covering rules only appear when the two themes differ in shape.
        let swapped = cover_rules(dark, light);
        assert!(swapped.iter().all(|r| !r.declarations.is_empty()));
    }

    #[test]
    fn colours_have_readable_contrast() {
        fn luminance(c: syntect::highlighting::Color) -> f64 {
            let channel = |v: u8| {
                let s = f64::from(v) / 255.0;
                if s <= 0.039_28 {
                    s / 12.92
                } else {
                    ((s + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
        }
        let themes = two_face::theme::extra();
        for name in [LIGHT_THEME, DARK_THEME] {
            let theme = themes.get(name);
            let background = luminance(theme.settings.background.unwrap());
            let colours = theme
                .scopes
                .iter()
                .filter_map(|item| item.style.foreground)
                .chain(theme.settings.foreground);
            for colour in colours {
                let fg = luminance(colour);
                let ratio = (fg.max(background) + 0.05) / (fg.min(background) + 0.05);
                assert!(ratio >= 4.5, "{name}: {colour:?} has contrast {ratio:.2}");
            }
        }
    }

    #[test]
    fn canonical_names_are_fixed_points() {
        for word in [
            "sh",
            "yml",
            "Dockerfile",
            "golang",
            "conf",
            "py",
            "patch",
            "js",
            "txt",
            "",
            "terminal",
            "Mermaid",
            "{.c++}",
            "PowerShell",
        ] {
            let once = Highlighter::canonical_lang(word);
            assert_eq!(Highlighter::canonical_lang(&once), once, "{word:?}");
        }
    }

    #[test]
    fn highlights_from_many_threads() {
        let h = Highlighter::global();
        let expected = h.highlight("yaml", YAML);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..5 {
                        assert_eq!(h.highlight("yaml", YAML), expected);
                        assert_round_trip("console", CONSOLE);
                    }
                });
            }
        });
    }

    #[test]
    fn a_line_met_again_is_rendered_as_in_its_own_state() {
        // Each line on its own thread, so that the memo starts empty.
        std::thread::spawn(|| {
            let h = Highlighter::global();
            let alone = h.highlight("python", "x = 10\n");
            assert!(alone.contains("hl-numeric"), "{alone}");
            // The same line inside a string, after it was kept in the memo at the top level.
            let quoted = h.highlight("python", "s = \"\"\"\nx = 10\n\"\"\"\n");
            let middle = quoted.lines().nth(1).unwrap();
            assert!(!middle.contains("hl-numeric"), "{quoted}");
            // Met again at the top level: the kept rendering, the same as the first time.
            assert_eq!(h.highlight("python", "x = 10\n"), alone);
            Highlighter::forget_lines();
            assert_eq!(h.highlight("python", "x = 10\n"), alone);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn global_is_shared() {
        assert!(std::ptr::eq(Highlighter::global(), Highlighter::global()));
    }
}
