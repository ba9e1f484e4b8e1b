//! The `studybook` command: parse arguments, run a command, print diagnostics, set the exit code.

mod cli;

use clap::Parser;
use cli::{Cli, Command};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use studybook::diagnostics::{Diagnostic, Fatal};

/// A build allocates and frees many small strings on every core; mimalloc does that faster
/// than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for d in diagnostics {
        let _ = writeln!(err, "{d}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            notes,
            out,
            theme,
            site_url,
        } => build(notes, out, theme, site_url),
        Command::Pdf {
            notes,
            out_dir,
            out,
            theme,
            chrome,
        } => pdf(notes, out_dir, out, theme, chrome),
        Command::Init { dir } => init(&dir),
        Command::Serve {
            notes,
            port,
            open,
            theme,
        } => serve(notes, port, open, theme),
        Command::Fix {
            files,
            write,
            explain,
        } => fix(&files, write, explain),
    }
}

fn build(
    notes: PathBuf,
    out: PathBuf,
    theme: Option<PathBuf>,
    site_url: Option<String>,
) -> ExitCode {
    let options = studybook::BuildOptions {
        notes_dir: notes,
        out_dir: out.clone(),
        theme_dir: theme,
        site_url,
    };
    let progress = studybook::Progress::default();
    let built = with_progress(&progress, || {
        studybook::build_with(&options, &studybook::BookCache::none(), &progress)
    });
    match built {
        Ok(report) => {
            print_diagnostics(&report.diagnostics);
            let index = out.join("index.html");
            let shown = std::fs::canonicalize(&index).unwrap_or(index);
            let warnings = report.diagnostics.len();
            println!(
                "Built {} chapters ({} pages{}) into {}",
                report.chapters,
                report.pages,
                if warnings > 0 {
                    format!(", {warnings} warnings")
                } else {
                    String::new()
                },
                out.display()
            );
            println!("Open {}", shown.display());
            exit_now(0)
        }
        Err(error) => {
            print_diagnostics(&error.diagnostics);
            eprintln!("{}", error.fatal);
            eprintln!("build failed; {} was left as it was", out.display());
            ExitCode::from(1)
        }
    }
}

