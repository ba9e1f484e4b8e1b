//! Hostile inputs, one scenario each: the real binary over notes generated into temporary folders.
//! Every build succeeds, every text note becomes a chapter, bad input is reported as
//! `path:line:col: warning: ...`, no HTML from a note can run script, and a killed build leaves the
//! previous or the new output whole.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::html::decode_entities;

type Tree = BTreeMap<String, Vec<u8>>;

fn studybook_build(notes: &Path, out: &Path, threads: Option<usize>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_studybook"));
    command
        .arg("build")
        .arg("--notes")
        .arg(notes)
        .arg("--out")
        .arg(out);
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    command
}

/// A finished build: what it printed, and the output folder.
struct Built {
    stderr: String,
    out: PathBuf,
}

impl Built {
    /// The message of the warning at `path:line:col`.
    fn warning_at(&self, path: &Path, line: usize, col: usize) -> &str {
        let prefix = format!("{}:{line}:{col}: warning: ", path.display());
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no warning at {prefix} in:\n{}", self.stderr))
    }

    /// Every warning about `path`, as `(line, col, message)`.
    fn warnings_about(&self, path: &Path) -> Vec<(usize, usize, String)> {
        let prefix = format!("{}:", path.display());
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .filter_map(|rest| {
                let mut parts = rest.splitn(3, ':');
                let line = parts.next()?.parse().ok()?;
                let col = parts.next()?.parse().ok()?;
                let message = parts.next()?.strip_prefix(" warning: ")?;
                Some((line, col, message.to_string()))
            })
            .collect()
    }

    fn chapters(&self) -> Vec<PathBuf> {
        let mut pages: Vec<_> = fs::read_dir(self.out.join("chapters"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
            .collect();
        pages.sort();
        pages
    }

    /// The text of every chapter's `<main>`, joined.
    fn chapter_text(&self) -> String {
        self.chapters()
            .iter()
            .map(|p| support::html::main_element(&fs::read_to_string(p).unwrap()).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Build `notes` into `<tmp>/output`, check it succeeded, has `chapters` chapters, and that no page
/// can run script from a note.
fn build_ok(tmp: &Path, notes: &Path, chapters: usize) -> Built {
    let out = tmp.join("output");
    let start = Instant::now();
    let output = studybook_build(notes, &out, None)
        .output()
        .expect("run studybook");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "studybook build failed ({}) after {elapsed:?}\n{stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let built = Built { stderr, out };
    assert_eq!(
        built.chapters().len(),
        chapters,
        "chapters: {:?}\n{}",
        built.chapters(),
        built.stderr
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("Built {chapters} chapters")),
        "{stdout}"
    );
    assert_no_script_from_notes(&built.out);
    built
}

fn notes_dir(tmp: &Path) -> PathBuf {
    let notes = tmp.join("notes");
    fs::create_dir_all(&notes).unwrap();
    notes
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, bytes).unwrap();
}

/// Every file of a folder, by relative path.
fn read_tree(dir: &Path) -> Tree {
    let mut files = Tree::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            files.insert(
                rel.to_string_lossy().into_owned(),
                fs::read(entry.path()).unwrap(),
            );
        }
    }
    files
}

// ---------------------------------------------------------------------------------------------
// No script from a note: a small HTML tag reader, enough for the pages the book writes.

/// A start tag: its lower-case name, its attributes (lower-case names, entity-decoded values),
/// and for `<script>`, its content.
#[derive(Debug)]
struct StartTag {
    name: String,
    attrs: Vec<(String, String)>,
    content: String,
}

/// Every start tag of `html`, skipping comments, end tags, and the content of raw-text elements.
fn start_tags(html: &str) -> Vec<StartTag> {
    let mut tags = Vec::new();
    let mut i = 0;
    let b = html.as_bytes();
    while let Some(lt) = html[i..].find('<').map(|p| p + i) {
        i = lt + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(html.len(), |p| i + p + 3);
            continue;
        }
        if i < b.len() && (b[i] == b'/' || b[i] == b'!' || b[i] == b'?') {
            i = html[i..].find('>').map_or(html.len(), |p| i + p + 1);
            continue;
        }
        if i >= b.len() || !b[i].is_ascii_alphabetic() {
            continue;
        }
        let name_end = html[i..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .map_or(html.len(), |p| i + p);
        let name = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let attr_end = html[i..]
                .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
                .map_or(html.len(), |p| i + p);
            let attr = html[i..attr_end].to_ascii_lowercase();
            i = attr_end;
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let quote = b[i] as char;
                    let end = html[i + 1..].find(quote).map_or(html.len(), |p| i + 1 + p);
                    value = html[i + 1..end].to_string();
                    i = (end + 1).min(html.len());
                } else {
                    let end = html[i..]
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .map_or(html.len(), |p| i + p);
                    value = html[i..end].to_string();
                    i = end;
                }
            }
            attrs.push((attr, decode_all_entities(&value)));
        }
        let mut content = String::new();
        if matches!(name.as_str(), "script" | "style" | "textarea" | "title") {
            let close = format!("</{name}");
            let end = html[i..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(html.len(), |p| i + p);
            content = html[i.min(end)..end].to_string();
            i = end;
        }
        tags.push(StartTag {
            name,
            attrs,
            content,
        });
    }
    tags
}

