//! The floor for a build: the least work any Markdown-to-HTML tool with highlighting must do.
//!
//! Reads every `.md` file of a corpus, renders it with pulldown-cmark and highlights every fenced
//! or indented code block, on all cores with rayon. Nothing is written to disk. With
//! `--plain-syntect`, code is highlighted by syntect as shipped (the grammar the fence names, one
//! `ClassedHTMLGenerator` per block); without it, by studybook's own highlighter (the same
//! grammars and HTML as a build, lines met before in the same state reused).
//!
//! Run with `STUDYBOOK_BENCH_CORPUS=DIR cargo bench --bench floor` or
//! `cargo bench --bench floor -- DIR [--plain-syntect]`. `scripts/bench.sh` runs it beside
//! studybook, Hugo and mdBook. Prints `floor: pages N, bytes N, blocks N, wall S s` and the time
//! of each phase.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Parser, Tag, TagEnd};
use rayon::prelude::*;
use studybook::render::highlight::Highlighter;
use studybook::render::markdown;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// The corpus folder: the first argument that is not a flag (cargo passes `--bench`), else
/// `STUDYBOOK_BENCH_CORPUS`.
fn corpus_dir() -> Option<PathBuf> {
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("STUDYBOOK_BENCH_CORPUS").map(PathBuf::from))
}

fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

/// The text after a leading `---` … `---` YAML front matter block, if any.
fn body(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return text;
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            return &rest[offset..];
        }
    }
    text
}

/// pulldown-cmark to HTML, every code block replaced by the highlighter's HTML. Returns the
/// HTML and the number of code blocks.
fn render(text: &str, highlight: &CodeToHtml) -> (String, usize) {
    let mut blocks = 0;
    let mut events = Vec::new();
    let mut parser = Parser::new_ext(text, markdown::options());
    while let Some(event) = parser.next() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match &kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut code = String::new();
                for e in parser.by_ref() {
                    match e {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(t) => code.push_str(&t),
                        _ => {}
                    }
                }
                blocks += 1;
                let html = highlight(&info, &code);
                events.push(Event::Html(CowStr::from(html)));
            }
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    (html, blocks)
}

/// HTML of a code block from its fence info and its text.
type CodeToHtml = dyn Fn(&str, &str) -> String + Sync;

/// A code block as a plain syntect user writes it: the grammar found by the fence's first word,
/// one `ClassedHTMLGenerator` per block, no memo of lines.
fn syntect_as_shipped(syntaxes: &SyntaxSet, info: &str, code: &str) -> String {
    let token = info.split_whitespace().next().unwrap_or("");
    let syntax = syntaxes
        .find_syntax_by_token(token)
        .unwrap_or_else(|| syntaxes.find_syntax_plain_text());
    let mut generator =
        ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, ClassStyle::Spaced);
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            break;
        }
    }
    format!("<pre><code>{}</code></pre>\n", generator.finalize())
}

fn main() {
    let Some(dir) = corpus_dir() else {
        println!(
            "floor: no corpus given; pass one with STUDYBOOK_BENCH_CORPUS=DIR cargo bench --bench floor\n\
             or cargo bench --bench floor -- DIR (e.g. ../shared/bench/corpus-zh)"
        );
        return;
    };
    if !dir.is_dir() {
        eprintln!("floor: {} is not a folder", dir.display());
        std::process::exit(2);
    }

    let plain = std::env::args().any(|a| a == "--plain-syntect");
    let start = Instant::now();
    // Loading the syntax set is part of any highlighting build.
    let highlight: Box<CodeToHtml> = if plain {
        let syntaxes = two_face::syntax::extra_newlines();
        Box::new(move |info, code| syntect_as_shipped(&syntaxes, info, code))
    } else {
        let highlighter = Highlighter::global();
        Box::new(|info, code| markdown::code_block(info, code, highlighter))
    };
    let load_syntaxes = start.elapsed();

    let read_start = Instant::now();
    let texts: Vec<String> = markdown_files(&dir)
        .par_iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
        .collect();
    let read = read_start.elapsed();

    let render_start = Instant::now();
    let rendered: Vec<(usize, usize)> = texts
        .par_iter()
        .map(|t| {
            let (html, blocks) = render(body(t), &highlight);
            (black_box(html).len(), blocks)
        })
        .collect();
    let render_time = render_start.elapsed();
    let wall = start.elapsed();

    let bytes: usize = texts.iter().map(String::len).sum();
    let html: usize = rendered.iter().map(|(h, _)| h).sum();
    let blocks: usize = rendered.iter().map(|(_, b)| b).sum();
    println!(
        "floor{}: threads {}, syntax set {:.1} ms, read {:.1} ms, render+highlight {:.1} ms, html {:.1} MB",
        if plain { " (plain syntect)" } else { "" },
        rayon::current_num_threads(),
        load_syntaxes.as_secs_f64() * 1e3,
        read.as_secs_f64() * 1e3,
        render_time.as_secs_f64() * 1e3,
        html as f64 / 1e6,
    );
    println!(
        "floor: pages {}, bytes {}, blocks {}, wall {:.3} s",
        texts.len(),
        bytes,
        blocks,
        wall.as_secs_f64()
    );
}
