//! Rendering: Markdown to HTML, highlighting, sanitising, templates, and the pages of the site (no IO but reading a theme).

pub mod highlight;
pub mod markdown;
pub mod nesting;
pub mod print;
pub mod publish;
pub mod sanitize;
pub mod sink;
pub mod site;
pub mod templates;
