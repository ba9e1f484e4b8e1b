//! End-to-end checks of a built book in headless Chromium, opened from disk over `file://`.

mod support;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use support::cdp::Page;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/browser_book");

/// Chapter titles of the fixture, in reading order.
const TITLES: [&str; 3] = ["入门", "存储卷", "Network"];

const SIDEBAR_LINKS: &str = "nav#sidebar a.chapter-link";
const INDEX_LIST_LINKS: &str = "main ol.chapter-list a.chapter-link";
const CHAPTER_TITLE: &str = "main#content h1.chapter-title";

/// Builds the fixture, opens its `index.html` in a fresh tab, runs `scenario`, and finally
/// requires that the browser saw no errors (exceptions, console errors, failed loads).
fn with_book(test_name: &str, scenario: impl FnOnce(&Page, &Path)) {
    let Some(browser) = support::browser_or_skip(test_name) else {
        return;
    };
    let (_tmp, out_dir) = support::build_book(Path::new(FIXTURE));
    let page = browser.new_page().expect("open a browser tab");
    let index = support::file_url(&out_dir.join("index.html"));
    page.goto(&index)
        .unwrap_or_else(|e| panic!("open {index}: {e}"));
    assert_page_loaded_cleanly(&page);
    scenario(&page, &out_dir);
    let problems = page.problems().expect("read the page's problems");
    assert!(
        problems.is_empty(),
        "the book reported problems in the browser:\n  {}",
        problems.join("\n  ")
    );
}

/// Evaluates `js` on the page, panicking with the page URL on a JavaScript error.
fn eval(page: &Page, js: &str) -> Value {
    page.eval(js)
        .unwrap_or_else(|e| panic!("on {}: {e}", current_url(page)))
}

fn current_url(page: &Page) -> String {
    page.url()
        .unwrap_or_else(|e| format!("(unknown page: {e})"))
}

/// A JavaScript string literal for `text`.
fn js_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn strings(value: Value) -> Vec<String> {
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("expected a list of strings, got {value}: {e}"))
}

/// Trimmed text of every element matching `selector`.
fn texts(page: &Page, selector: &str) -> Vec<String> {
    strings(eval(
        page,
        &format!(
            "Array.from(document.querySelectorAll({}), el => el.textContent.trim())",
            js_string(selector)
        ),
    ))
}

/// `attribute` as written in the HTML, for every element matching `selector`.
fn attributes(page: &Page, selector: &str, attribute: &str) -> Vec<String> {
    strings(eval(
        page,
        &format!(
            "Array.from(document.querySelectorAll({}), el => el.getAttribute({}) ?? '')",
            js_string(selector),
            js_string(attribute)
        ),
    ))
}

/// Resolved (absolute) `href` of every link matching `selector`.
fn resolved_hrefs(page: &Page, selector: &str) -> Vec<String> {
    strings(eval(
        page,
        &format!(
            "Array.from(document.querySelectorAll({}), a => a.href)",
            js_string(selector)
        ),
    ))
}

/// Clicks the first element matching `selector` and waits for the page it opens.
fn click_through(page: &Page, selector: &str) {
    let from = current_url(page);
    page.click_and_wait_load(selector)
        .unwrap_or_else(|e| panic!("click `{selector}` on {from}: {e}"));
    assert_page_loaded_cleanly(page);
}

/// Clicks the `n`th (0-based) element matching `selector` and waits for the page it opens.
fn click_nth_through(page: &Page, selector: &str, n: usize) {
    let marked = eval(
        page,
        &format!(
            "(() => {{ const el = document.querySelectorAll({})[{n}]; \
             if (!el) return false; el.setAttribute('data-test-click', ''); return true; }})()",
            js_string(selector)
        ),
    );
    assert_eq!(
        marked,
        Value::Bool(true),
        "no element #{n} for `{selector}` on {}",
        current_url(page)
    );
    click_through(page, "[data-test-click]");
}

