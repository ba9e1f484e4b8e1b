//! The site: every page and asset of the book as bytes, rendered from the Book with the theme's templates (no IO).

use crate::diagnostics::Fatal;
use crate::model::{Book, Chapter, Heading};
use crate::render::highlight::Highlighter;
use crate::render::templates::{Templates, Theme};
use serde::Serialize;
use std::collections::BTreeMap;

/// Files of the site by path relative to the output folder (`/` separators).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Interface words, in the book's language.
#[derive(Debug, Clone, Serialize)]
pub struct Words {
    pub home: &'static str,
    pub chapters: &'static str,
    pub chapter_count: &'static str,
    pub on_this_page: &'static str,
    pub prev: &'static str,
    pub next: &'static str,
    pub menu: &'static str,
    pub theme: &'static str,
    pub skip: &'static str,
    pub glossary: &'static str,
    pub terms: &'static str,
    pub letter_index: &'static str,
    pub explained_in: &'static str,
    pub mentioned_in: &'static str,
    pub comparisons: &'static str,
    pub comparison_count: &'static str,
    pub review: &'static str,
    pub question_count: &'static str,
    pub reveal: &'static str,
    pub known: &'static str,
    pub again: &'static str,
    pub study: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub search_none: &'static str,
    pub search_unavailable: &'static str,
    pub print: &'static str,
    pub not_found: &'static str,
    pub not_found_hint: &'static str,
}

impl Words {
    pub fn for_language(lang: &str) -> Words {
        if lang.starts_with("zh") {
            Words {
                home: "目录",
                chapters: "章节",
                chapter_count: "章",
                on_this_page: "本页内容",
                prev: "上一章",
                next: "下一章",
                menu: "显示/隐藏目录",
                theme: "切换明暗主题",
                skip: "跳到正文",
                glossary: "术语表",
                terms: "个术语",
                letter_index: "按字母查找",
                explained_in: "讲解：",
                mentioned_in: "提到：",
                comparisons: "对比",
                comparison_count: "组对比",
                review: "自测",
                question_count: "道题",
                reveal: "显示答案",
                known: "会了",
                again: "再复习",
                study: "学习工具",
                search: "搜索",
                search_placeholder: "搜索（按 / 键）",
                search_none: "没有找到相关内容。",
                search_unavailable: "搜索索引不可用。",
                print: "打印 / PDF",
                not_found: "页面不存在",
                not_found_hint: "这个地址没有页面，可能已经改名或删除。",
            }
        } else {
            Words {
                home: "Contents",
                chapters: "Chapters",
                chapter_count: "chapters",
                on_this_page: "On this page",
                prev: "Previous",
                next: "Next",
                menu: "Toggle the chapter list",
                theme: "Toggle light/dark theme",
                skip: "Skip to content",
                glossary: "Glossary",
                terms: "terms",
                letter_index: "Letter index",
                explained_in: "Explained in: ",
                mentioned_in: "Mentioned in: ",
                comparisons: "Comparisons",
                comparison_count: "comparisons",
                review: "Self-test",
                question_count: "questions",
                reveal: "Show answer",
                known: "Knew it",
                again: "Review again",
                study: "Study",
                search: "Search",
                search_placeholder: "Search (press /)",
                search_none: "No results.",
                search_unavailable: "The search index is unavailable.",
                print: "Print / PDF",
                not_found: "Page not found",
                not_found_hint: "There is no page at this address; it may have been renamed or removed.",
            }
        }
    }
}

#[derive(Serialize)]
struct ChapterLink<'a> {
    slug: &'a str,
    title: &'a str,
    date: &'a Option<String>,
    tags: &'a [String],
}

#[derive(Serialize)]
struct NavLink<'a> {
    href: String,
    title: &'a str,
}

#[derive(Serialize)]
struct TocEntry<'a> {
    id: &'a str,
    text: &'a str,
    depth: u8,
}

#[derive(Serialize)]
struct PageContext<'a> {
    lang: &'a str,
    book_title: &'a str,
    /// Path from the page to the output root: "" or "../".
    root: &'a str,
    /// Slug of the current chapter, "" on other pages.
    current: &'a str,
    t: &'a Words,
    chapters: &'a [ChapterLink<'a>],
    chapter: Option<&'a Chapter>,
    toc: Vec<TocEntry<'a>>,
    prev: Option<NavLink<'a>>,
    next: Option<NavLink<'a>>,
    /// The glossary, comparisons and questions, on the pages that show them.
    knowledge: Option<&'a crate::knowledge::Knowledge>,
    /// The sidebar's chapter list comes from `assets/toc.js` (large books), not from each page.
    sidebar_script: bool,
}

/// Books with more chapters than this list them in the sidebar from one shared script, so each
/// page does not repeat the whole list.
pub const SIDEBAR_INLINE_MAX: usize = 200;

/// `assets/toc.js`: the chapters for the sidebar of a large book.
fn toc_script(book: &Book) -> String {
    let list: Vec<[&str; 2]> = book
        .chapters
        .iter()
        .map(|c| [c.slug.as_str(), c.title.as_str()])
        .collect();
    let json = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
    // `</script>` cannot end the data early: `<` is escaped.
    format!("window.studybookToc = {};\n", json.replace('<', "\\u003c"))
}