/// Named entities as `decode_entities` knows them, plus numeric ones (`&#106;`, `&#x6A;`) and
/// `&colon;`, which browsers decode in attribute values.
fn decode_all_entities(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(amp) = rest.find("&#") {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 2..];
        let (radix, digits) = match after.strip_prefix(['x', 'X']) {
            Some(hex) => (16, hex),
            None => (10, after),
        };
        let len = digits
            .find(|c: char| !c.is_digit(radix))
            .unwrap_or(digits.len());
        match u32::from_str_radix(&digits[..len], radix)
            .ok()
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = digits[len..].strip_prefix(';').unwrap_or(&digits[len..]);
            }
            None => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    decode_entities(&out.replace("&colon;", ":").replace("&Tab;", "\t"))
}

/// A URL a browser would run as script: `javascript:`, `vbscript:` or `data:` once the
/// whitespace and control characters browsers ignore are removed.
fn is_script_url(value: &str) -> bool {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "javascript:",
        "vbscript:",
        "data:text/html",
        "data:image/svg",
    ]
    .iter()
    .any(|s| cleaned.starts_with(s))
}

/// The only script the book's pages hold: its own files in `assets/`, and the theme snippet.
fn is_books_own_script(tag: &StartTag) -> bool {
    match tag.attrs.iter().find(|(n, _)| n == "src") {
        Some((_, src)) => {
            let file = src.trim_start_matches("../");
            file.starts_with("assets/")
                && file.ends_with(".js")
                && !file[7..].contains('/')
                && tag.content.trim().is_empty()
        }
        None if is_definitions_table(tag) => true,
        None => tag
            .content
            .starts_with("try{var t=localStorage.getItem(\"studybook-theme\")"),
    }
}

/// The table of glossary definitions a chapter page carries: data, never run, a JSON object of
/// strings with no `<` that could end the element.
fn is_definitions_table(tag: &StartTag) -> bool {
    let attr = |name: &str| {
        tag.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    attr("type") == Some("application/json")
        && attr("id") == Some("term-definitions")
        && tag.attrs.len() == 2
        && !tag.content.contains('<')
        && serde_json::from_str::<std::collections::BTreeMap<String, String>>(&tag.content).is_ok()
}

/// What in `html` could run script: script elements that are not the book's own, event handler
/// attributes, script URLs, and elements that embed other documents.
fn script_hazards(html: &str) -> Vec<String> {
    let mut hazards = Vec::new();
    for tag in start_tags(html) {
        if tag.name == "script" && !is_books_own_script(&tag) {
            hazards.push(format!("<script> {:?} {:.80}", tag.attrs, tag.content));
        }
        if matches!(
            tag.name.as_str(),
            "iframe" | "frame" | "object" | "embed" | "base" | "svg" | "math"
        ) {
            hazards.push(format!("<{}> {:?}", tag.name, tag.attrs));
        }
        for (name, value) in &tag.attrs {
            let handler = name.len() > 2
                && name.starts_with("on")
                && name[2..].chars().all(|c| c.is_ascii_lowercase());
            if handler || name == "srcdoc" || name == "style" && value.contains("expression") {
                hazards.push(format!("<{} {name}={value:?}>", tag.name));
            }
            if is_script_url(value) {
                hazards.push(format!("<{} {name}={value:?}>", tag.name));
            }
        }
        if tag.name == "meta"
            && tag
                .attrs
                .iter()
                .any(|(n, v)| n == "http-equiv" && v.eq_ignore_ascii_case("refresh"))
        {
            hazards.push("<meta http-equiv=refresh>".into());
        }
    }
    hazards
}

/// No page of `out` can run script that came from a note, and the search index is data only.
fn assert_no_script_from_notes(out: &Path) {
    let mut pages = 0;
    for (rel, bytes) in read_tree(out) {
        if rel.ends_with(".html") {
            pages += 1;
            let html = String::from_utf8(bytes).unwrap();
            let hazards = script_hazards(&html);
            assert!(hazards.is_empty(), "{rel} can run script: {hazards:#?}");
        } else if rel == "assets/search-index.js" {
            let js = String::from_utf8(bytes).unwrap();
            let json = js
                .trim_end()
                .trim_end_matches(';')
                .strip_prefix("window.studybookSearchIndex=")
                .unwrap_or_else(|| panic!("search index is not one assignment: {js:.200}"));
            serde_json::from_str::<serde_json::Value>(json)
                .unwrap_or_else(|e| panic!("search index is not plain JSON ({e}): {json:.300}"));
        }
    }
    assert!(pages > 5, "only {pages} pages");
}

#[test]
fn the_tag_reader_finds_what_could_run_script() {
    let hostile = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\" JaVa&#x53;cript&colon;alert(1)\">x</a>",
        "<a href='javascript:x'>x</a>",
        "<iframe srcdoc=\"x\"></iframe>",
        "<script src=https://evil.example/a.js></script>",
        "<p><svg onload=alert(1)>",
    ];
    for html in hostile {
        assert!(!script_hazards(html).is_empty(), "missed {html}");
    }
    let safe = "<head><script>try{var t=localStorage.getItem(\"studybook-theme\");}catch(e){}</script></head>\
        <p title=\"onerror=x\">a onclick=b &lt;script&gt; javascript:x</p><pre><code>&lt;img onerror=x&gt;</code></pre>\
        <script src=../assets/book.js></script>";
    assert_eq!(script_hazards(safe), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// Encodings and odd files.

#[test]
fn a_gb18030_note_is_decoded_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    // "# 持久卷笔记\n\n存储类与持久卷声明。\n" in GB18030.
    let (bytes, _, _) = encoding_rs::GB18030.encode("# 持久卷笔记\n\n存储类与持久卷声明。\n");
    write(&notes.join("gb.md"), &bytes);
    let built = build_ok(tmp.path(), &notes, 1);
    let message = built.warning_at(&notes.join("gb.md"), 1, 1);
    assert!(message.contains("GB18030"), "{message}");
    let text = built.chapter_text();
    assert!(text.contains("持久卷笔记") && text.contains("存储类与持久卷声明。"));
}

#[test]
fn utf16_notes_in_both_byte_orders_are_decoded_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    let text = "# 调度器 {order}\r\n\r\nPod 的调度。\r\n";
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for unit in text.replace("{order}", "LE").encode_utf16() {
        le.extend_from_slice(&unit.to_le_bytes());
    }
    for unit in text.replace("{order}", "BE").encode_utf16() {
        be.extend_from_slice(&unit.to_be_bytes());
    }
    write(&notes.join("le.md"), le);
    write(&notes.join("be.md"), be);
    let built = build_ok(tmp.path(), &notes, 2);
    assert!(
        built
            .warning_at(&notes.join("le.md"), 1, 1)
            .contains("UTF-16LE")
    );
    assert!(
        built
            .warning_at(&notes.join("be.md"), 1, 1)
            .contains("UTF-16BE")
    );
    let all = built.chapter_text();
    assert!(
        all.contains("调度器 LE") && all.contains("调度器 BE"),
        "{all}"
    );
    assert!(all.contains("Pod 的调度。"));
}