/// Text of the chapter page's `h1.chapter-title` inside `main#content`.
fn chapter_title(page: &Page) -> String {
    let title = eval(
        page,
        &format!(
            "document.querySelector({})?.textContent.trim() ?? null",
            js_string(CHAPTER_TITLE)
        ),
    );
    match title {
        Value::String(title) => title,
        _ => panic!(
            "no `{CHAPTER_TITLE}` on {}; the page body starts with:\n{}",
            current_url(page),
            eval(page, "document.body.outerHTML.slice(0, 1500)")
        ),
    }
}

/// The document finished loading, is decoded as UTF-8, and its stylesheets and images loaded.
fn assert_page_loaded_cleanly(page: &Page) {
    let issues = strings(eval(
        page,
        r#"(() => {
            const issues = [];
            if (document.readyState !== 'complete') issues.push('readyState is ' + document.readyState);
            if (document.characterSet !== 'UTF-8') issues.push('decoded as ' + document.characterSet);
            for (const link of document.querySelectorAll('link[rel~="stylesheet"]'))
                if (!link.sheet) issues.push('stylesheet not loaded: ' + link.href);
            for (const img of document.images)
                if (img.complete && img.naturalWidth === 0) issues.push('image not loaded: ' + img.src);
            return issues;
        })()"#,
    ));
    assert!(
        issues.is_empty(),
        "{} did not load cleanly:\n  {}",
        current_url(page),
        issues.join("\n  ")
    );
}

/// Local path of a `file://` URL (query and fragment dropped, percent-escapes decoded).
fn file_url_to_path(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("file://")
        .unwrap_or_else(|| panic!("not a file:// URL: {url}"));
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| rest.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    PathBuf::from(OsString::from_vec(decoded))
}

#[test]
fn index_lists_chapters_in_order() {
    with_book("index_lists_chapters_in_order", |page, out_dir| {
        let title = eval(page, "document.title.trim()");
        assert!(
            title.as_str().is_some_and(|t| !t.is_empty()),
            "index.html has an empty <title>"
        );
        let heading = eval(
            page,
            r#"(() => {
                const h = document.querySelector('h1');
                if (!h) return null;
                const box = h.getBoundingClientRect();
                return { text: h.textContent.trim(),
                         visible: box.width > 0 && box.height > 0
                                  && getComputedStyle(h).visibility !== 'hidden' };
            })()"#,
        );
        assert!(
            heading["text"].as_str().is_some_and(|t| !t.is_empty()) && heading["visible"] == true,
            "index.html should show a non-empty <h1>, got {heading}"
        );

        for list in [SIDEBAR_LINKS, INDEX_LIST_LINKS] {
            assert_eq!(
                texts(page, list),
                TITLES,
                "chapter links `{list}` on index.html"
            );
            for href in attributes(page, list, "href") {
                let slug = href
                    .strip_prefix("chapters/")
                    .and_then(|rest| rest.strip_suffix(".html"));
                assert!(
                    slug.is_some_and(|s| !s.is_empty() && !s.contains('/')),
                    "`{list}` link href should be relative `chapters/<slug>.html`, got {href:?}"
                );
            }
        }
        let sidebar = resolved_hrefs(page, SIDEBAR_LINKS);
        assert_eq!(
            sidebar,
            resolved_hrefs(page, INDEX_LIST_LINKS),
            "the sidebar and the index list should link to the same pages"
        );
        for url in &sidebar {
            let path = file_url_to_path(url);
            assert!(
                path.starts_with(out_dir.join("chapters")) && path.is_file(),
                "chapter link {url} should point to an existing page under {}",
                out_dir.join("chapters").display()
            );
        }
    });
}

#[test]
fn index_link_opens_first_chapter() {
    with_book("index_link_opens_first_chapter", |page, _| {
        let target = resolved_hrefs(page, INDEX_LIST_LINKS)
            .into_iter()
            .next()
            .expect("index.html has chapter links");
        click_through(page, "main a.chapter-link");
        assert_eq!(current_url(page), target);
        assert_eq!(chapter_title(page), TITLES[0]);
    });
}

