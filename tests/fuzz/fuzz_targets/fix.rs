//! Fuzz `studybook fix` on arbitrary bytes: decoding, front matter, repair and re-printing must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use studybook::load::decode::{Decoded, decode};
use studybook::model::SourceNote;

fuzz_target!(|data: &[u8]| {
    if let Decoded::Text { text, .. } = decode(data) {
        // The repair stages one by one: `fix` itself keeps a note whose repair fails, which would
        // hide the failure from the fuzzer.
        let _ = studybook::repair::structure::strip_page_chrome(&text);
        let _ = studybook::repair::detect::fence_code(&text);
        let _ = studybook::repair::structure::repair_structure(&text);
        let _ = studybook::repair::shell::repair_session(&text);
        let _ = studybook::repair::shell::repair_script(&text);
        let source = SourceNote {
            rel_path: "fuzz.md".into(),
            display_path: "fuzz.md".into(),
            text,
        };
        let (fixed, _, _) = studybook::fix_text(&source);
        // What fix prints is itself a note that fix accepts.
        let again = SourceNote {
            text: fixed,
            ..source
        };
        let _ = studybook::fix_text(&again);
    }
});
