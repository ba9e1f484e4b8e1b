//! Splitting text into lines with a vectorised search for the line breaks: repair reads every
//! note line by line several times, and `str::split` finds each break on its own.

/// The pieces of `text` between line feeds, as `text.split('\n')` gives them (a text ending with
/// a line feed ends with an empty piece).
pub fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    pieces(text).map(|(piece, _)| piece)
}

/// The lines of `text` as `text.lines()` gives them: without their `\n` or `\r\n`, and no empty
/// line after a final line break.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    pieces(text)
        .filter(|&(piece, ended)| ended || !piece.is_empty())
        .map(|(piece, ended)| {
            if ended {
                piece.strip_suffix('\r').unwrap_or(piece)
            } else {
                piece
            }
        })
}

/// [`split_lines`], each piece with whether a line feed ends it.
fn pieces(text: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut breaks = memchr::memchr_iter(b'\n', text.as_bytes());
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        match breaks.next() {
            Some(at) => {
                start = Some(at + 1);
                Some((&text[from..at], true))
            }
            None => {
                start = None;
                Some((&text[from..], false))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_as_by_the_standard_library() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "\n\nb\n\n",
            "a\r\nb\r\n",
            "\r",
            "a\r",
            "中\n文\r\n",
        ] {
            assert_eq!(
                split_lines(text).collect::<Vec<_>>(),
                text.split('\n').collect::<Vec<_>>(),
                "{text:?}"
            );
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_split_as_by_the_standard_library(text in "[a\n\r 中]{0,30}") {
            proptest::prop_assert_eq!(
                split_lines(&text).collect::<Vec<_>>(),
                text.split('\n').collect::<Vec<_>>()
            );
            proptest::prop_assert_eq!(
                lines(&text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>()
            );
        }
    }
}