#[test]
fn next_link_opens_following_chapter() {
    with_book("next_link_opens_following_chapter", |page, _| {
        click_through(page, "main a.chapter-link");
        assert_eq!(chapter_title(page), TITLES[0]);
        click_through(page, "a[rel=next]");
        assert_eq!(chapter_title(page), TITLES[1]);
    });
}

#[test]
fn prev_link_returns_to_previous_chapter() {
    with_book("prev_link_returns_to_previous_chapter", |page, _| {
        click_through(page, "main a.chapter-link");
        let first = current_url(page);
        click_through(page, "a[rel=next]");
        assert_eq!(chapter_title(page), TITLES[1]);
        click_through(page, "a[rel=prev]");
        assert_eq!(chapter_title(page), TITLES[0]);
        assert_eq!(current_url(page), first);
    });
}

#[test]
fn first_and_last_chapters_end_the_chain() {
    with_book("first_and_last_chapters_end_the_chain", |page, out_dir| {
        let index = support::file_url(&out_dir.join("index.html"));
        click_through(page, "main a.chapter-link");
        assert_eq!(chapter_title(page), TITLES[0]);
        for prev in resolved_hrefs(page, "a[rel=prev]") {
            assert_eq!(
                prev, index,
                "the first chapter's prev link may only lead back to index.html"
            );
        }
        for expected in &TITLES[1..] {
            click_through(page, "a[rel=next]");
            assert_eq!(chapter_title(page), *expected);
        }
        assert_eq!(
            resolved_hrefs(page, "a[rel=next]"),
            Vec::<String>::new(),
            "the last chapter should have no next link"
        );
    });
}

#[test]
fn sidebar_links_work_from_chapter_pages() {
    with_book("sidebar_links_work_from_chapter_pages", |page, _| {
        let from_index = resolved_hrefs(page, SIDEBAR_LINKS);
        click_through(page, "main a.chapter-link");
        assert_eq!(
            texts(page, SIDEBAR_LINKS),
            TITLES,
            "sidebar on a chapter page"
        );
        assert_eq!(
            resolved_hrefs(page, SIDEBAR_LINKS),
            from_index,
            "the sidebar of a chapter page should lead to the same pages as the index's"
        );
        click_nth_through(page, SIDEBAR_LINKS, 2);
        assert_eq!(chapter_title(page), TITLES[2]);
    });
}

#[test]
fn toc_link_jumps_to_its_heading() {
    with_book("toc_link_jumps_to_its_heading", |page, _| {
        click_through(page, "main a.chapter-link");
        assert_eq!(chapter_title(page), TITLES[0]);

        let pod_id = eval(
            page,
            "Array.from(document.querySelectorAll('main#content h2'))\
             .find(h => h.textContent.includes('什么是 Pod'))?.id ?? null",
        );
        let pod_id = pod_id.as_str().unwrap_or_default();
        assert!(
            pod_id.contains("什么是") && pod_id.to_lowercase().contains("pod"),
            "heading `什么是 Pod` should have an id keeping its Chinese text, got {pod_id:?}"
        );

        let toc = attributes(page, "nav.toc a", "href");
        assert!(
            toc.len() >= 2,
            "nav.toc should list the headings, got {toc:?}"
        );
        let missing = strings(eval(
            page,
            "Array.from(document.querySelectorAll('nav.toc a'), a => a.getAttribute('href'))\
             .filter(h => !h.startsWith('#') \
                          || !document.getElementById(decodeURIComponent(h.slice(1))))",
        ));
        assert!(
            missing.is_empty(),
            "nav.toc links should be `#id` of elements on the page; broken: {missing:?}"
        );

        // Follow the link to `Service 与 Deployment`: a space and Chinese in one id.
        let target_id = eval(
            page,
            r#"(() => {
                const h = Array.from(document.querySelectorAll('main#content h2'))
                    .find(h => h.textContent.includes('Service 与 Deployment'));
                if (!h) return null;
                const link = Array.from(document.querySelectorAll('nav.toc a'))
                    .find(a => decodeURIComponent(a.getAttribute('href').slice(1)) === h.id);
                if (!link) return null;
                link.setAttribute('data-test-toc', '');
                return h.id;
            })()"#,
        );
        let target_id = target_id.as_str().unwrap_or_else(|| {
            panic!("nav.toc has no link to the heading `Service 与 Deployment`; links: {toc:?}")
        });
        page.click("[data-test-toc]").expect("click the toc link");
        let hash = page
            .wait_for("location.hash", page.timeout())
            .unwrap_or_else(|e| panic!("clicking a toc link should set location.hash: {e}"));
        let landed = eval(
            page,
            r#"(() => {
                const id = decodeURIComponent(location.hash.slice(1));
                const el = document.getElementById(id);
                const top = el ? el.getBoundingClientRect().top : null;
                return { id, exists: !!el, targeted: !!el && el.matches(':target'),
                         inView: top !== null && top > -2 && top < innerHeight };
            })()"#,
        );
        assert_eq!(
            landed["id"], target_id,
            "location.hash after the click was {hash}"
        );
        assert_eq!(landed["exists"], true, "no element has the id of {hash}");
        assert_eq!(landed["targeted"], true, "{hash} should match :target");
        assert_eq!(
            landed["inView"], true,
            "{hash} should be scrolled into view: {landed}"
        );
    });
}