#[test]
fn a_byte_order_mark_does_not_hide_the_front_matter() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("bom.md"),
        "\u{FEFF}---\ntitle: 带 BOM 的笔记\ntags: [k8s]\n---\n正文。\n",
    );
    let built = build_ok(tmp.path(), &notes, 1);
    assert!(
        built.warnings_about(&notes.join("bom.md")).is_empty(),
        "{}",
        built.stderr
    );
    let page = fs::read_to_string(&built.chapters()[0]).unwrap();
    assert!(page.contains("带 BOM 的笔记"));
    assert!(!page.contains('\u{FEFF}'), "the BOM reached the page");
    assert!(!page.contains("title:"), "front matter shown as text");
}

#[test]
fn crlf_line_endings_are_read_like_lf() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("crlf.md"),
        "---\r\ntitle: Windows 笔记\r\ndate: 2023-06-05\r\n---\r\n## 小节\r\n\r\n- 一\r\n- 二\r\n\r\n```sh\r\nkubectl get pods\r\n```\r\n",
    );
    let built = build_ok(tmp.path(), &notes, 1);
    assert!(
        built.warnings_about(&notes.join("crlf.md")).is_empty(),
        "{}",
        built.stderr
    );
    let page = fs::read_to_string(&built.chapters()[0]).unwrap();
    assert!(!page.contains('\r'));
    assert!(page.contains("Windows 笔记") && page.contains("2023-06-05"));
    assert!(page.contains("<li>一") && page.contains("kubectl"));
    let text = built.chapter_text();
    assert!(
        !text.contains("```"),
        "the fence was not closed by a CRLF line"
    );
}

#[test]
fn an_empty_file_becomes_a_chapter_named_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(&notes.join("空白 note.md"), b"");
    write(&notes.join("other.md"), "# 另一篇\n\n内容。\n");
    let built = build_ok(tmp.path(), &notes, 2);
    let index = fs::read_to_string(built.out.join("index.html")).unwrap();
    assert!(index.contains("空白 note"), "{index}");
}

#[test]
fn a_note_with_only_front_matter_becomes_a_chapter() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("only.md"),
        "---\ntitle: 只有 front matter\ndate: 2023-01-02\ntags: [a, b]\n---\n",
    );
    write(
        &notes.join("no-newline.md"),
        "---\ntitle: 末尾没有换行\n---",
    );
    let built = build_ok(tmp.path(), &notes, 2);
    let all = built.chapter_text();
    assert!(all.contains("只有 front matter") && all.contains("2023-01-02"));
    assert!(all.contains("末尾没有换行"));
    assert!(!all.contains("title:"), "front matter shown as text: {all}");
}

#[test]
fn a_binary_file_named_md_is_skipped_with_a_warning_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i * 7 % 256) as u8));
    write(&notes.join("截图.md"), &png);
    // Binary without a NUL byte: mostly control characters.
    write(
        &notes.join("noise.md"),
        (0..2000u32)
            .map(|i| [1u8, 2, 3, 4, 5, 6, 7, b'a'][(i % 8) as usize])
            .collect::<Vec<_>>(),
    );
    write(&notes.join("text.md"), "# 文本\n\n正常的笔记。\n");
    let built = build_ok(tmp.path(), &notes, 1);
    for name in ["截图.md", "noise.md"] {
        let message = built.warning_at(&notes.join(name), 1, 1);
        assert!(
            message.contains("binary") && message.contains("skipped"),
            "{message}"
        );
    }
    assert!(built.chapter_text().contains("正常的笔记。"));
}

