//! Publishing on a web server, under a sub-path as on GitHub Pages: canonical links and a sitemap
//! (with a site URL), a 404 page that works at any depth, and `.nojekyll`.
//!
//! Pages keep their relative links, so the same output also works from disk.

use crate::diagnostics::Fatal;
use crate::model::Book;
use crate::render::print::Frame;
use crate::render::site::{Pages, Words};

/// Path of the page a server shows for a missing page.
pub const NOT_FOUND_PAGE: &str = "404.html";

/// The site URL as given (`https://user.github.io/repo`), checked and ending with `/`;
/// `source` names where it came from, for the error.
pub fn normalize_site_url(url: &str, source: &str) -> Result<String, Fatal> {
    let url = url.trim();
    let bad = |why: &str| {
        Fatal::new(
            source,
            format!("`{url}` is not a usable site URL: {why} (e.g. https://user.github.io/repo/)"),
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("it must start with https:// or http://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("it has no host"));
    }
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c == '"') {
        return Err(bad(
            "it must be a plain folder URL, without query, fragment or spaces",
        ));
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// The absolute URL of output file `path` under `site_url` (which ends with `/`); the index page is the site URL itself.
pub fn page_url(site_url: &str, path: &str) -> String {
    if path == "index.html" {
        return site_url.to_string();
    }
    let mut url = site_url.to_string();
    for &byte in path.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

pub(crate) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `sitemap.xml` listing every page of `pages` (the HTML pages written) by its absolute URL,
/// but the 404 page, which has no address of its own.
pub fn sitemap(pages: &[String], site_url: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in pages.iter().filter(|p| p.as_str() != NOT_FOUND_PAGE) {
        xml.push_str(&format!(
            "<url><loc>{}</loc></url>\n",
            xml_escape(&page_url(site_url, path))
        ));
    }
    xml.push_str("</urlset>\n");
    xml
}

/// Write the 404 page. Its links and assets start from the site URL, so it works at any depth of
/// the site; without one they are relative to the output root (right for a 404 at the top level).
pub fn write_not_found(book: &Book, lang: &str, pages: &Pages<'_>) -> Result<(), Fatal> {
    let words = Words::for_language(lang);
    let root = pages.site_url().unwrap_or("");
    let context = pages
        .templates()
        .context(NOT_FOUND_PAGE, &Frame::new(book, lang, root, &words))?;
    pages.page(NOT_FOUND_PAGE, NOT_FOUND_PAGE, &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls_are_checked_and_end_with_a_slash() {
        assert_eq!(
            normalize_site_url("https://u.github.io/repo", "t").unwrap(),
            "https://u.github.io/repo/"
        );
        assert_eq!(
            normalize_site_url(" http://localhost:8000/ ", "t").unwrap(),
            "http://localhost:8000/"
        );
        for bad in [
            "u.github.io/repo",
            "https://",
            "https:///x",
            "https://a/b?c",
        ] {
            assert!(normalize_site_url(bad, "t").is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn page_urls_are_percent_encoded_and_the_index_is_the_site_root() {
        let root = "https://u.github.io/r/";
        assert_eq!(page_url(root, "index.html"), root);
        assert_eq!(
            page_url(root, "chapters/pod 基础.html"),
            "https://u.github.io/r/chapters/pod%20%E5%9F%BA%E7%A1%80.html"
        );
    }

    #[test]
    fn the_sitemap_lists_every_page_but_the_404_page() {
        let root = "https://u.github.io/r/";
        let pages: Vec<String> = ["404.html", "chapters/a.html", "index.html"]
            .map(String::from)
            .into();
        let map = sitemap(&pages, root);
        assert_eq!(map.matches("<loc>").count(), 2, "{map}");
        assert!(map.contains("<loc>https://u.github.io/r/</loc>"));
        assert!(map.contains("<loc>https://u.github.io/r/chapters/a.html</loc>"));
    }
}