#[test]
fn yaml_code_is_highlighted() {
    with_book("yaml_code_is_highlighted", |page, _| {
        click_through(page, "main a.chapter-link");
        assert_eq!(chapter_title(page), TITLES[0]);
        let code = eval(
            page,
            r#"(() => {
                const blocks = Array.from(document.querySelectorAll('pre.hl[data-lang="yaml"]'));
                const spans = blocks.flatMap(pre =>
                    Array.from(pre.querySelectorAll('code span[class^="hl-"]')));
                const colored = spans.filter(span =>
                    getComputedStyle(span).color
                        !== getComputedStyle(span.closest('pre')).color);
                return { blocks: blocks.length, spans: spans.length, colored: colored.length,
                         text: blocks.map(pre => pre.textContent).join('\n') };
            })()"#,
        );
        assert_eq!(
            code["blocks"], 2,
            "two `pre.hl[data-lang=yaml]` blocks: {code}"
        );
        let text = code["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("apiVersion: v1") && text.contains("containerPort: 80"),
            "highlighting must keep the code text intact, got:\n{text}"
        );
        assert!(
            code["spans"].as_u64().unwrap_or(0) > 0,
            "yaml code should contain `span[class^=hl-]` tokens: {code}"
        );
        assert!(
            code["colored"].as_u64().unwrap_or(0) > 0,
            "some highlighted token should be coloured differently from plain code text: {code}"
        );
    });
}

#[test]
fn glued_session_is_repaired_styled_and_copies_only_its_commands() {
    with_book(
        "glued_session_is_repaired_styled_and_copies_only_its_commands",
        |page, _| {
            click_nth_through(page, "main a.chapter-link", 2);
            assert_eq!(chapter_title(page), TITLES[2]);
            let session = eval(
                page,
                r#"(() => {
                const pre = document.querySelector('pre.hl[data-lang="console"]');
                if (!pre) { return null; }
                const prompts = Array.from(pre.querySelectorAll('.hl-prompt'));
                const commands = Array.from(pre.querySelectorAll('.hl-cmd'));
                const outputs = Array.from(pre.querySelectorAll('.hl-output'));
                const style = el => getComputedStyle(el);
                const button = pre.querySelector('.copy-button');
                button.click();
                return {
                    prompts: prompts.map(p => p.textContent),
                    commands: commands.map(c => c.textContent.trim()),
                    outputs: outputs.map(o => o.textContent.trim()),
                    promptSelectable: style(prompts[0]).userSelect,
                    outputColor: style(outputs[0]).color,
                    commandColor: style(commands[0]).color,
                    copied: button.getAttribute('data-copied'),
                };
            })()"#,
            );
            assert!(!session.is_null(), "no console block on the page");
            assert_eq!(
                strings(session["commands"].clone()),
                ["kubectl get pods", "kubectl get svc web"],
                "one command per prompt line: {session}"
            );
            assert_eq!(
                strings(session["prompts"].clone()).len(),
                2,
                "each command keeps its prompt: {session}"
            );
            assert!(
                strings(session["outputs"].clone())
                    .iter()
                    .any(|o| o.starts_with("web")),
                "program output is marked as output: {session}"
            );
            assert_eq!(session["promptSelectable"], "none", "{session}");
            assert_ne!(
                session["outputColor"], session["commandColor"],
                "output and commands look different: {session}"
            );
            assert_eq!(
                session["copied"], "kubectl get pods\nkubectl get svc web",
                "the copy button copies the commands only: {session}"
            );
        },
    );
}

