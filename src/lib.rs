//! studybook: turns a folder of study notes into an offline HTML study book. One call per pipeline stage.

pub mod assemble;
pub mod config;
pub mod diagnostics;
pub mod init;
pub mod knowledge;
pub mod lines;
pub mod load;
pub mod model;
pub mod note;
pub mod output;
pub mod pdf;
pub mod render;
pub mod repair;
pub mod search;
pub mod serve;
pub mod slug;

use diagnostics::{Diagnostic, Fatal};
use model::{Book, Chapter, SourceNote};
use rayon::prelude::*;
use render::highlight::Highlighter;
use render::markdown;
use render::site::Site;
use render::templates::{Templates, Theme};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `build` needs to know.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub notes_dir: PathBuf,
    pub out_dir: PathBuf,
    pub theme_dir: Option<PathBuf>,
    /// Where the book will be published; overrides the config's `site-url`.
    pub site_url: Option<String>,
}

/// What a successful build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub chapters: usize,
    pub pages: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// A failed build: the fatal error and the diagnostics gathered before it.
#[derive(Debug, Clone)]
pub struct BuildError {
    pub fatal: Fatal,
    pub diagnostics: Vec<Diagnostic>,
}

impl From<Fatal> for BuildError {
    fn from(fatal: Fatal) -> Self {
        BuildError {
            fatal,
            diagnostics: Vec::new(),
        }
    }
}

/// Processor time used by this process so far (user and system, all threads), in ms; Linux only.
fn cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) closed by the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are the 14th and 15th fields; the rest starts at the 3rd. Ticks of 10 ms.
    (ticks(11) + ticks(12)) * 10.0
}

