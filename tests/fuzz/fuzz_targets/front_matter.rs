//! Fuzz front matter splitting and parsing on arbitrary text: never panics, always yields metadata.
#![no_main]

use libfuzzer_sys::fuzz_target;
use studybook::load::frontmatter::{parse, split};

fuzz_target!(|text: &str| {
    let parts = split(text);
    let _ = parse(&parts, "fuzz.md");
});