#[test]
fn print_link_opens_the_whole_book_on_one_page() {
    with_book(
        "print_link_opens_the_whole_book_on_one_page",
        |page, _out| {
            page.click_and_wait_load("main a.print-link")
                .expect("follow the print link");
            assert_page_loaded_cleanly(page);
            assert!(current_url(page).ends_with("/print.html"));
            let sections = texts(page, "section.print-chapter h1.chapter-title");
            assert_eq!(sections, TITLES);
            // Contents links land on their sections, which hold the chapter's headings.
            let targets = strings(eval(
                page,
                "Array.from(document.querySelectorAll('.print-toc a'), a => \
             document.getElementById(decodeURIComponent(a.hash.slice(1))) ? '' : a.hash)",
            ));
            assert!(targets.iter().all(String::is_empty), "{targets:?}");
            assert_eq!(
                attributes(page, "#sidebar a.sidebar-print", "href"),
                ["print.html"]
            );
        },
    );
}

#[test]
fn print_media_hides_the_chrome_and_wraps_code() {
    let Some(browser) = support::browser_or_skip("print_media_hides_the_chrome_and_wraps_code")
    else {
        return;
    };
    let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("notes");
    let (_tmp, out_dir) = support::build_book(&notes);
    let page = browser.new_page().expect("open a browser tab");
    let url = support::file_url(&out_dir.join("print.html"));
    page.goto(&url)
        .unwrap_or_else(|e| panic!("open {url}: {e}"));
    let overflowing = "Array.from(document.querySelectorAll('pre')).filter(p => p.scrollWidth > p.clientWidth).length";
    let before = eval(&page, overflowing).as_u64().unwrap();
    assert!(
        before > 0,
        "no code block overflows on screen: nothing to check"
    );
    page.call(
        "Emulation.setEmulatedMedia",
        serde_json::json!({ "media": "print" }),
    )
    .expect("emulate print media");
    assert_eq!(
        eval(&page, overflowing).as_u64(),
        Some(0),
        "code is cut off in print"
    );
    for hidden in ["#sidebar", ".topbar", ".copy-button"] {
        let display = eval(
            &page,
            &format!(
                "Array.from(document.querySelectorAll({}), e => getComputedStyle(e).display)",
                js_string(hidden)
            ),
        );
        let display = strings(display);
        assert!(!display.is_empty(), "no {hidden} on the print page");
        assert!(
            display.iter().all(|d| d == "none"),
            "{hidden} shows in print: {display:?}"
        );
    }
    let breaks = strings(eval(
        &page,
        "Array.from(document.querySelectorAll('section.print-chapter'), s => getComputedStyle(s).breakBefore)",
    ));
    assert!(
        breaks.len() > 1 && breaks.iter().all(|b| b == "page"),
        "{breaks:?}"
    );
    let after = eval(
        &page,
        "(() => { const a = document.querySelector('.chapter-body a[href^=\"http\"]'); \
         return a ? getComputedStyle(a, '::after').content : 'none'; })()",
    );
    assert!(
        after.as_str().is_some_and(|c| c.contains("http")),
        "external links do not show their URL: {after}"
    );
}