pub(crate) fn timed<T>(stage: &str, f: impl FnOnce() -> T) -> T {
    let timings = std::env::var_os("STUDYBOOK_TIMINGS").is_some();
    let cpu_start = if timings { cpu_ms() } else { 0.0 };
    let start = Instant::now();
    let value = f();
    if timings {
        // Resident memory now and at most so far (Linux), to find the stage that needs most.
        let memory = std::fs::read_to_string("/proc/self/status")
            .map(|status| {
                status
                    .lines()
                    .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
                    .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        eprintln!(
            "timing: {stage}: {:.1} ms, cpu {:.0} ms ({memory} kB)",
            start.elapsed().as_secs_f64() * 1e3,
            cpu_ms() - cpu_start
        );
    }
    value
}

/// Build the book from `options.notes_dir` into `options.out_dir`.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_with(options, &BookCache::none(), &Progress::default())
}

/// [`build`] reusing the repairs and renderings of notes that `cache` has seen unchanged, and
/// counting finished notes in `progress`.
pub fn build_with(
    options: &BuildOptions,
    cache: &BookCache,
    progress: &Progress,
) -> Result<BuildReport, BuildError> {
    let mut diagnostics = Vec::new();
    let mut book = None;
    // The output folder is checked and its writer started first: it creates the chapters' files
    // while the book is being made.
    let written = output::write_with(&options.out_dir, |sink| {
        let mut prepared = prepare_build(options, cache, progress, Some(sink)).map_err(|e| {
            diagnostics = e.diagnostics;
            e.fatal
        })?;
        diagnostics = prepared.diagnostics.clone();
        // Only a chapter rebuilt alone needs the linker again.
        prepared.linker = None;
        let report = prepared.render(sink);
        book = Some(prepared);
        report
    })
    .map_err(|fatal| BuildError { fatal, diagnostics });
    // Freeing a big book takes a while: the book is written, nobody needs to wait for that.
    if let Some(prepared) = book {
        std::thread::spawn(move || drop(prepared));
    }
    written
}

/// Every file of the book, in memory, and what the build found (nothing is written).
pub fn build_site(
    options: &BuildOptions,
    cache: &BookCache,
    progress: &Progress,
) -> Result<(Site, BuildReport), BuildError> {
    build_site_prepared(options, cache, progress).map(|(site, report, _)| (site, report))
}

/// [`build_site`], also returning the prepared book for [`PreparedBuild::update_chapter`].
pub fn build_site_prepared(
    options: &BuildOptions,
    cache: &BookCache,
    progress: &Progress,
) -> Result<(Site, BuildReport, PreparedBuild), BuildError> {
    let prepared = prepare_build(options, cache, progress, None)?;
    let sink = render::sink::MemorySink::default();
    let report = prepared.render(&sink).map_err(|fatal| BuildError {
        fatal,
        diagnostics: prepared.diagnostics.clone(),
    })?;
    Ok((sink.into_site(), report, prepared))
}

/// One chapter rebuilt alone after its note changed.
pub struct ChapterUpdate {
    /// The chapter's page, relative to the output root.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A book made and ready to render; `serve` keeps the last one to rebuild a changed chapter alone.
pub struct PreparedBuild {
    notes_dir: PathBuf,
    book: Book,
    lang: String,
    links: markdown::LinkMap,
    links_key: String,
    linker: Option<knowledge::Linker>,
    search_index: Vec<u8>,
    theme: Theme,
    templates: Templates,
    assets: Vec<(String, Vec<u8>)>,
    site_url: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

/// Read, repair and make the book; when the pages go to `sink`, it is told early which chapter
/// pages to expect.
fn prepare_build(
    options: &BuildOptions,
    cache: &BookCache,
    progress: &Progress,
    sink: Option<&dyn render::sink::Sink>,
) -> Result<PreparedBuild, BuildError> {
    let mut config = config::load(&options.notes_dir)?;
    let (glossary, glossary_diagnostics) = config::load_glossary(&options.notes_dir);
    config.glossary = glossary;
    let site_url = resolve_site_url(options, &config)?;
    let theme = match &options.theme_dir {
        Some(dir) => Theme::with_overrides(dir)?,
        None => Theme::default_theme(),
    };
    let templates = timed("templates", || Templates::new(&theme))?;
    let mut loaded = timed("load", || load::read_notes(&options.notes_dir))?;
    if let Some(sink) = sink {
        sink.reserve(&assemble::likely_chapter_pages(
            loaded.notes.iter().map(|n| n.rel_path.as_str()),
        ));
    }
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(glossary_diagnostics);
    let asset_paths: Vec<&str> = loaded.assets.iter().map(|(p, _)| p.as_str()).collect();
    progress.start(loaded.notes.len());
    // The notes as read are dropped once repaired: a big book does not hold them twice.
    let notes = std::mem::take(&mut loaded.notes);
    let made = timed("book", || {
        make_book_with(notes, &asset_paths, &config, cache, progress, true)
    });
    diagnostics.extend(made.diagnostics);
    Ok(PreparedBuild {
        notes_dir: options.notes_dir.clone(),
        book: made.book,
        lang: made.lang,
        links: made.links,
        links_key: made.links_key,
        linker: made.linker,
        search_index: made.search_index,
        theme,
        templates,
        assets: loaded.assets,
        site_url,
        diagnostics,
    })
}

impl PreparedBuild {
    /// The page of the chapter whose note is at `path` (a note of this book, changed since),
    /// rebuilt alone: the note is read, repaired, rendered and linked to the glossary of this
    /// build. `None` when the note is not a chapter of this book or cannot be read; a full build
    /// brings the rest of the book (glossary, search, other pages) up to date.
    pub fn update_chapter(&self, path: &Path, cache: &BookCache) -> Option<ChapterUpdate> {
        let (source, _) = load::read_note(&self.notes_dir, path);
        let source = source?;
        let ci = self
            .book
            .chapters
            .iter()
            .position(|c| c.source == source.rel_path)?;
        let prepared = cache.prepare(&source, BookCache::note_key(&source));
        let rendered = cache.render(&prepared.note, &self.links_key, &self.links);
        let slug = self.book.chapters[ci].slug.clone();
        let mut chapter = chapter_of(&prepared.note, slug, rendered);
        if let Some(linker) = &self.linker {
            let linked = linker.link(ci, &chapter.html);
            chapter.html = linked.html;
            chapter.term_definitions = linked.definitions;
        }
        chapter.html = render::site::compact(&chapter.html);
        let options = render::site::RenderOptions {
            minify: true,
            site_url: self.site_url.as_deref(),
            search_index: None,
        };
        let sink = render::sink::MemorySink::default();
        render::site::render_one_chapter(
            &self.book,
            ci,
            &chapter,
            &self.lang,
            &self.templates,
            options,
            &sink,
        )
        .ok()?;
        let path = format!("chapters/{}.html", chapter.slug);
        let bytes = sink.into_site().files.remove(&path)?;
        Some(ChapterUpdate { path, bytes })
    }

    /// Render every page and copy the notes' files into `sink`.
    fn render(&self, sink: &dyn render::sink::Sink) -> Result<BuildReport, Fatal> {
        let options = render::site::RenderOptions {
            minify: true,
            site_url: self.site_url.as_deref(),
            search_index: Some(&self.search_index),
        };
        let pages = timed("render", || {
            render::site::render_site(
                &self.book,
                &self.lang,
                &self.theme,
                &self.templates,
                Highlighter::global(),
                options,
                sink,
            )
        })?;
        timed("files", || -> Result<(), Fatal> {
            for (path, bytes) in &self.assets {
                let path = format!("{}/{path}", assemble::FILES_DIR);
                sink.put(&path, bytes)
                    .map_err(|e| Fatal::new(&path, format!("cannot write: {e}")))?;
            }
            Ok(())
        })?;
        Ok(BuildReport {
            chapters: self.book.chapters.len(),
            pages: pages.len(),
            diagnostics: self.diagnostics.clone(),
        })
    }
}

/// Notes repaired and rendered by earlier builds, by content: a rebuild redoes only what changed.
#[derive(Default)]
pub struct BookCache {
    prepared: std::sync::Mutex<std::collections::HashMap<u64, note::Prepared>>,
    rendered: std::sync::Mutex<std::collections::HashMap<u64, markdown::Rendered>>,
    /// A one-off build keeps nothing.
    off: bool,
}

impl BookCache {
    /// A cache that keeps nothing, for a single build.
    pub fn none() -> BookCache {
        BookCache {
            off: true,
            ..BookCache::default()
        }
    }

    /// The cache key of a note as read.
    fn note_key(source: &SourceNote) -> u64 {
        Self::key(&[&source.rel_path, &source.display_path, &source.text])
    }

    /// The cache key of a note's rendering, given where every link goes (`links_key`).
    fn render_key(note: &model::Note, links_key: &str) -> u64 {
        Self::key(&[&note.rel_path, &note.body, links_key])
    }

    fn key(parts: &[&str]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        parts.hash(&mut h);
        h.finish()
    }

    /// The repaired note, from the cache when `key` (see [`BookCache::note_key`]) is known.
    fn prepare(&self, source: &SourceNote, key: u64) -> note::Prepared {
        if self.off {
            return note::prepare(source);
        }
        if let Some(p) = self.prepared.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return p;
        }
        let p = note::prepare(source);
        if let Ok(mut m) = self.prepared.lock() {
            m.insert(key, p.clone());
        }
        p
    }

    fn render(
        &self,
        note: &model::Note,
        links_key: &str,
        links: &markdown::LinkMap,
    ) -> markdown::Rendered {
        if self.off {
            return markdown::render(&note.body, &note.rel_path, links, Highlighter::global());
        }
        let key = Self::render_key(note, links_key);
        if let Some(r) = self.rendered.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return r;
        }
        let r = markdown::render(&note.body, &note.rel_path, links, Highlighter::global());
        if let Ok(mut m) = self.rendered.lock() {
            m.insert(key, r.clone());
        }
        r
    }

    /// Forget entries not used by the last build (so the cache does not grow without bound).
    fn keep_only(&self, prepared: &[u64], rendered: &[u64]) {
        if let Ok(mut m) = self.prepared.lock() {
            let keep: std::collections::HashSet<&u64> = prepared.iter().collect();
            m.retain(|k, _| keep.contains(k));
        }
        if let Ok(mut m) = self.rendered.lock() {
            let keep: std::collections::HashSet<&u64> = rendered.iter().collect();
            m.retain(|k, _| keep.contains(k));
        }
    }
}

/// How far a build is: notes finished out of all notes (read from another thread).
#[derive(Default)]
pub struct Progress {
    pub total: std::sync::atomic::AtomicUsize,
    pub done: std::sync::atomic::AtomicUsize,
}

impl Progress {
    fn start(&self, total: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.total.store(total, Relaxed);
        self.done.store(0, Relaxed);
    }

    fn step(&self) {
        self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Every stage between reading the notes and rendering pages: prepare, order, render chapters,
/// then gather the knowledge (glossary, links, comparisons, questions) of the whole book (pure).
pub fn make_book(
    sources: &[SourceNote],
    assets: &[&str],
    config: &config::Config,
) -> (Book, String, Vec<Diagnostic>) {
    let made = make_book_with(
        sources.to_vec(),
        assets,
        config,
        &BookCache::none(),
        &Progress::default(),
        false,
    );
    (made.book, made.lang, made.diagnostics)
}

/// A book and what a later change to one of its notes needs to rebuild that chapter alone.
pub struct MadeBook {
    pub book: Book,
    pub lang: String,
    pub diagnostics: Vec<Diagnostic>,
    /// Where every link of a note goes.
    pub links: markdown::LinkMap,
    /// A digest of what the chapters' renderings depend on besides their notes (see [`BookCache`]).
    pub links_key: String,
    /// The glossary linker of this book, when the knowledge stage succeeded.
    pub linker: Option<knowledge::Linker>,
    /// The search index script (`assets/search-index.js`) of the book.
    pub search_index: Vec<u8>,
}

/// [`make_book`] with a cache of earlier results and a progress count; the chapters' HTML made
/// compact (see [`render::site::compact`]) when `compact`, as a minified site shows it.
pub fn make_book_with(
    sources: Vec<SourceNote>,
    assets: &[&str],
    config: &config::Config,
    cache: &BookCache,
    progress: &Progress,
    compact: bool,
) -> MadeBook {
    // A one-off build keeps nothing, so it needs no keys.
    let prepared_keys: Vec<u64> = if cache.off {
        vec![0; sources.len()]
    } else {
        sources.par_iter().map(BookCache::note_key).collect()
    };
    let prepared: Vec<note::Prepared> = timed("repair", || {
        sources
            .into_par_iter()
            .zip(prepared_keys.par_iter())
            .map(|(s, &key)| cache.prepare(&s, key))
            .collect()
    });
    let mut diagnostics = Vec::new();
    let mut notes = Vec::with_capacity(prepared.len());
    for p in prepared {
        notes.push(p.note);
        diagnostics.extend(p.diagnostics);
    }
    notes.sort_by(assemble::reading_order);
    let slugs = assemble::chapter_slugs(&notes);
    let links = assemble::link_map(&notes, &slugs, assets.iter().copied());
    // Renderings depend on the note and on where every link goes.
    let links_key = format!(
        "{:016x}",
        BookCache::key(&[&format!("{slugs:?}"), &format!("{assets:?}")])
    );
    let rendered_keys: Vec<u64> = if cache.off {
        Vec::new()
    } else {
        notes
            .par_iter()
            .map(|n| BookCache::render_key(n, &links_key))
            .collect()
    };
    let rendered: Vec<(Chapter, Vec<Diagnostic>)> = timed("markdown", || {
        notes
            .par_iter()
            .zip(slugs.par_iter())
            .map(|(note, slug)| {
                let rendered = cache.render(note, &links_key, &links);
                progress.step();
                let diagnostics = placed_diagnostics(note, &rendered);
                (chapter_of(note, slug.clone(), rendered), diagnostics)
            })
            .collect()
    });
    cache.keep_only(&prepared_keys, &rendered_keys);
    if cache.off {
        // Nothing is highlighted again in this build.
        Highlighter::forget_lines();
    }
    let mut chapters = Vec::with_capacity(rendered.len());
    for (chapter, diags) in rendered {
        chapters.push(chapter);
        diagnostics.extend(diags);
    }
    let lang = config
        .language
        .clone()
        .unwrap_or_else(|| detect_language(notes.par_iter().map(|n| n.body.as_str())));
    let title = config.title.clone().unwrap_or_else(|| {
        if lang.starts_with("zh") {
            "学习笔记"
        } else {
            "Study Notes"
        }
        .to_string()
    });
    diagnostics.sort();
    // Everything later reads the chapters.
    drop(notes);
    let mut book = Book {
        title,
        chapters,
        knowledge: Default::default(),
    };
    // The chapters stand on their own: if gathering knowledge fails, the book is built without it.
    let mut linker = None;
    // The search index reads the chapters' text, which glossary links do not change: it is made
    // while the knowledge is gathered.
    let (gathered, search_index) = rayon::join(
        || {
            timed("knowledge", || {
                std::panic::catch_unwind(|| {
                    let finish = |html: String| {
                        if compact {
                            render::site::compact(&html)
                        } else {
                            html
                        }
                    };
                    knowledge::build(&book, &config.glossary, &lang, &finish)
                })
            })
        },
        || timed("search", || search::index_script(&book)),
    );
    match gathered {
        Ok((knowledge, linked, made_linker)) => {
            if std::env::var_os("STUDYBOOK_TIMINGS").is_some() {
                eprintln!(
                    "knowledge: {} glossary entries (found by rule: {:?}), {} glossary links, {} comparisons, {} questions",
                    knowledge.glossary.len(),
                    knowledge.rule_counts,
                    knowledge.link_count,
                    knowledge.comparisons.len(),
                    knowledge.review.len()
                );
            }
            // Made compact as they were linked.
            for (chapter, linked) in book.chapters.iter_mut().zip(linked) {
                chapter.html = linked.html;
                chapter.term_definitions = linked.definitions;
            }
            book.knowledge = knowledge;
            linker = Some(made_linker);
        }
        Err(_) => {
            diagnostics.push(Diagnostic::warning(
                "",
                0,
                0,
                "knowledge",
                "the glossary, comparisons and review could not be built from these notes; the chapters are built without them",
            ));
            if compact {
                book.chapters
                    .par_iter_mut()
                    .for_each(|chapter| chapter.html = render::site::compact(&chapter.html));
            }
        }
    }
    MadeBook {
        book,
        lang,
        diagnostics,
        links,
        links_key,
        linker,
        search_index,
    }
}

/// The chapter of a repaired note, rendered.
fn chapter_of(note: &model::Note, slug: String, rendered: markdown::Rendered) -> Chapter {
    Chapter {
        slug,
        title: note.meta.title.clone().unwrap_or_default(),
        date: note.meta.date.clone(),
        tags: note.meta.tags.clone(),
        categories: note.meta.categories.clone(),
        source: note.rel_path.clone(),
        html: rendered.html,
        headings: rendered.headings,
        term_definitions: String::new(),
    }
}

/// The warnings found while rendering a note (broken links, schema hints), placed on the lines
/// of the note as written.
fn placed_diagnostics(
    note: &model::Note,
    rendered: &render::markdown::Rendered,
) -> Vec<Diagnostic> {
    if rendered.broken_links.is_empty() && rendered.hints.is_empty() {
        return Vec::new();
    }
    let index = load::frontmatter::LineIndex::new(&note.body);
    let links: Vec<(usize, usize)> = rendered
        .broken_links
        .iter()
        .map(|(offset, _)| index.line_col(*offset))
        .collect();
    // A block's first line is the one after its opening fence.
    let hint_lines: Vec<usize> = rendered
        .hints
        .iter()
        .map(|(offset, hint)| index.line_col(*offset).0 + hint.line)
        .collect();
    let asked: Vec<usize> = links
        .iter()
        .map(|&(line, _)| line)
        .chain(hint_lines.iter().copied())
        .collect();
    let written = source_lines(note, &asked);
    let (link_lines, hint_lines) = written.split_at(links.len());
    let mut diagnostics: Vec<Diagnostic> = rendered
        .broken_links
        .iter()
        .zip(links.iter().zip(link_lines))
        .map(|((_, target), (&(_, col), &line))| {
            Diagnostic::warning(
                &note.display_path,
                note.body_line + line - 1,
                col,
                "broken-link",
                format!("`{target}` is not in the notes folder; the link is kept as written"),
            )
        })
        .collect();
    diagnostics.extend(
        rendered
            .hints
            .iter()
            .zip(hint_lines)
            .map(|((_, hint), &line)| {
                Diagnostic::warning(
                    &note.display_path,
                    note.body_line + line - 1,
                    hint.col,
                    "schema",
                    hint.message.clone(),
                )
            }),
    );
    diagnostics
}

/// The line of a note's body as written that holds line `line` (1-based) of its repaired body:
/// the n-th written line containing the repaired line's text, where n counts its earlier
/// occurrences in the repaired body; else the same proportion of the way through.
pub fn source_line(note: &model::Note, line: usize) -> usize {
    source_lines(note, &[line])[0]
}

/// Up to this many texts, [`source_lines`] looks for each on its own.
const FEW_TEXTS: usize = 16;

/// [`source_line`] for many lines of one note, reading the note once for all of them.
pub fn source_lines(note: &model::Note, lines: &[usize]) -> Vec<usize> {
    if lines.is_empty() {
        return Vec::new();
    }
    let repaired: Vec<&str> = lines::lines(&note.body).collect();
    let written: Vec<&str> = lines::lines(&note.source_body).collect();
    let proportional = |line: usize| (line * written.len().max(1) / repaired.len().max(1)).max(1);
    // Each distinct non-empty text asked about, and the lines asking with it.
    let mut texts: Vec<&str> = Vec::new();
    let mut text_ids: rustc_hash::FxHashMap<&str, usize> = Default::default();
    let asked: Vec<Option<usize>> = lines
        .iter()
        .map(|&line| {
            let text = repaired.get(line.wrapping_sub(1))?.trim();
            if text.is_empty() {
                return None;
            }
            Some(*text_ids.entry(text).or_insert_with(|| {
                texts.push(text);
                texts.len() - 1
            }))
        })
        .collect();
    // Many texts are found by one finder for both bodies, built as an NFA, which takes no time
    // squared in the length of the texts as a DFA of a few long lines would; a few are found each
    // on its own, faster than building an automaton for them.
    let finder = (texts.len() > FEW_TEXTS).then(|| {
        aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&texts)
    });
    // The lines containing each text, in the repaired body and as written. A text never holds a
    // line break, so each match lies on one line: the one after as many breaks as precede it.
    let containing = |body: &str| -> Vec<Vec<usize>> {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', body.as_bytes()).map(|i| i + 1))
            .collect();
        let line_of = |at: usize| starts.partition_point(|&s| s <= at) - 1;
        let mut found = vec![Vec::new(); texts.len()];
        let mut record = |text: usize, at: usize| {
            let line = line_of(at);
            let hits: &mut Vec<usize> = &mut found[text];
            if hits.last() != Some(&line) {
                hits.push(line);
            }
        };
        match &finder {
            None => {
                for (i, text) in texts.iter().enumerate() {
                    for at in memchr::memmem::find_iter(body.as_bytes(), text.as_bytes()) {
                        record(i, at);
                    }
                }
            }
            Some(Ok(finder)) => {
                for m in finder.find_overlapping_iter(body) {
                    record(m.pattern().as_usize(), m.start());
                }
            }
            Some(Err(_)) => {}
        }
        found
    };
    let (in_repaired, in_written) = if texts.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        (containing(&note.body), containing(&note.source_body))
    };
    lines
        .iter()
        .zip(asked)
        .map(|(&line, text)| match text {
            None if repaired.get(line.wrapping_sub(1)).is_none() => line,
            None => proportional(line),
            Some(id) => {
                let earlier = in_repaired[id].partition_point(|&i| i < line - 1);
                match in_written[id].get(earlier) {
                    Some(&found) => found + 1,
                    None => proportional(line),
                }
            }
        })
        .collect()
}

/// `zh` when a fifth or more of the letters in the notes are Chinese, else `en`.
/// The texts are read in parallel.
pub fn detect_language<'a>(texts: impl ParallelIterator<Item = &'a str>) -> String {
    let (cjk, letters) = texts
        .map(language_counts)
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if letters > 0 && cjk * 5 >= letters {
        "zh"
    } else {
        "en"
    }
    .to_string()
}

