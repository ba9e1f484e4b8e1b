//! Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030 fallback; CRLF and CR become LF.

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};

/// The outcome of decoding a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Text, with a warning when it was not plain UTF-8.
    Text {
        text: String,
        warning: Option<String>,
    },
    /// Not a text file (binary content).
    Binary,
}

/// Decode a note's bytes. Never fails: undecodable text is decoded lossily with a warning.
pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8_or_fallback(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, UTF_16LE, "UTF-16LE");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, UTF_16BE, "UTF-16BE");
    }
    if looks_binary(bytes) {
        return Decoded::Binary;
    }
    utf8_or_fallback(bytes)
}

fn utf16(bytes: &[u8], encoding: &'static Encoding, name: &str) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let warning = if had_errors {
        format!("decoded as {name} with invalid sequences replaced by U+FFFD")
    } else {
        format!("decoded as {name}; consider saving the note as UTF-8")
    };
    Decoded::Text {
        text: normalize_newlines(&text),
        warning: Some(warning),
    }
}

fn utf8_or_fallback(bytes: &[u8]) -> Decoded {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded::Text {
            text: normalize_newlines(text),
            warning: None,
        };
    }
    if let Some(text) = GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        return Decoded::Text {
            text: normalize_newlines(&text),
            warning: Some("not valid UTF-8; decoded as GB18030".to_string()),
        };
    }
    Decoded::Text {
        text: normalize_newlines(&String::from_utf8_lossy(bytes)),
        warning: Some(
            "neither UTF-8 nor GB18030; undecodable bytes replaced by U+FFFD".to_string(),
        ),
    }
}

/// A NUL byte, or many control bytes, in the first 8 KiB mean binary (images, archives, PDFs).
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    !head.is_empty() && control * 10 > head.len()
}

/// CRLF and lone CR become LF.
pub fn normalize_newlines(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_string();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(d: Decoded) -> (String, Option<String>) {
        match d {
            Decoded::Text { text, warning } => (text, warning),
            Decoded::Binary => panic!("decoded as binary"),
        }
    }

    #[test]
    fn utf8_with_bom_and_crlf() {
        let (t, w) = text(decode(b"\xEF\xBB\xBFa\r\nb\rc"));
        assert_eq!(t, "a\nb\nc");
        assert_eq!(w, None);
    }

    #[test]
    fn utf16le_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "标题\r\nx".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (t, w) = text(decode(&bytes));
        assert_eq!(t, "标题\nx");
        assert!(w.unwrap().contains("UTF-16LE"));
    }

    #[test]
    fn utf16be_with_bom() {
        let mut bytes = vec![0xFE, 0xFF];
        for u in "卷".encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(text(decode(&bytes)).0, "卷");
    }

    #[test]
    fn gb18030_fallback() {
        let (encoded, _, _) = GB18030.encode("持久卷 PV");
        let (t, w) = text(decode(&encoded));
        assert_eq!(t, "持久卷 PV");
        assert!(w.unwrap().contains("GB18030"));
    }

    #[test]
    fn binary_is_detected() {
        assert_eq!(decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Decoded::Binary);
    }

    #[test]
    fn empty_file_is_text() {
        assert_eq!(text(decode(b"")).0, "");
    }
}
