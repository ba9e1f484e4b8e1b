//! Dockerfiles that lost line breaks: each instruction and each comment back on its own line.
//!
//! Pasting glues a comment to the instruction before it (`FROM node:20#install`) and an
//! instruction to the comment or instruction before it (`…correctlyRUN npm ci`,
//! `(npm@5+)RUN npm install`). A line is split before a `#` that follows text directly and starts a
//! comment (a space or a capital after it), and before an instruction word in capitals that
//! follows text directly and is followed by a space. Quoted text is never split, and nothing is
//! dropped or reordered: the lines joined again give the text back.

use super::Fix;
use super::shell::is_dockerfile_word;

/// The Dockerfile with glued instructions and comments split onto lines of their own.
pub fn repair_dockerfile(text: &str) -> (String, Vec<Fix>) {
    let mut out = Vec::new();
    let mut fixes = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let pieces = split_line(line);
        if pieces.len() > 1 {
            fixes.push(Fix::new(
                n + 1,
                "dockerfile-lines",
                format!(
                    "split a line into {} instructions and comments that had lost their line breaks",
                    pieces.len()
                ),
            ));
        }
        out.extend(pieces);
    }
    let mut fixed = out.join("\n");
    if text.ends_with('\n') {
        fixed.push('\n');
    }
    (fixed, fixes)
}

/// The pieces of one line: it is cut before each glued comment and each glued instruction.
fn split_line(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut cuts = Vec::new();
    let mut quote: Option<u8> = None;
    // A comment runs to the end of its line: quotes in it open nothing.
    let mut in_comment = line.trim_start().starts_with('#');
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(q) = quote {
            if b == q && bytes.get(i.wrapping_sub(1)) != Some(&b'\\') {
                quote = None;
            }
            continue;
        }
        let glued = i > 0 && !bytes[i - 1].is_ascii_whitespace();
        if b == b'#' && glued && starts_comment(&bytes[i + 1..]) && bytes[i - 1] != b'#' {
            cuts.push(i);
            in_comment = true;
            continue;
        }
        if glued && may_end_before_instruction(bytes[i - 1]) && instruction_at(&line[i..]) {
            cuts.push(i);
            in_comment = false;
            continue;
        }
        if !in_comment && (b == b'"' || b == b'\'') {
            quote = Some(b);
        }
    }
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for cut in cuts {
        pieces.push(&line[from..cut]);
        from = cut;
    }
    pieces.push(&line[from..]);
    pieces
}

/// Whether the text after a `#` reads as a comment: a space, or a capital starting a word.
fn starts_comment(after: &[u8]) -> bool {
    match after.first() {
        Some(b' ') => true,
        Some(c) if c.is_ascii_uppercase() => after.get(1).is_some_and(|n| n.is_ascii_alphabetic()),
        _ => false,
    }
}

/// Whether an instruction may start right after this character: the end of a word, a path, a
/// quote or a bracket, but not a capital or `_` (`MY_RUN`, `XRUN` are words of their own) nor the
/// `$`, `{` or `#` of a variable or a comment mark.
fn may_end_before_instruction(prev: u8) -> bool {
    prev.is_ascii_lowercase()
        || prev.is_ascii_digit()
        || matches!(
            prev,
            b'.' | b')' | b']' | b'}' | b':' | b'"' | b'\'' | b'>' | b'/'
        )
}

/// Whether `text` starts with an instruction word followed by a space.
fn instruction_at(text: &str) -> bool {
    let word_len = text.bytes().take_while(u8::is_ascii_uppercase).count();
    text[word_len..].starts_with(' ') && is_dockerfile_word(&text[..word_len])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(text: &str) -> String {
        repair_dockerfile(text).0
    }

    #[test]
    fn glued_comments_and_instructions_get_their_own_lines() {
        let text = "FROM python:3.12-slim#Build argument for the port\nARG APP_PORT#Show it in the build logRUN echo \"port: $APP_PORT\"# Where the code lives\nWORKDIR /srv/app#COPY . .COPY . .\n# Dependencies first# so that the layer is cached (pip>=23)RUN pip install -r requirements.txt#The port the app listens on:EXPOSE ${APP_PORT}\nCMD python app.py";
        let expected = "FROM python:3.12-slim\n#Build argument for the port\nARG APP_PORT\n#Show it in the build log\nRUN echo \"port: $APP_PORT\"\n# Where the code lives\nWORKDIR /srv/app\n#COPY . .\nCOPY . .\n# Dependencies first\n# so that the layer is cached (pip>=23)\nRUN pip install -r requirements.txt\n#The port the app listens on:\nEXPOSE ${APP_PORT}\nCMD python app.py";
        let (out, fixes) = repair_dockerfile(text);
        assert_eq!(out, expected);
        assert_eq!(
            fixes.iter().map(|f| f.line).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        // Nothing is dropped: the pieces are the lines as written.
        assert_eq!(out.replace('\n', ""), text.replace('\n', ""));
    }

    #[test]
    fn sound_dockerfiles_are_left_alone() {
        for text in [
            "FROM alpine:3.20\nRUN apk add --no-cache curl # curl for the health check\nCMD [\"sh\"]\n",
            "RUN echo \"#Hello\" > /etc/motd && echo 'use RUN twice'\n",
            "ADD https://example.com/archive.tar.gz#sha256 /tmp/\nENV MY_RUN 1\n",
            "# see issue#123 and the FROM line above\nLABEL org.opencontainers.image.title=\"web\"\n",
            "RUN make ${TARGET}#frag\n",
        ] {
            assert_eq!(repaired(text), text, "{text}");
        }
    }
}