fn pdf(
    notes: PathBuf,
    out_dir: PathBuf,
    out: Option<PathBuf>,
    theme: Option<PathBuf>,
    chrome: Option<PathBuf>,
) -> ExitCode {
    let start = std::time::Instant::now();
    let browser = match studybook::pdf::find_browser(chrome.as_deref()) {
        Ok(browser) => browser,
        Err(fatal) => {
            eprintln!("{fatal}");
            return ExitCode::from(1);
        }
    };
    let options = studybook::BuildOptions {
        notes_dir: notes,
        out_dir: out_dir.clone(),
        theme_dir: theme,
        site_url: None,
    };
    let report = match studybook::build(&options) {
        Ok(report) => report,
        Err(error) => {
            print_diagnostics(&error.diagnostics);
            eprintln!("{}", error.fatal);
            eprintln!("build failed; {} was left as it was", out_dir.display());
            return ExitCode::from(1);
        }
    };
    print_diagnostics(&report.diagnostics);
    let page = out_dir.join(studybook::render::print::PRINT_PAGE);
    let pdf = out.unwrap_or_else(|| out_dir.join("book.pdf"));
    match studybook::pdf::print_to_pdf(&page, &pdf, &browser, Default::default()) {
        Ok(bytes) => {
            println!(
                "Printed {} chapters into {} ({:.1} MB) in {:.1} s",
                report.chapters,
                pdf.display(),
                bytes as f64 / 1e6,
                start.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(fatal) => {
            eprintln!("{fatal}");
            ExitCode::from(1)
        }
    }
}

fn init(dir: &Path) -> ExitCode {
    match studybook::init::init(dir) {
        Ok(created) => {
            println!("Created:");
            for path in &created {
                println!("  {}", path.display());
            }
            let cd = if dir == Path::new(".") {
                String::new()
            } else {
                format!("  cd {}\n", dir.display())
            };
            println!(
                "\nNext:\n{cd}  studybook build      # the book in output/, open output/index.html\n  \
                 studybook pdf        # output/book.pdf (needs chromium and fonts-noto-cjk)\n\n\
                 To publish on GitHub Pages: push to a GitHub repository, choose Settings > Pages > \
                 Source: GitHub Actions, and check STUDYBOOK_SOURCE in .github/workflows/pages.yml."
            );
            ExitCode::SUCCESS
        }
        Err(fatal) => {
            eprintln!("{fatal}");
            ExitCode::from(1)
        }
    }
}

fn fix(files: &[PathBuf], write: bool, explain: bool) -> ExitCode {
    let mut failed = false;
    let stdout = std::io::stdout();
    for path in files {
        match fix_one(path, write) {
            Ok((text, fixes, diagnostics)) => {
                print_diagnostics(&diagnostics);
                if explain {
                    let mut err = std::io::stderr().lock();
                    for f in &fixes {
                        let _ = writeln!(
                            err,
                            "{}:{}: {}: {}",
                            path.display(),
                            f.line,
                            f.rule,
                            f.message
                        );
                    }
                    let _ = writeln!(err, "{}: {} repairs", path.display(), fixes.len());
                }
                if !write {
                    let mut out = stdout.lock();
                    if out.write_all(text.as_bytes()).is_err() {
                        return ExitCode::from(1);
                    }
                }
            }
            Err(Fatal(d)) => {
                print_diagnostics(&[d]);
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

type Fixed = (String, Vec<studybook::repair::Fix>, Vec<Diagnostic>);

fn fix_one(path: &Path, write: bool) -> Result<Fixed, Fatal> {
    let (source, mut diagnostics) = studybook::read_for_fix(path)?;
    let (text, fixes, diags) = studybook::fix_text(&source);
    diagnostics.extend(diags);
    if write {
        let display = path.display().to_string();
        let mut backup = path.as_os_str().to_owned();
        backup.push(".orig");
        let backup = PathBuf::from(backup);
        if !backup.exists() {
            std::fs::copy(path, &backup).map_err(|e| {
                Fatal::new(
                    &display,
                    format!("cannot keep the original as {}: {e}", backup.display()),
                )
            })?;
        }
        std::fs::write(path, &text)
            .map_err(|e| Fatal::new(&display, format!("cannot write: {e}")))?;
        eprintln!(
            "{display}: rewritten (original kept as {})",
            backup.display()
        );
    }
    Ok((text, fixes, diagnostics))
}

/// End the process at once with `code`, once what was printed is flushed. The book is written:
/// the memory of a big build needs no freeing (the allocator would return it to the system page
/// by page on the way out, for tens of milliseconds), the system takes it back whole.
fn exit_now(code: u8) -> ExitCode {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `_exit` ends the process without running exit handlers; every output this
        // program makes is written and flushed at this point.
        unsafe { libc::_exit(i32::from(code)) }
    }
    #[cfg(not(target_os = "linux"))]
    ExitCode::from(code)
}

/// Shows `done/total notes` on a terminal while `work` runs; nothing when stderr is piped.
fn with_progress<T>(progress: &studybook::Progress, work: impl FnOnce() -> T) -> T {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicBool, Ordering};
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut shown = false;
            let started = std::time::Instant::now();
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(100));
                let total = progress.total.load(Ordering::Relaxed);
                let done = progress.done.load(Ordering::Relaxed);
                if total > 0 && started.elapsed().as_millis() > 300 {
                    let width = 30;
                    let filled = (done * width / total).min(width);
                    eprint!(
                        "\r[{}{}] {done}/{total} notes",
                        "#".repeat(filled),
                        " ".repeat(width - filled)
                    );
                    shown = true;
                }
            }
            if shown {
                eprint!("\r{}\r", " ".repeat(60));
            }
        });
        let value = work();
        finished.store(true, Ordering::Relaxed);
        value
    })
}

