//! A Fix: one repair made to a note, with its line and rule name, for `studybook fix --explain` and the build report.

/// One repair. `line` is 1-based in the text the repair stage was given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fix {
    pub line: usize,
    /// Kebab-case rule name, e.g. `glued-prompt`, `numbered-heading`.
    pub rule: &'static str,
    /// What was done, for a reader.
    pub message: String,
}

impl Fix {
    pub fn new(line: usize, rule: &'static str, message: impl Into<String>) -> Fix {
        Fix {
            line,
            rule,
            message: message.into(),
        }
    }
}