/// The CJK ideographs and the letters (ideographs included) of `text`.
fn language_counts(text: &str) -> (usize, usize) {
    let (mut cjk, mut letters) = (0usize, 0usize);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Eight ASCII bytes at once, the most of any note: their letters are counted together.
        if let Some(word) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            if word & 0x8080_8080_8080_8080 == 0 {
                letters += ascii_letters(word);
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if b < 0x80 {
            // ASCII: no decoding.
            letters += usize::from(b.is_ascii_alphabetic());
            i += 1;
            continue;
        }
        // A lead byte: `i` is on a character boundary. Ideographs are told by their first two
        // bytes: U+3400 to U+3FFF start E3 90 to E3 BF, U+4000 to U+9FFF start E4 to E9, and
        // only U+4DC0 to U+4DFF (E4 B7) among these are not ideographs.
        let ideograph = match b {
            0xE3 => bytes[i + 1] >= 0x90,
            0xE4 => bytes[i + 1] != 0xB7,
            0xE5..=0xE9 => true,
            _ => false,
        };
        if ideograph {
            cjk += 1;
            letters += 1;
            i += 3;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or_default();
        if ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c) {
            // Alphabetic, without looking it up.
            cjk += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
        i += c.len_utf8();
    }
    (cjk, letters)
}

/// How many of the eight ASCII bytes of `word` are letters. Lower-cased (`| 0x20`, which makes
/// no other byte a letter), a byte is one when adding 0x1F carries it past 0x7F (it is `a` or
/// more) and adding 5 does not (it is `z` or less); no byte carries into the next.
fn ascii_letters(word: u64) -> usize {
    const EACH: u64 = 0x0101_0101_0101_0101;
    let lower = word | (0x20 * EACH);
    let from_a = lower + 0x1F * EACH;
    let past_z = lower + 0x05 * EACH;
    (from_a & !past_z & (0x80 * EACH)).count_ones() as usize
}

/// `studybook fix`: a note's text as repaired, normalised Markdown (front matter, then the body),
/// the repairs made (lines in the source file), and diagnostics.
pub fn fix_text(source: &SourceNote) -> (String, Vec<repair::Fix>, Vec<Diagnostic>) {
    let prepared = note::prepare(source);
    let offset = prepared.note.body_line - 1;
    let fixes = prepared
        .fixes
        .into_iter()
        .map(|mut f| {
            f.line += offset;
            f
        })
        .collect();
    let text = note::to_markdown(&prepared.note.meta, &prepared.note.body);
    (text, fixes, prepared.diagnostics)
}

/// Read one file for `studybook fix`.
pub fn read_for_fix(path: &Path) -> Result<(SourceNote, Vec<Diagnostic>), Fatal> {
    let dir = path.parent().unwrap_or(Path::new(""));
    match load::read_note(dir, path) {
        (Some(note), diags) => Ok((note, diags)),
        (None, diags) => Err(Fatal(diags.into_iter().next().unwrap_or_else(|| {
            Diagnostic::error(
                path.display().to_string(),
                0,
                0,
                "unreadable",
                "cannot read this note",
            )
        }))),
    }
}

/// The site for `sources` with the default theme, un-minified and not written anywhere (for tests and tools).
pub fn render_default_site(sources: &[SourceNote]) -> Result<Site, Fatal> {
    let theme = Theme::default_theme();
    let templates = Templates::new(&theme)?;
    let (book, lang, _) = make_book(sources, &[], &config::Config::default());
    let sink = render::sink::MemorySink::default();
    render::site::render_site(
        &book,
        &lang,
        &theme,
        &templates,
        Highlighter::global(),
        render::site::RenderOptions::default(),
        &sink,
    )?;
    Ok(sink.into_site())
}

/// The site URL from the options, else from the config, checked.
fn resolve_site_url(
    options: &BuildOptions,
    config: &config::Config,
) -> Result<Option<String>, Fatal> {
    let (url, source) = match (&options.site_url, &config.site_url) {
        (Some(url), _) => (url, "--site-url".to_string()),
        (None, Some(url)) => (
            url,
            config::find(&options.notes_dir).map_or_else(
                || config::CONFIG_FILE.to_string(),
                |p| p.display().to_string(),
            ),
        ),
        (None, None) => return Ok(None),
    };
    render::publish::normalize_site_url(url, &source).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Meta, Note};

    #[test]
    fn the_language_is_chinese_when_a_fifth_of_the_letters_are_ideographs() {
        assert_eq!(language_counts("Pod 是 ab"), (1, 6));
        assert_eq!(language_counts("㐀䶵 é，1"), (2, 3));
        // Every ideograph and the characters around their ranges, told apart as by decoding.
        for c in ('\u{3000}'..='\u{a000}').chain(['\u{2fff}', '\u{10000}', 'ß']) {
            let ideograph =
                ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c);
            let expected = (
                usize::from(ideograph),
                usize::from(ideograph || c.is_alphabetic()),
            );
            assert_eq!(language_counts(&c.to_string()), expected, "{c:?}");
        }
        // Eight ASCII bytes at once count as one at a time: every byte among others.
        for b in 0..=0x7fu8 {
            for at in 0..8 {
                let mut word = *b"a1 Z@[`{";
                word[at] = b;
                let text = std::str::from_utf8(&word).unwrap_or_default();
                let one_by_one = word.iter().filter(|b| b.is_ascii_alphabetic()).count();
                assert_eq!(language_counts(text), (0, one_by_one), "{text:?}");
            }
        }
        let zh = ["部署应用 kubectl apply 创建服务"];
        assert_eq!(detect_language(zh.into_par_iter()), "zh");
        let en = ["Deploy with kubectl apply -f web.yaml (部署)"];
        assert_eq!(detect_language(en.into_par_iter()), "en");
        assert_eq!(detect_language(["", "123 ？"].into_par_iter()), "en");
    }

    fn note(source_body: &str, body: &str) -> Note {
        Note {
            rel_path: "a.md".into(),
            display_path: "a.md".into(),
            meta: Meta::default(),
            body: body.into(),
            body_line: 1,
            source_body: source_body.into(),
        }
    }

    /// The definition of [`source_line`], one line at a time.
    fn one_by_one(note: &Note, line: usize) -> usize {
        let repaired: Vec<&str> = note.body.lines().collect();
        let written: Vec<&str> = note.source_body.lines().collect();
        let Some(text) = repaired.get(line.wrapping_sub(1)).map(|l| l.trim()) else {
            return line;
        };
        if !text.is_empty() {
            let earlier = repaired[..line - 1]
                .iter()
                .filter(|l| l.contains(text))
                .count();
            if let Some((i, _)) = written
                .iter()
                .enumerate()
                .filter(|(_, l)| l.contains(text))
                .nth(earlier)
            {
                return i + 1;
            }
        }
        (line * written.len().max(1) / repaired.len().max(1)).max(1)
    }

    #[test]
    fn repaired_lines_are_found_where_they_were_written() {
        // A glued manifest split in two, a repeated line, a line repair added, a blank line.
        let written = "# T\nmetadata:name: web\n- a\n\nx\n- a\n";
        let repaired = "# T\n\n```yaml\nmetadata:\n  name: web\n```\n- a\n\nx\n- a\n";
        let n = note(written, repaired);
        assert_eq!(source_line(&n, 5), 2, "`name: web` was written on line 2");
        assert_eq!(source_line(&n, 7), 3, "the first `- a`");
        assert_eq!(source_line(&n, 10), 6, "the second `- a`");
        let all: Vec<usize> = (0..=12).collect();
        let expected: Vec<usize> = all.iter().map(|&l| one_by_one(&n, l)).collect();
        assert_eq!(source_lines(&n, &all), expected);
    }

    #[test]
    fn many_lines_at_once_agree_with_one_at_a_time() {
        // Texts contained in one another (`a`, `a b`), repeats and lines that are not written.
        let words = ["a", "a b", "b", "ab", "c d e", "  a  ", "z"];
        let mut written = String::new();
        let mut repaired = String::new();
        for i in 0..300usize {
            let w = words[i * 7 % words.len()];
            written.push_str(&format!("{w} {}\n", i % 5));
            repaired.push_str(&format!("{w}\n"));
            if i % 11 == 0 {
                repaired.push_str("added\n\n");
            }
        }
        let n = note(&written, &repaired);
        let lines: Vec<usize> = (0..=n.body.lines().count() + 2).rev().collect();
        let expected: Vec<usize> = lines.iter().map(|&l| one_by_one(&n, l)).collect();
        assert_eq!(source_lines(&n, &lines), expected);
        assert!(source_lines(&n, &[]).is_empty());
    }

    #[test]
    fn many_texts_found_by_one_automaton_agree_with_one_at_a_time() {
        // More distinct texts than are looked for one by one, some inside others, CRLF endings.
        let mut written = String::new();
        let mut repaired = String::new();
        for i in 0..200usize {
            let w = format!("w{} x{}", i % (FEW_TEXTS * 3), i % 4);
            written.push_str(&format!("{w}:{}\r\n", i % 3));
            repaired.push_str(&format!("{w}\n"));
            if i % 13 == 0 {
                repaired.push_str(&format!("w{}\n\n", i % 9));
            }
        }
        let n = note(&written, &repaired);
        let lines: Vec<usize> = (0..=n.body.lines().count() + 1).collect();
        let distinct: std::collections::HashSet<&str> = n
            .body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(distinct.len() > FEW_TEXTS);
        let expected: Vec<usize> = lines.iter().map(|&l| one_by_one(&n, l)).collect();
        assert_eq!(source_lines(&n, &lines), expected);
    }

    #[test]
    fn offsets_are_placed_on_lines_and_columns() {
        let text = "ab\n中文x\n\nlast";
        let index = load::frontmatter::LineIndex::new(text);
        for offset in 0..=text.len() + 3 {
            if !text.is_char_boundary(offset.min(text.len())) {
                continue;
            }
            let o = offset.min(text.len());
            let before = &text[..o];
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = before[start..].chars().count() + 1;
            assert_eq!(index.line_col(offset), (line, col), "offset {offset}");
        }
        // `中` is bytes 3..6: an offset inside it is placed at its start.
        assert_eq!(index.line_col(4), (2, 1));
    }
}
