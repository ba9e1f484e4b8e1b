//! Raw HTML from notes is cleaned with ammonia: no script, event handlers or script URLs reach the page.

use std::sync::OnceLock;

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .add_tags([
                "pre",
                "code",
                "span",
                "div",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "input",
                "details",
                "summary",
                "kbd",
                "mark",
                "figure",
                "figcaption",
                "section",
                "sup",
                "sub",
                "font",
                "center",
                "u",
            ])
            .add_generic_attributes(["id", "class", "title", "lang", "align", "aria-hidden"])
            .add_tag_attributes("pre", ["data-lang"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("font", ["color"])
            .add_tag_attributes("a", ["rel"])
            .add_tag_attributes("details", ["open"])
            .link_rel(None)
            .strip_comments(true);
        builder
    })
}

/// Clean an HTML fragment. Text content, including `<pre>` blocks, is kept.
pub fn clean(html: &str) -> String {
    cleaner().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_scripts_handlers_and_script_urls() {
        let out = clean(
            "<p onclick=\"x()\">a</p><script>evil()</script><a href=\"javascript:x()\">l</a><img src=\"a.png\" onerror=\"x()\">",
        );
        assert!(!out.contains("onclick"));
        assert!(!out.contains("evil"));
        assert!(!out.contains("javascript"));
        assert!(!out.contains("onerror"));
        assert!(out.contains("<img src=\"a.png\">"));
    }

    #[test]
    fn keeps_our_markup() {
        let html = "<h2 id=\"pod\">Pod<a class=\"anchor\" href=\"#pod\" aria-hidden=\"true\">#</a></h2><pre class=\"hl\" data-lang=\"yaml\"><code><span class=\"hl-k\">a:</span>  b\n\n  c</code></pre>";
        assert_eq!(clean(html), html);
    }
}
