//! Diagnostics: what a stage reports about a note, printed as `path:line:col: severity: message`.

use std::fmt;

/// How serious a diagnostic is. Warnings never fail a build; errors are fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One message about one place in one file. `line` and `col` are 1-based; 0 means "the whole file".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub severity: Severity,
    /// A short kebab-case name of the rule or check that produced it.
    pub rule: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn warning(
        path: impl Into<String>,
        line: usize,
        col: usize,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.into(),
            line,
            col,
            severity: Severity::Warning,
            rule,
            message: message.into(),
        }
    }

    pub fn error(
        path: impl Into<String>,
        line: usize,
        col: usize,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            ..Diagnostic::warning(path, line, col, rule, message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path,
            self.line.max(1),
            self.col.max(1),
            self.severity,
            self.message
        )
    }
}

/// A fatal failure of a command: the diagnostic that explains it.
#[derive(Debug, Clone)]
pub struct Fatal(pub Diagnostic);

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Fatal {}

impl Fatal {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Fatal(Diagnostic::error(path, 0, 0, "fatal", message))
    }
}
