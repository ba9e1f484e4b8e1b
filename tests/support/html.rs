//! Small readers for built pages: attribute values (quoted or not, as minified HTML has them) and the `<main>` element.

/// Every value of attribute `name` in `html`, entity-decoded (`&amp;`, `&quot;`, `&#39;`).
pub fn attr_values(html: &str, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    let bytes = html.as_bytes();
    let needle = format!("{name}=");
    let mut from = 0;
    while let Some(pos) = html[from..].find(&needle) {
        let at = from + pos;
        from = at + needle.len();
        // Only a real attribute: preceded by whitespace inside a tag.
        if at == 0 || !bytes[at - 1].is_ascii_whitespace() || !inside_tag(html, at) {
            continue;
        }
        let rest = &html[from..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        values.push(decode_entities(value));
    }
    values
}

fn inside_tag(html: &str, at: usize) -> bool {
    let before = &html[..at];
    match (before.rfind('<'), before.rfind('>')) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    }
}

pub fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Percent-decoding of a URL path or fragment.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `<main …>…</main>` element of a page.
pub fn main_element(html: &str) -> &str {
    let start = html.find("<main").expect("the page has a <main>");
    let end = html[start..].find("</main>").expect("<main> is closed") + start + "</main>".len();
    &html[start..end]
}