// ---------------------------------------------------------------------------------------------
// Size and depth.

#[test]
fn a_five_megabyte_note_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    let sentence = "Pod 会被调度到合适的节点上，调度器考虑资源请求和亲和性，例如 `kubectl get pods` 与 **重点**。";
    let mut text = String::from("# 超大的笔记\n");
    let mut section = 0;
    while text.len() < 5 * 1024 * 1024 {
        section += 1;
        text.push_str(&format!("\n## 第 {section} 节\n\n"));
        for _ in 0..10 {
            text.push_str(&sentence.repeat(30));
            text.push_str("\n\n");
        }
        if section % 20 == 0 {
            text.push_str("| 字段 | 含义 |\n|---|---|\n| a | b |\n\n- 列表\n- 项目\n\n```yaml\nkind: Pod\n```\n");
        }
    }
    text.push_str("\n最后一句。\n");
    write(&notes.join("big.md"), &text);
    write(&notes.join("small.md"), "# 小笔记\n\n内容。\n");
    let start = Instant::now();
    let built = build_ok(tmp.path(), &notes, 2);
    eprintln!("5 MB note built in {:?}", start.elapsed());
    let big = fs::read_to_string(built.out.join("chapters/big.html")).unwrap();
    assert!(big.contains("超大的笔记") && big.contains("最后一句。"));
    assert!(big.contains(&format!("第 {section} 节")));
    assert!(big.len() > 5 * 1024 * 1024);
}

#[test]
fn thousands_of_broken_links_are_each_reported_at_their_own_line() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    // Front matter, then the same link line over and over: each warning must name its own line.
    let mut text = String::from("---\ntitle: 链接\n---\n# 链接\n\n");
    let first_line = 6;
    let count = 3000;
    for i in 0..count {
        if i % 2 == 0 {
            text.push_str("见 [旧笔记](missing.md)。\n\n");
        } else {
            text.push_str(&format!("再见 [第 {i} 篇](gone-{i}.md)\n\n"));
        }
    }
    let path = notes.join("links.md");
    write(&path, &text);
    let built = build_ok(tmp.path(), &notes, 1);
    let warnings: Vec<_> = built
        .warnings_about(&path)
        .into_iter()
        .filter(|(_, _, m)| {
            m.starts_with("broken-link") || m.contains("is not in the notes folder")
        })
        .collect();
    assert_eq!(warnings.len(), count, "{}", built.stderr);
    for (i, (line, col, message)) in warnings.iter().enumerate() {
        assert_eq!(*line, first_line + 2 * i, "warning {i}: {message}");
        let expected_col = if i % 2 == 0 { 3 } else { 4 };
        assert_eq!(*col, expected_col, "warning {i}: {message}");
    }
}

#[test]
fn thousands_of_repeats_build_whole_headings_rows_footnotes_and_open_tags() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    let n = 3000;
    let headings: String = (0..n)
        .map(|i| format!("## 同名标题\n\n段落 {i}\n\n"))
        .collect();
    write(&notes.join("headings.md"), format!("# 标题\n\n{headings}"));
    let rows: String = (0..n).map(|i| format!("| 对象{i} | 值 {i} |\n")).collect();
    write(
        &notes.join("table.md"),
        format!("# 表格\n\n| 名称 | 含义 |\n|---|---|\n{rows}"),
    );
    let refs: String = (0..n).map(|i| format!("文字[^n{i}]\n\n")).collect();
    let defs: String = (0..n).map(|i| format!("[^n{i}]: 注释 {i}\n")).collect();
    write(
        &notes.join("footnotes.md"),
        format!("# 脚注\n\n{refs}{defs}"),
    );
    write(
        &notes.join("tags.md"),
        format!("# 标签\n\n{}最深处的字\n", "<div><span>".repeat(n)),
    );
    let built = build_ok(tmp.path(), &notes, 4);
    let page =
        |name: &str| fs::read_to_string(built.out.join(format!("chapters/{name}.html"))).unwrap();
    let headings = page("headings");
    assert!(headings.contains("id=同名标题-2999") || headings.contains("id=\"同名标题-2999\""));
    assert!(headings.contains(&format!("段落 {}", n - 1)));
    assert!(page("table").contains(&format!("对象{}", n - 1)));
    let footnotes = page("footnotes");
    assert!(footnotes.contains(&format!("注释 {}", n - 1)));
    assert!(
        footnotes.contains(&format!(">{n}</a>")),
        "the last footnote is numbered {n}"
    );
    let tags = page("tags");
    assert!(tags.contains("最深处的字"));
    assert!(max_depth(support::html::main_element(&tags)) < 200);
}

