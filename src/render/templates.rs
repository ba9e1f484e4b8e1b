//! The theme: default templates and assets embedded in the binary, overridable file by file from `--theme DIR` (tera lives here).

use crate::diagnostics::{Diagnostic, Fatal};
use std::collections::BTreeMap;
use std::path::Path;

/// The default theme's files, by name.
pub const DEFAULT_THEME: &[(&str, &str)] = &[
    ("page.html", include_str!("../../themes/default/page.html")),
    (
        "index.html",
        include_str!("../../themes/default/index.html"),
    ),
    (
        "chapter.html",
        include_str!("../../themes/default/chapter.html"),
    ),
    (
        "glossary.html",
        include_str!("../../themes/default/glossary.html"),
    ),
    (
        "comparisons.html",
        include_str!("../../themes/default/comparisons.html"),
    ),
    (
        "review.html",
        include_str!("../../themes/default/review.html"),
    ),
    (
        "print.html",
        include_str!("../../themes/default/print.html"),
    ),
    ("404.html", include_str!("../../themes/default/404.html")),
    ("style.css", include_str!("../../themes/default/style.css")),
    ("book.js", include_str!("../../themes/default/book.js")),
    ("search.js", include_str!("../../themes/default/search.js")),
];

/// Theme files by name: `*.html` are templates, everything else is an asset copied to `assets/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Where each overriding file came from, for error messages.
    pub origins: BTreeMap<String, String>,
}

impl Theme {
    /// The embedded default theme.
    pub fn default_theme() -> Theme {
        Theme {
            files: DEFAULT_THEME
                .iter()
                .map(|(name, text)| (name.to_string(), text.as_bytes().to_vec()))
                .collect(),
            origins: BTreeMap::new(),
        }
    }

    /// The default theme with every file found in `dir` (top level) put in place of, or beside, its own.
    pub fn with_overrides(dir: &Path) -> Result<Theme, Fatal> {
        let display = dir.display().to_string();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Fatal::new(&display, format!("cannot read the theme folder: {e}")))?;
        let mut theme = Theme::default_theme();
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if !path.is_file() {
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| {
                Fatal::new(
                    path.display().to_string(),
                    format!("cannot read theme file: {e}"),
                )
            })?;
            theme
                .origins
                .insert(name.to_string(), path.display().to_string());
            theme.files.insert(name.to_string(), bytes);
        }
        Ok(theme)
    }

    /// Non-template files, to be written under `assets/`.
    pub fn assets(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .filter(|(name, _)| !name.ends_with(".html"))
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
    }

    fn origin(&self, name: &str) -> String {
        self.origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("<default theme>/{name}"))
    }
}

/// Compiled page templates.
pub struct Templates {
    tera: tera::Tera,
    theme: Theme,
}

impl Templates {
    /// Compile every template of the theme. A template that does not compile is a fatal error with its position.
    pub fn new(theme: &Theme) -> Result<Templates, Fatal> {
        let mut tera = tera::Tera::new();
        tera.autoescape_on([".html"]);
        let mut sources = Vec::new();
        for (name, bytes) in theme.files.iter().filter(|(n, _)| n.ends_with(".html")) {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Fatal::new(theme.origin(name), "template is not valid UTF-8"))?;
            sources.push((name.clone(), text.to_string()));
        }
        tera.add_raw_templates(sources)
            .map_err(|e| template_error(theme, &e))?;
        for required in ["index.html", "chapter.html"] {
            if !tera.contains_template(required) {
                return Err(Fatal::new(
                    theme.origin(required),
                    "the theme has no such template",
                ));
            }
        }
        Ok(Templates {
            tera,
            theme: theme.clone(),
        })
    }

    /// Render template `name` with `context` (any serialisable value with named fields).
    pub fn render(&self, name: &str, context: &impl serde::Serialize) -> Result<String, Fatal> {
        let context = self.context(name, context)?;
        self.render_context(name, &context)
    }

    /// The template context of `value` (a serialisable value with named fields), for template `name`.
    pub fn context(
        &self,
        name: &str,
        value: &impl serde::Serialize,
    ) -> Result<tera::Context, Fatal> {
        tera::Context::from_serialize(value).map_err(|e| {
            Fatal::new(
                self.theme.origin(name),
                format!("bad template context: {e}"),
            )
        })
    }

    /// Render template `name` with a prepared context.
    pub fn render_context(&self, name: &str, context: &tera::Context) -> Result<String, Fatal> {
        self.tera
            .render(name, context)
            .map_err(|e| template_error(&self.theme, &e))
    }
}

/// A tera error as a fatal diagnostic at `file:line:col` of the template.
fn template_error(theme: &Theme, error: &tera::Error) -> Fatal {
    match error.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            let span = report.span();
            Fatal(Diagnostic::error(
                theme.origin(report.filename()),
                span.start_line,
                span.start_col + 1,
                "template",
                format!("template error: {}", report.message()),
            ))
        }
        _ => Fatal::new(
            "<theme>",
            format!("template error: {}", first_line(&error.to_string())),
        ),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_compiles() {
        Templates::new(&Theme::default_theme()).unwrap();
    }

    #[test]
    fn broken_template_reports_its_position() {
        let mut theme = Theme::default_theme();
        theme
            .files
            .insert("index.html".into(), b"<p>\n{% for x in %}\n".to_vec());
        theme
            .origins
            .insert("index.html".into(), "mytheme/index.html".into());
        let Err(Fatal(d)) = Templates::new(&theme) else {
            panic!("a broken template compiled");
        };
        assert_eq!(d.path, "mytheme/index.html");
        assert_eq!(d.line, 2, "{d}");
    }
}