fn serve(notes: PathBuf, port: u16, open: bool, theme: Option<PathBuf>) -> ExitCode {
    use studybook::serve::{ServeOptions, Server, listen, watched_paths};

    let options = ServeOptions {
        build: studybook::BuildOptions {
            notes_dir: notes,
            out_dir: PathBuf::new(),
            theme_dir: theme,
            site_url: None,
        },
        port,
    };
    let listener = match listen(port) {
        Ok(l) => l,
        Err(fatal) => {
            eprintln!("{fatal}");
            return ExitCode::FAILURE;
        }
    };
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| format!("127.0.0.1:{port}"));
    let server = Server::new(options.clone());
    fn report(rebuilt: studybook::serve::Rebuilt, first: bool) {
        print_diagnostics(&rebuilt.diagnostics);
        match &rebuilt.error {
            Some(fatal) => {
                eprintln!("{fatal}\nThe last good book is still served; fix the error and save.")
            }
            None if first => eprintln!("Built the book in {} ms", rebuilt.took.as_millis()),
            None => eprintln!(
                "Rebuilt the book in {} ms ({} files changed)",
                rebuilt.took.as_millis(),
                rebuilt.pages_changed
            ),
        }
    }
    let first = with_progress(&server.progress, || server.rebuild(&Default::default()));
    report(first, true);
    let url = format!("http://{address}/");
    println!("Serving the book at {url} (Ctrl-C to stop)");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    if open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(e) = std::process::Command::new(opener).arg(&url).spawn() {
            eprintln!("could not open a browser ({opener}: {e}); open {url} yourself");
        }
    }
    let accepting = std::sync::Arc::clone(&server);
    std::thread::spawn(move || accepting.accept(listener));

    // Changes to the notes, the theme or the config (reading them is not a change).
    let (events, changes) = std::sync::mpsc::channel();
    let mut watcher =
        match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event
                && !matches!(event.kind, notify::EventKind::Access(_))
            {
                let _ = events.send(event.paths);
            }
        }) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("cannot watch the notes folder: {e}");
                return ExitCode::FAILURE;
            }
        };
    for (path, recursive) in watched_paths(&options.build) {
        use notify::Watcher;
        let mode = if recursive {
            notify::RecursiveMode::Recursive
        } else {
            notify::RecursiveMode::NonRecursive
        };
        if let Err(e) = watcher.watch(&path, mode) {
            eprintln!("{}: cannot watch for changes: {e}", path.display());
        }
    }
    // Full builds run one at a time beside the watcher; edits that arrive during one are
    // gathered into the next.
    let (full_builds, full_build_wanted) =
        std::sync::mpsc::channel::<std::collections::BTreeSet<PathBuf>>();
    let builder = std::sync::Arc::clone(&server);
    std::thread::spawn(move || {
        while let Ok(mut changed) = full_build_wanted.recv() {
            while let Ok(more) = full_build_wanted.try_recv() {
                changed.extend(more);
            }
            let rebuilt = with_progress(&builder.progress, || builder.rebuild(&changed));
            report(rebuilt, false);
        }
    });
    // A save is often several events: wait until the folder is quiet for a moment. An edited
    // note's chapter is rebuilt and served at once; then the whole book is rebuilt.
    let quiet = std::time::Duration::from_millis(30);
    while let Ok(paths) = changes.recv() {
        let mut changed: std::collections::BTreeSet<PathBuf> = paths.into_iter().collect();
        while let Ok(more) = changes.recv_timeout(quiet) {
            changed.extend(more);
        }
        if let Some((pages, took)) = server.quick(&changed) {
            eprintln!("Updated {} in {} ms", pages.join(", "), took.as_millis());
        }
        if full_builds.send(changed).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}