#[test]
fn a_list_nested_three_thousand_deep_builds_and_keeps_its_text() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    // Three thousand levels on one line, and three hundred by indentation.
    let mut text = format!("# 深层列表\n\n{}最深处\n\n", "- ".repeat(3000));
    for depth in 0..300 {
        text.push_str(&format!("{}- 第 {depth} 层\n", "  ".repeat(depth)));
    }
    text.push_str("\n列表之后的段落。\n");
    write(&notes.join("deep.md"), &text);
    // The same in quotes and in raw HTML.
    write(
        &notes.join("quotes.md"),
        format!("# 深层引用\n\n{}引用最深处\n", "> ".repeat(3000)),
    );
    write(
        &notes.join("html.md"),
        format!(
            "# 深层 HTML\n\n<div>{}HTML 最深处{}</div>\n",
            "<div><ul><li>".repeat(1000),
            "</li></ul></div>".repeat(1000)
        ),
    );
    let built = build_ok(tmp.path(), &notes, 3);
    let deep = fs::read_to_string(built.out.join("chapters/deep.html")).unwrap();
    for kept in ["最深处", "第 0 层", "第 299 层", "列表之后的段落。"] {
        assert!(deep.contains(kept), "lost {kept}");
    }
    // Levels past the bound are kept one per line.
    let between = &deep[deep.find("第 150 层").unwrap()..deep.find("第 151 层").unwrap()];
    assert_eq!(between.matches("<br>").count(), 1, "{between}");
    let all = built.chapter_text();
    assert!(all.contains("引用最深处") && all.contains("HTML 最深处"));
    for page in built.chapters() {
        let html = fs::read_to_string(&page).unwrap();
        let depth = max_depth(&html);
        assert!(depth < 150, "{} nests {depth} deep", page.display());
    }
}

/// How deeply the elements of a page nest.
fn max_depth(html: &str) -> usize {
    const VOID: &[&str] = &["br", "img", "input", "meta", "link", "hr", "wbr", "source"];
    let (mut depth, mut max) = (0usize, 0);
    for piece in html.split('<').skip(1) {
        if let Some(rest) = piece.strip_prefix('/') {
            if !rest.starts_with("p>") {
                depth = depth.saturating_sub(1);
            }
        } else if piece.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            // Minified pages omit some end tags (`</p>`, `</li>`); count only elements that keep theirs.
            if !VOID.contains(&name.as_str()) && !matches!(name.as_str(), "p" | "li" | "option") {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}

#[test]
fn an_unclosed_fence_is_reported_at_its_opening_line() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("fence.md"),
        "---\ntitle: 未闭合的代码块\n---\n开头的段落。\n\n```yaml\napiVersion: v1\nkind: Pod\n\n## 不是标题\n",
    );
    write(
        &notes.join("closed.md"),
        "# 闭合\n\n```sh\nls\n```\n\n结尾。\n",
    );
    let built = build_ok(tmp.path(), &notes, 2);
    let message = built.warning_at(&notes.join("fence.md"), 6, 1);
    assert!(message.contains("never closed"), "{message}");
    assert!(built.warnings_about(&notes.join("closed.md")).is_empty());
    let page = fs::read_to_string(built.out.join("chapters/fence.html")).unwrap();
    let main = support::html::main_element(&page);
    assert!(main.contains("开头的段落。") && main.contains("kind"));
    assert!(
        main.contains("不是标题"),
        "the text after the fence was lost"
    );
}

// ---------------------------------------------------------------------------------------------
// HTML that could run script, and template braces.

#[test]
fn script_elements_in_a_note_never_reach_the_book() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("script.md"),
        "# 脚本\n\n<script>document.title='pwned'</script>\n\n行内 <script src=\"https://evil.example/x.js\"></script> 文本。\n\n\
         <SCRIPT>alert(1)</SCRIPT>\n\n<div><script>alert(2)</script>div 里的文字</div>\n\n\
         <svg><script>alert(3)</script></svg>\n\n<iframe srcdoc=\"<script>alert(4)</script>\"></iframe>\n\n\
         <style>body{background:url(javascript:alert(5))}</style>\n\n\
         ```html\n<script>alert('shown as code')</script>\n```\n",
    );
    let built = build_ok(tmp.path(), &notes, 1);
    let main =
        support::html::main_element(&fs::read_to_string(&built.chapters()[0]).unwrap()).to_string();
    assert!(main.contains("div 里的文字") && main.contains("文本。"));
    // Code about scripts is shown, escaped.
    assert!(main.contains("shown as code"), "{main}");
    assert!(!main.contains("pwned") && !main.contains("evil.example"));
}

#[test]
fn event_handler_attributes_in_a_note_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("handlers.md"),
        "# 事件\n\n<img src=\"x.png\" onerror=\"alert(1)\">\n\n<img src=x ONERROR=alert(2)>\n\n\
         <p onclick=\"alert(3)\" onmouseover='alert(4)'>段落</p>\n\n<a href=\"#\" onfocus=alert(5) autofocus>链接</a>\n\n\
         <details open ontoggle=alert(6)><summary>摘要</summary>细节</details>\n\n<body onload=alert(7)>\n\n\
         <img src=\"x.png\"/onerror=alert(8)>\n\n`<img onerror=alert(9)>` 在代码里。\n",
    );
    let built = build_ok(tmp.path(), &notes, 1);
    let main =
        support::html::main_element(&fs::read_to_string(&built.chapters()[0]).unwrap()).to_string();
    for kept in ["段落", "链接", "摘要", "细节", "在代码里"] {
        assert!(main.contains(kept), "lost {kept}: {main}");
    }
    assert!(main.contains("&lt;img onerror=alert(9)"), "{main}");
}

