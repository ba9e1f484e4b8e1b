//! Command-line arguments (clap), turned into resolved options in one place.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Turn a folder of study notes into an offline HTML study book.
#[derive(Debug, Parser)]
#[command(name = "studybook", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the book from a notes folder into an output folder.
    Build {
        /// The folder of notes (.md, .markdown, .txt), read recursively.
        #[arg(long, default_value = "notes")]
        notes: PathBuf,
        /// Where to write the book. Replaced only once the new book is complete.
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// A folder whose files replace the default theme's files of the same name.
        #[arg(long)]
        theme: Option<PathBuf>,
        /// The URL the book is published at (https://user.github.io/repo/): adds canonical links and
        /// sitemap.xml, and roots the 404 page there. Overrides `site-url` in studybook.toml.
        #[arg(long, value_name = "URL")]
        site_url: Option<String>,
    },
    /// Build the book, then print its one-page edition (print.html) to PDF with a headless Chromium.
    Pdf {
        /// The folder of notes (.md, .markdown, .txt), read recursively.
        #[arg(long, default_value = "notes")]
        notes: PathBuf,
        /// Where to build the book before printing it.
        #[arg(long, default_value = "output")]
        out_dir: PathBuf,
        /// The PDF file to write [default: OUT_DIR/book.pdf].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// A folder whose files replace the default theme's files of the same name.
        #[arg(long)]
        theme: Option<PathBuf>,
        /// The Chromium or Chrome to print with [default: chromium, chromium-browser,
        /// google-chrome or google-chrome-stable on PATH].
        #[arg(long, value_name = "PATH")]
        chrome: Option<PathBuf>,
    },
    /// Start a notes project: DIR/notes/ with a sample note, DIR/studybook.toml and a GitHub Pages
    /// workflow. Never overwrites a file.
    Init {
        /// The project folder, created if missing.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Build the book in memory and serve it on 127.0.0.1; rebuild when the notes or the theme
    /// change and reload the open pages.
    Serve {
        /// The folder of notes (.md, .markdown, .txt), read recursively.
        #[arg(long, default_value = "notes")]
        notes: PathBuf,
        /// The port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Open the book in the default browser.
        #[arg(long)]
        open: bool,
        /// A folder whose files replace the default theme's files of the same name.
        #[arg(long)]
        theme: Option<PathBuf>,
    },
    /// Print each note as repaired, normalised Markdown (front matter, then the body).
    Fix {
        /// Notes to repair.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Rewrite the files in place, keeping each original as FILE.orig.
        #[arg(long)]
        write: bool,
        /// List each repair with its line and rule name (on stderr, as `path:line: rule: what`).
        #[arg(long)]
        explain: bool,
    },
}