/// The headings shown in a chapter's table of contents: the top three levels present in it.
fn toc(headings: &[Heading]) -> Vec<TocEntry<'_>> {
    let Some(top) = headings.iter().map(|h| h.level).min() else {
        return Vec::new();
    };
    headings
        .iter()
        .filter(|h| h.level <= top + 2)
        .map(|h| TocEntry {
            id: &h.id,
            text: &h.text,
            depth: h.level - top + 1,
        })
        .collect()
}

/// Render every page of the book, minified when `minify_pages` is set; assets are copied as they are.
pub fn render_site(
    book: &Book,
    lang: &str,
    theme: &Theme,
    templates: &Templates,
    highlighter: &Highlighter,
    minify_pages: bool,
) -> Result<Site, Fatal> {
    let finish = |html: String| {
        if minify_pages {
            minify(&html)
        } else {
            html.into_bytes()
        }
    };
    use rayon::prelude::*;
    let words = Words::for_language(lang);
    let links: Vec<ChapterLink<'_>> = book
        .chapters
        .iter()
        .map(|c| ChapterLink {
            slug: &c.slug,
            title: &c.title,
            date: &c.date,
            tags: &c.tags,
        })
        .collect();
    let sidebar_script = book.chapters.len() > SIDEBAR_INLINE_MAX;
    let base = |root: &'static str, current: &'static str| PageContext {
        lang,
        book_title: &book.title,
        root,
        current,
        t: &words,
        chapters: &links,
        chapter: None,
        toc: Vec::new(),
        prev: None,
        next: None,
        knowledge: None,
        sidebar_script,
    };

    let mut site = Site::default();
    let index = templates.render("index.html", &base("", ""))?;
    site.files.insert("index.html".into(), finish(index));
    for page in ["glossary.html", "comparisons.html", "review.html"] {
        let context = PageContext {
            knowledge: Some(&book.knowledge),
            ..base("", page)
        };
        let html = templates.render(page, &context)?;
        site.files.insert(page.into(), finish(html));
    }

    let pages: Vec<Result<(String, Vec<u8>), Fatal>> = book
        .chapters
        .par_iter()
        .enumerate()
        .map(|(i, chapter)| {
            let prev = match i.checked_sub(1) {
                Some(p) => Some(NavLink {
                    href: format!("{}.html", book.chapters[p].slug),
                    title: &book.chapters[p].title,
                }),
                None => Some(NavLink {
                    href: "../index.html".into(),
                    title: words.home,
                }),
            };
            let next = book.chapters.get(i + 1).map(|n| NavLink {
                href: format!("{}.html", n.slug),
                title: &n.title,
            });
            let context = PageContext {
                current: &chapter.slug,
                chapter: Some(chapter),
                toc: toc(&chapter.headings),
                prev,
                next,
                ..base("../", "")
            };
            let html = templates.render("chapter.html", &context)?;
            Ok((format!("chapters/{}.html", chapter.slug), finish(html)))
        })
        .collect();
    for page in pages {
        let (path, bytes) = page?;
        site.files.insert(path, bytes);
    }

    if sidebar_script {
        site.files
            .insert("assets/toc.js".into(), toc_script(book).into_bytes());
    }
    for (name, bytes) in theme.assets() {
        site.files.insert(format!("assets/{name}"), bytes.to_vec());
    }
    site.files.insert(
        "assets/highlight.css".into(),
        highlighter.css().into_bytes(),
    );
    site.files.insert(
        crate::search::INDEX_PATH.into(),
        crate::search::index_script(book),
    );
    Ok(site)
}

/// Minify a page; `<pre>` content and scripts are left as they are.
pub fn minify(html: &str) -> Vec<u8> {
    let mut cfg = minify_html::Cfg::new();
    cfg.minify_css = true;
    cfg.minify_js = false;
    cfg.keep_closing_tags = true;
    cfg.keep_html_and_head_opening_tags = true;
    minify_html::minify(html.as_bytes(), &cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_pre_content_byte_for_byte() {
        let code = "<code>  a:\n    b: 1   # c\n\n\tx &lt;y&gt;\n</code>";
        let out = String::from_utf8(minify(&format!(
            "<p>  x  </p>\n<pre class=\"hl\">{code}</pre>\n"
        )))
        .unwrap();
        // Entities may be shortened (`&gt;` to `>`); the text a reader sees is unchanged.
        assert!(out.contains(&code.replace("&gt;", ">")), "{out}");
    }

    #[test]
    fn toc_takes_the_top_three_levels() {
        let h = |level, id: &str| Heading {
            level,
            text: id.into(),
            id: id.into(),
        };
        let headings = [h(2, "a"), h(3, "b"), h(4, "c"), h(5, "d")];
        let entries = toc(&headings);
        let ids: Vec<_> = entries.iter().map(|e| (e.id, e.depth)).collect();
        assert_eq!(ids, [("a", 1), ("b", 2), ("c", 3)]);
    }
}