#[test]
fn javascript_links_in_a_note_are_neutralised() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("links.md"),
        "# 链接\n\n[一](javascript:alert(1)) [二](JaVaScRiPt:alert(2)) [三]( javascript:alert(3))\n\n\
         [四][ref] <javascript:alert(5)> ![图](javascript:alert(6))\n\n\
         <a href=\"java&#x09;script:alert(7)\">七</a> <a href=\"&#106;avascript:alert(8)\">八</a>\n\n\
         <a href=\"vbscript:msgbox(9)\">九</a> <a href=\"data:text/html,<script>alert(10)</script>\">十</a>\n\n\
         <form action=\"javascript:alert(11)\"><button formaction=\"javascript:alert(12)\">按钮</button></form>\n\n\
         [好链接](https://example.com/ok)\n\n[ref]: javascript:alert(4)\n",
    );
    let built = build_ok(tmp.path(), &notes, 1);
    let main =
        support::html::main_element(&fs::read_to_string(&built.chapters()[0]).unwrap()).to_string();
    for kept in ["一", "二", "三", "四", "七", "八", "九", "十", "按钮"] {
        assert!(main.contains(kept), "lost {kept}");
    }
    assert!(main.contains("https://example.com/ok"), "{main}");
}

#[test]
fn hostile_titles_tags_and_file_names_are_escaped_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("meta.md"),
        "---\ntitle: \"<img src=x onerror=alert(1)>标题\"\ntags: [\"<script>alert(2)</script>\", \"\\\" onmouseover=\\\"alert(3)\"]\n\
         categories: [\"<svg onload=alert(4)>\"]\n---\n## <img src=y onerror=alert(5)>小节\n\n正文。\n",
    );
    write(
        &notes.join("<img src=z onerror=alert(6)>.md"),
        "没有标题的笔记正文\n",
    );
    let built = build_ok(tmp.path(), &notes, 2);
    let index = fs::read_to_string(built.out.join("index.html")).unwrap();
    assert!(index.contains("标题"), "{index}");
    assert!(index.contains("&lt;img src=x onerror=alert(1)>") || index.contains("&lt;img"));
}

#[test]
fn template_braces_in_prose_stay_literal() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("helm.md"),
        "---\ntitle: \"{{ .Values.title }}\"\n---\n镜像是 {{ .Values.image }}，标签 {{ .Values.image.tag | default \"latest\" }}。\n\n\
         Jinja：{% if x %}是{% else %}否{% endif %}，{# 注释 #}，{{ user.name }}。\n\n\
         Hugo：{{< ref \"x\" >}} 与 {{% notice %}} 与 {{< /notice >}}。\n\n\
         ## 小节 {{ .Chart.Name }}\n\n- {% raw %}{{ raw }}{% endraw %}\n\n| 键 | 值 |\n|---|---|\n| {{ a }} | {% b %} |\n\n\
         ```yaml\nimage: \"{{ .Values.image }}\"\n```\n",
    );
    let built = build_ok(tmp.path(), &notes, 1);
    let page = fs::read_to_string(&built.chapters()[0]).unwrap();
    let main = decode_entities(support::html::main_element(&page));
    for literal in [
        "{{ .Values.title }}",
        "{{ .Values.image }}",
        "{{ .Values.image.tag | default \"latest\" }}",
        "{% if x %}是{% else %}否{% endif %}",
        "{# 注释 #}",
        "{{ user.name }}",
        "{{< ref \"x\" >}}",
        "{{% notice %}}",
        "{{< /notice >}}",
        "{{ .Chart.Name }}",
        "{% raw %}{{ raw }}{% endraw %}",
        "{{ a }}",
        "{% b %}",
    ] {
        assert!(
            main.contains(literal),
            "{literal} not kept literally: {main}"
        );
    }
    let print = decode_entities(&fs::read_to_string(built.out.join("print.html")).unwrap());
    assert!(print.contains("{% if x %}是{% else %}否{% endif %}"));
}

// ---------------------------------------------------------------------------------------------
// Front matter.

#[test]
fn tabs_in_front_matter_are_read_as_spaces_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("tabs.md"),
        "---\ntitle:\t制表符笔记\ndate:\t2023-06-05\ntags:\n\t- k8s\n\t- 网络\n---\n正文。\n",
    );
    let built = build_ok(tmp.path(), &notes, 1);
    let message = built.warning_at(&notes.join("tabs.md"), 2, 1);
    assert!(message.contains("tab"), "{message}");
    let page = fs::read_to_string(&built.chapters()[0]).unwrap();
    for read in ["制表符笔记", "2023-06-05", "k8s", "网络"] {
        assert!(page.contains(read), "{read} not read from the front matter");
    }
}

#[test]
fn impossible_dates_are_ignored_with_a_warning_at_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    for (name, date) in [
        ("feb30.md", "2023-02-30"),
        ("month13.md", "2023-13-01"),
        ("leap.md", "2023-02-29"),
        ("words.md", "上周三"),
    ] {
        write(
            &notes.join(name),
            format!("---\ntitle: 日期 {date}\ntags: [x]\ndate: {date}\n---\n正文。\n"),
        );
    }
    write(
        &notes.join("good.md"),
        "---\ntitle: 闰日\ndate: 2024-02-29\n---\n正文。\n",
    );
    let built = build_ok(tmp.path(), &notes, 5);
    for (name, date) in [
        ("feb30.md", "2023-02-30"),
        ("month13.md", "2023-13-01"),
        ("leap.md", "2023-02-29"),
        ("words.md", "上周三"),
    ] {
        let message = built.warning_at(&notes.join(name), 4, 1);
        assert!(message.contains(date), "{message}");
        let page = fs::read_to_string(
            built
                .out
                .join(format!("chapters/{}.html", name.trim_end_matches(".md"))),
        )
        .unwrap();
        let meta = page.split("chapter-meta").nth(1).unwrap_or("");
        assert!(
            !meta[..meta.find("</p>").unwrap_or(meta.len())].contains(date),
            "{date} shown as a date"
        );
    }
    assert!(built.warnings_about(&notes.join("good.md")).is_empty());
    let good = fs::read_to_string(built.out.join("chapters/good.html")).unwrap();
    assert!(good.contains("2024-02-29"));
}

// ---------------------------------------------------------------------------------------------
// Names and folders.

#[test]
fn file_names_with_spaces_and_chinese_become_chapters_that_link() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    write(
        &notes.join("我的 笔记 (1).md"),
        "# 第一篇\n\n见 [第二篇](<第二 篇.md#小节>) 与 [图](<图 片.png>)。\n",
    );
    write(
        &notes.join("第二 篇.md"),
        "# 第二篇\n\n## 小节\n\n回到 [第一篇](我的%20笔记%20(1).md)。\n",
    );
    write(&notes.join("  leading space.md"), "# 前导空格\n");
    write(&notes.join("图 片.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let built = build_ok(tmp.path(), &notes, 3);
    assert!(
        !built.stderr.contains("is not in the notes folder"),
        "{}",
        built.stderr
    );
    assert!(built.out.join("files/图 片.png").is_file());
    let all = built.chapter_text();
    for title in ["第一篇", "第二篇", "前导空格"] {
        assert!(all.contains(title), "missing {title}");
    }
    // Every chapter link points to a chapter page that exists.
    for page in built.chapters() {
        let html = fs::read_to_string(&page).unwrap();
        for href in support::html::attr_values(&html, "href") {
            let path = href.split('#').next().unwrap();
            if path.ends_with(".html") && !href.contains("://") {
                let target = page
                    .parent()
                    .unwrap()
                    .join(support::html::percent_decode(path));
                assert!(target.is_file(), "{}: {href} is missing", page.display());
            }
        }
    }
}

#[test]
fn notes_in_nested_folders_all_become_chapters() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    let mut deep = notes.clone();
    for level in 0..12 {
        deep = deep.join(format!("层 {level}"));
        write(
            &deep.join("note.md"),
            format!("# 第 {level} 层的笔记\n\n内容 {level}。\n"),
        );
    }
    write(
        &notes.join("a/b/c.md"),
        "# c\n\n[上一层](../../层 0/note.md)\n",
    );
    write(&notes.join("a/b/c.txt"), "同名不同扩展名\n");
    write(&notes.join(".hidden/secret.md"), "# 隐藏\n");
    let built = build_ok(tmp.path(), &notes, 14);
    let all = built.chapter_text();
    for level in 0..12 {
        assert!(
            all.contains(&format!("第 {level} 层的笔记")),
            "lost level {level}"
        );
    }
    assert!(all.contains("同名不同扩展名"));
    assert!(!all.contains("隐藏"), "a hidden folder was read");
    let names: std::collections::BTreeSet<_> = built.chapters().into_iter().collect();
    assert_eq!(names.len(), 14, "chapter pages collided");
}

// ---------------------------------------------------------------------------------------------
// A killed build, and the thread count.

/// `count` notes with prose, lists and code; `version` changes every one.
fn generated_notes(dir: &Path, count: usize, version: &str) {
    for i in 0..count {
        let mut text = format!(
            "---\ntitle: 笔记 {i} {version}\ndate: 2023-06-{:02}\ntags: [t{}]\n---\n",
            i % 28 + 1,
            i % 7
        );
        for s in 0..4 {
            text.push_str(&format!(
                "\n## 小节 {s}\n\n版本 {version}：Pod {i} 的调度与 Service {s} 的关系，见 [下一篇](n{:03}.md)。\n\n- 要点一\n- 要点二\n\n```yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}-{s}\nspec:\n  containers:\n    - name: app\n      image: nginx:{version}\n```\n\n```sh\nkubectl get pods -n ns{i} | grep {version}\n```\n",
                (i + 1) % count
            ));
        }
        write(&dir.join(format!("n{i:03}.md")), text);
    }
}

fn siblings(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn build_quietly(notes: &Path, out: &Path) {
    let output = studybook_build(notes, out, None).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_or_the_new_output_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let (notes_a, notes_b) = (tmp.path().join("a"), tmp.path().join("b"));
    generated_notes(&notes_a, 60, "old");
    generated_notes(&notes_b, 60, "new");
    // Notes B has one fewer and one more note, so the file lists differ too.
    fs::remove_file(notes_b.join("n007.md")).unwrap();
    write(&notes_b.join("extra.md"), "# 新增的笔记\n");

    // The new version's output, built elsewhere.
    let reference = tmp.path().join("reference");
    fs::create_dir(&reference).unwrap();
    let start = Instant::now();
    build_quietly(&notes_b, &reference.join("b"));
    let full_build = start.elapsed();
    let site = tmp.path().join("site");
    fs::create_dir(&site).unwrap();
    let out = site.join("output");
    build_quietly(&notes_a, &out);
    let trees = [read_tree(&out), read_tree(&reference.join("b"))];
    assert_ne!(trees[0], trees[1]);
    eprintln!(
        "a full build takes {full_build:?}, {} files",
        trees[1].len()
    );

    // Kill at fractions of a full build, and right as the new output starts being written.
    let mut moments: Vec<Option<Duration>> = [0.1, 0.5, 0.8, 0.95]
        .iter()
        .map(|f| Some(full_build.mul_f64(*f)))
        .collect();
    moments.extend([None, None]);
    // A build that ends before its kill (the machine was busier when the full build was timed)
    // is tried again with half the delay, a few times at most.
    let mut retries = 6;
    let mut moments: std::collections::VecDeque<Option<Duration>> = moments.into();
    let (mut current, mut killed_running, mut killed_writing) = (0usize, 0, 0);
    let mut round = 0;
    while let Some(moment) = moments.pop_front() {
        round += 1;
        let next = 1 - current;
        let notes = if next == 0 { &notes_a } else { &notes_b };
        let mut child = studybook_build(notes, &out, None)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let staging = format!(".output.staging-{}", child.id());
        match moment {
            Some(delay) => std::thread::sleep(delay),
            None => {
                // Wait for the staging folder, then let the writing go on for a moment.
                let deadline = Instant::now() + full_build * 4;
                while !siblings(&out).contains(&staging) && Instant::now() < deadline {
                    if child.try_wait().unwrap().is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
                std::thread::sleep(Duration::from_millis([5, 0][round % 2]));
            }
        }
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
            if siblings(&out).contains(&staging) {
                killed_writing += 1;
            }
        } else if let Some(delay) = moment
            && retries > 0
        {
            retries -= 1;
            moments.push_back(Some(delay / 2));
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();

        let after = read_tree(&out);
        let which = trees.iter().position(|t| *t == after).unwrap_or_else(|| {
            let old: Vec<_> = trees[current].keys().filter(|k| !after.contains_key(*k)).take(5).collect();
            panic!(
                "round {round} ({moment:?}): the output is neither the old nor the new one: {} files, missing {old:?}; beside it: {:?}",
                after.len(),
                siblings(&out)
            )
        });
        assert!(which == current || which == next);

        // The next build recovers and leaves nothing behind.
        build_quietly(notes, &out);
        assert!(read_tree(&out) == trees[next], "round {round}: rebuild");
        assert_eq!(siblings(&out), ["output"], "round {round}: leftovers");
        current = next;
    }
    assert!(
        killed_running >= 5,
        "only {killed_running} kills hit a running build"
    );
    assert!(killed_writing >= 1, "no kill hit a build while it wrote");
}

fn assert_same_bytes_with_any_thread_count(notes: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for threads in [1, 4, 1] {
        let out = tmp.path().join(format!("out-{threads}-{}", trees.len()));
        let output = studybook_build(notes, &out, Some(threads))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        trees.push((threads, output.stderr, read_tree(&out)));
    }
    let (_, first_stderr, first) = &trees[0];
    assert!(first.len() > 5);
    for (threads, stderr, tree) in &trees[1..] {
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            tree.keys().collect::<Vec<_>>(),
            "files differ with {threads} threads"
        );
        for (path, bytes) in first {
            assert!(
                bytes == &tree[path],
                "{path} differs between 1 and {threads} threads"
            );
        }
        assert_eq!(
            first_stderr, stderr,
            "warnings differ with {threads} threads"
        );
    }
}

#[test]
fn the_repository_notes_build_byte_identically_with_one_or_four_threads() {
    assert_same_bytes_with_any_thread_count(&Path::new(env!("CARGO_MANIFEST_DIR")).join("notes"));
}

#[test]
fn many_hostile_notes_build_byte_identically_with_one_or_four_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = notes_dir(tmp.path());
    generated_notes(&notes, 40, "v1");
    let (gb, _, _) = encoding_rs::GB18030.encode("# 编码\n\n同名小节\n");
    write(&notes.join("gb.md"), &gb);
    write(&notes.join("bin.md"), b"\0\x01\x02binary");
    write(
        &notes.join("bad.md"),
        "---\ntitle: [坏\ndate: 2023-02-30\n---\n```\n未闭合\n",
    );
    write(
        &notes.join("dup/n001.md"),
        "# 笔记 1 v1\n\n同名的另一篇。\n",
    );
    write(
        &notes.join("xss.md"),
        "<img src=x onerror=alert(1)> {{ .Values.x }}\n",
    );
    assert_same_bytes_with_any_thread_count(&notes);
}
