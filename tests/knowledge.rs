//! The glossary, glossary links, comparisons and review page: built by the real binary from the
//! user's notes and from a small fixture, and used in headless Chromium over `file://`.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Decode the entities our pages use.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The glossary's entries: (dt id, dt text, dd html).
fn glossary_entries(html: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<dt id=") {
        rest = &rest[start + 7..];
        let id_end = rest.find('>').expect("dt tag ends");
        let id = rest[..id_end].trim_matches('"').to_string();
        let dt_end = rest.find("</dt>").expect("dt closes");
        let dt = text_of(&rest[id_end + 1..dt_end]);
        let dd_start = rest.find("<dd>").expect("dd follows dt");
        let dd_end = rest.find("</dd>").expect("dd closes");
        out.push((id, dt, rest[dd_start..dd_end].to_string()));
        rest = &rest[dd_end..];
    }
    out
}

/// The glossary entries of a book built from one note, `file` holding `text`.
fn glossary_of_note(file: &str, text: &str) -> Vec<(String, String, String)> {
    let notes = tempfile::tempdir().unwrap();
    fs::write(notes.path().join(file), text).unwrap();
    let (_tmp, out) = support::build_book(notes.path());
    glossary_entries(&read(&out.join("glossary.html")))
}

/// Every `<a class=term ...>` of a page, with whether it stands inside code, a heading or a link.
fn term_links(html: &str) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut misplaced = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if closing {
            if let Some(p) = open.iter().rposition(|n| *n == name) {
                open.truncate(p);
            }
        } else if !tag.ends_with('/')
            && !matches!(
                name.as_str(),
                "br" | "img" | "hr" | "meta" | "link" | "input"
            )
        {
            if name == "a" && (tag.contains("class=term") || tag.contains("class=\"term\"")) {
                count += 1;
                if let Some(bad) = open.iter().find(|n| {
                    matches!(
                        n.as_str(),
                        "pre" | "code" | "a" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                    )
                }) {
                    misplaced.push(format!("inside <{bad}>: {}", &rest[..rest.len().min(120)]));
                }
            }
            open.push(name);
        }
        rest = &rest[end.min(rest.len())..];
    }
    (count, misplaced)
}

/// Headings of the chapter pages (their text).
fn chapter_headings(out: &Path) -> Vec<String> {
    let mut headings = Vec::new();
    for entry in fs::read_dir(out.join("chapters")).unwrap() {
        let html = read(&entry.unwrap().path());
        let body = &html[html.find("class=chapter-body").unwrap_or(0)..];
        for level in 2..=6 {
            let open = format!("<h{level} id=");
            let close = format!("</h{level}>");
            let mut rest = body;
            while let Some(p) = rest.find(&open) {
                rest = &rest[p..];
                let end = rest.find(&close).unwrap();
                let text = text_of(&rest[..end]);
                headings.push(text.trim_end_matches('#').trim().to_string());
                rest = &rest[end..];
            }
        }
    }
    headings
}

#[test]
fn the_user_notes_give_a_linked_glossary_comparisons_and_a_review_page() {
    let (_tmp, out) = support::build_book(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/notes")));
    let glossary = read(&out.join("glossary.html"));
    let entries = glossary_entries(&glossary);
    assert!(
        entries.len() >= 60,
        "only {} glossary entries",
        entries.len()
    );
    let ids: BTreeSet<&str> = entries.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids.len(), entries.len(), "glossary ids are unique");
    for (id, dt, dd) in &entries {
        let definition = dd
            .split("class=definition>")
            .nth(1)
            .map(|d| text_of(&d[..d.find("</p>").unwrap_or(d.len())]))
            .unwrap_or_default();
        assert!(
            !definition.trim().is_empty(),
            "{id} ({dt}) has no definition"
        );
        assert!(
            dd.contains("href=chapters/"),
            "{id} ({dt}) links to no chapter: {dd}"
        );
    }
    for name in [
        "PersistentVolume",
        "StatefulSet",
        "ConfigMap",
        "污点",
        "Deployment",
    ] {
        assert!(
            entries.iter().any(|(_, dt, _)| dt.contains(name)),
            "no glossary entry names {name}"
        );
    }

    // Glossary links in chapters, never in code, headings or other links, and every target exists.
    let mut links = 0;
    for entry in fs::read_dir(out.join("chapters")).unwrap() {
        let html = read(&entry.unwrap().path());
        let (n, misplaced) = term_links(&html);
        assert!(
            misplaced.is_empty(),
            "glossary links in the wrong place: {misplaced:#?}"
        );
        links += n;
        for target in html.split("href=../glossary.html#").skip(1) {
            let id: String = target
                .chars()
                .take_while(|c| !matches!(c, ' ' | '>' | '"'))
                .collect();
            assert!(ids.contains(id.as_str()), "link to a missing entry #{id}");
        }
        assert!(
            html.contains("class=related-chapters"),
            "a chapter without related chapters"
        );
    }
    assert!(links >= 150, "only {links} glossary links in the chapters");

    // Comparisons: at least 12 tables, grouped and titled by the concepts compared.
    let comparisons = read(&out.join("comparisons.html"));
    let tables = comparisons.matches("<table").count();
    assert!(tables >= 12, "only {tables} comparison tables");
    let titles: Vec<String> = comparisons
        .split("<h2 class=comparison-title>")
        .skip(1)
        .map(|t| text_of(&t[..t.find("</h2>").unwrap()]).to_lowercase())
        .collect();
    let pairs: [&[&str]; 10] = [
        &["statefulset", "deployment"],
        &["entrypoint", "cmd"],
        &["pv", "pvc"],
        &["污点", "容忍"],
        &["podaffinity", "podantiaffinity"],
        &["缓存击穿", "cache avalanche"],
        &["就绪探针", "存活探针"],
        &["deployment", "replicaset"],
        &["apply", "replace"],
        &["无头service", "service"],
    ];
    for pair in pairs {
        assert!(
            titles.iter().any(|t| pair.iter().all(|p| t.contains(p))),
            "no comparison of {pair:?} among {titles:#?}"
        );
    }
    // The two headless-service sections of two notes are shown together.
    let headless = comparisons
        .split("<section class=comparison ")
        .skip(1)
        .find(|s| s.contains("无头service / Service"))
        .expect("the headless service comparison");
    assert!(
        headless.matches("class=source").count() >= 2,
        "one note's view only"
    );

    // Review: every heading that ends in a question mark is a question on the page.
    let review = read(&out.join("review.html"));
    let questions: BTreeSet<String> = review
        .split("<p class=question-text>")
        .skip(1)
        .map(|q| text_of(&q[..q.find("<a ").unwrap()]).trim().to_string())
        .collect();
    let asked: Vec<String> = chapter_headings(&out)
        .into_iter()
        .filter(|h| h.ends_with(['？', '?']))
        .collect();
    assert!(
        asked.len() >= 34,
        "the notes have {} question headings",
        asked.len()
    );
    for q in &asked {
        assert!(
            questions.contains(q),
            "question heading missing from review.html: {q}"
        );
    }
    assert!(
        questions.len() > asked.len(),
        "questions phrased without a question mark are missed"
    );

    // The print page carries the glossary and the comparisons as appendices, and the chapters'
    // glossary links lead to the glossary appendix on the same page.
    let print = read(&out.join("print.html"));
    assert!(
        print.contains("id=appendix-glossary"),
        "no glossary appendix"
    );
    assert!(
        print.contains("id=appendix-comparisons"),
        "no comparisons appendix"
    );
    let targets: BTreeSet<String> = print
        .split("href=#gl-")
        .skip(1)
        .map(|t| {
            t.chars()
                .take_while(|c| !matches!(c, ' ' | '>' | '"'))
                .collect()
        })
        .collect();
    assert!(
        targets.len() >= 60,
        "only {} glossary links on the print page",
        targets.len()
    );
    for id in &targets {
        assert!(
            print.contains(&format!("id=gl-{id}>")),
            "#gl-{id} is not on the print page"
        );
    }
    assert!(
        !print.contains("../glossary.html"),
        "a glossary link left pointing off the page"
    );
}

#[test]
fn the_glossary_merges_names_sorts_by_pinyin_and_lets_the_user_correct_it() {
    let (_tmp, out) = support::build_book(&fixture("knowledge_book"));
    let glossary = read(&out.join("glossary.html"));
    let entries = glossary_entries(&glossary);
    let entry = |name: &str| {
        entries
            .iter()
            .find(|(_, dt, _)| dt.contains(name))
            .unwrap_or_else(|| panic!("no entry for {name}: {entries:#?}"))
    };
    // One concept, three names across languages and an abbreviation.
    let (pv_id, pv, pv_dd) = entry("PersistentVolume");
    assert!(pv.contains("PV") && pv.contains("持久卷"), "{pv}");
    assert!(
        pv_dd.contains("由管理员提供"),
        "definition quoted from the notes: {pv_dd}"
    );
    assert!(
        pv_dd.contains("chapters/01-storage.html#persistentvolume"),
        "{pv_dd}"
    );
    // The user's entries win: their headword and definition, the notes' names kept as aliases.
    let (_, pod, pod_dd) = entry("容器组");
    assert!(pod.starts_with("Pod"), "{pod}");
    assert!(pod_dd.contains("一组共享网络和存储的容器"), "{pod_dd}");
    let (_, sidecar, _) = entry("Sidecar");
    assert!(sidecar.contains("边车"));
    // Letters: Latin A–Z and Chinese by pinyin (存活探针 under C, between P… and Z…).
    let letters: Vec<&str> = glossary
        .split("<h2 class=letter>")
        .skip(1)
        .map(|l| &l[..l.find("</h2>").unwrap()])
        .collect();
    let mut sorted = letters.clone();
    sorted.sort();
    assert_eq!(letters, sorted);
    let (live_id, _, _) = entry("存活探针");
    let section_of = |id: &str| {
        let at = glossary.find(&format!("<dt id={id}>")).unwrap();
        glossary[..at]
            .rfind("<h2 class=letter>")
            .map(|p| &glossary[p + 17..p + 18])
    };
    assert_eq!(section_of(live_id), Some("C"));
    assert_eq!(section_of(pv_id), Some("P"));

    // Chapters link the first mention in each section, never inside code.
    let workloads = read(&out.join("chapters/02-workloads.html"));
    assert!(
        workloads.contains(&format!("href=../glossary.html#{pv_id}")),
        "{workloads}"
    );
    assert!(
        !workloads.contains("<code>kubectl get <a"),
        "a link inside code"
    );
    let (_, misplaced) = term_links(&workloads);
    assert!(misplaced.is_empty(), "{misplaced:?}");
    assert!(workloads.contains("class=related-chapters"));
    assert!(
        workloads.contains("href=01-storage.html"),
        "related chapter link"
    );
    // A section that explains a term shows where other chapters mention it.
    let storage = read(&out.join("chapters/01-storage.html"));
    assert!(storage.contains("class=referenced-from"), "{storage}");

    // Comparisons from a table and from a `vs` heading; review from question headings.
    let comparisons = read(&out.join("comparisons.html"));
    assert!(
        comparisons.contains("PersistentVolume / PVC") || comparisons.contains("PV / PVC"),
        "{comparisons}"
    );
    assert!(
        comparisons.contains("Deployment / StatefulSet"),
        "{comparisons}"
    );
    assert!(comparisons.contains("href=chapters/02-workloads.html#deployment-vs-statefulset"));
    let review = read(&out.join("review.html"));
    assert!(review.contains("为什么需要持久卷？"));
    assert!(review.contains("什么是 Pod"));
    assert!(!review.contains("<p class=question-text>StatefulSet"));
}

#[test]
fn a_broken_glossary_file_is_a_positioned_warning_and_the_book_is_still_built() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes");
    fs::create_dir(&notes).unwrap();
    fs::write(
        notes.join("a.md"),
        "# A\n\nPod 是最小的调度单位。Pod 很常用。\n",
    )
    .unwrap();
    fs::write(
        notes.join("glossary.yaml"),
        "- term: Pod\n  aliases: [a, b\n  definition: x\n",
    )
    .unwrap();
    let out = tmp.path().join("output");
    let output = Command::new(env!("CARGO_BIN_EXE_studybook"))
        .args(["build", "--notes"])
        .arg(&notes)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let path = notes.join("glossary.yaml").display().to_string();
    assert!(
        stderr.lines().any(|l| l.starts_with(&format!("{path}:"))
            && l.contains("warning")
            && l.contains("glossary.yaml")),
        "{stderr}"
    );
    assert!(out.join("glossary.html").is_file());
}

fn eval(page: &support::cdp::Page, js: &str) -> Value {
    page.eval(js).unwrap_or_else(|e| panic!("{js}: {e}"))
}

#[test]
fn hover_cards_and_the_review_marks_work_from_file_urls() {
    let Some(browser) =
        support::browser_or_skip("hover_cards_and_the_review_marks_work_from_file_urls")
    else {
        return;
    };
    let (_tmp, out) = support::build_book(&fixture("knowledge_book"));
    let page = browser.new_page().expect("a tab");
    page.goto(&support::file_url(&out.join("chapters/02-workloads.html")))
        .expect("open a chapter");

    // The card is hidden until the term is focused (or hovered), then shows the definition.
    let card = "(() => { const a = document.querySelector('a.term'); const s = getComputedStyle(a, '::after'); return [s.display, s.content, a.getAttribute('data-def')]; })()";
    let before = eval(&page, card);
    assert_eq!(before[0], "none", "{before}");
    eval(&page, "document.querySelector('a.term').focus()");
    let after = eval(&page, card);
    assert_eq!(after[0], "block", "{after}");
    let def = after[2].as_str().unwrap();
    assert!(
        !def.is_empty() && after[1].as_str().unwrap().contains(def),
        "{after}"
    );
    // Following the term leads to its glossary entry.
    page.click_and_wait_load("a.term").expect("follow the term");
    let url = page.url().unwrap();
    assert!(url.contains("/glossary.html#"), "{url}");
    let target = eval(
        &page,
        "!!document.getElementById(decodeURIComponent(location.hash.slice(1)))",
    );
    assert_eq!(target, Value::Bool(true));

    // Review: answers hidden, revealed on demand; marks survive a reload.
    let review = support::file_url(&out.join("review.html"));
    page.goto(&review).expect("open the review page");
    let hidden = "document.querySelector('li.question .answer').hidden";
    assert_eq!(eval(&page, hidden), Value::Bool(true));
    page.click("li.question button.reveal").unwrap();
    assert_eq!(eval(&page, hidden), Value::Bool(false));
    page.click("li.question button.mark[data-mark=known]")
        .unwrap();
    page.click("li.question:nth-of-type(2) button.mark[data-mark=again]")
        .unwrap();
    page.goto(&review).expect("reload the review page");
    page.wait_for(
        "document.querySelector('li.question').getAttribute('data-mark') === 'known'",
        Duration::from_secs(5),
    )
    .expect("the first mark is kept");
    let marks = eval(
        &page,
        "Array.from(document.querySelectorAll('li.question'), q => q.getAttribute('data-mark'))",
    );
    assert_eq!(marks[0], "known");
    assert_eq!(marks[1], "again");
    let progress = eval(
        &page,
        "document.querySelector('.review-progress').textContent",
    );
    assert!(progress.as_str().unwrap().contains('1'), "{progress}");
    // Printed, every answer shows.
    page.call(
        "Emulation.setEmulatedMedia",
        serde_json::json!({"media": "print"}),
    )
    .unwrap();
    let shown = eval(
        &page,
        "Array.from(document.querySelectorAll('.answer')).every(a => getComputedStyle(a).display !== 'none')",
    );
    assert_eq!(shown, Value::Bool(true));
    let problems = page.problems().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_table_of_concepts_gives_each_concept_an_entry_defined_by_the_cell_beside_it() {
    let entries = glossary_of_note(
        "helm.md",
        "# Helm\n\nHelm 是 Kubernetes 的包管理器。\n\n\
         | 核心概念 | 解释 | 类比 |\n|---|---|---|\n\
         | Chart | Helm 的软件包,包含应用所需的全部资源定义。 | 安装包 |\n\
         | Release | Chart 在集群中运行的一个实例。 | 安装好的软件 |\n\
         | Repository (Repo) | Chart 的存放仓库,用于存储和共享 Chart。 | 应用商店 |\n\
         | Mirror | 10.0.0.1 | - |\n\n\
         | 参数 | 说明 |\n|---|---|\n| replicaCount | 副本的数量,默认是一个。 |\n",
    );
    let entry = |name: &str| entries.iter().find(|(_, dt, _)| dt.starts_with(name));
    let (_, _, chart) = entry("Chart").expect("Chart has an entry");
    assert!(text_of(chart).contains("Chart：Helm 的软件包"), "{chart}");
    let (_, repository, definition) = entry("Repository").expect("Repository has an entry");
    assert!(
        repository.contains("Repo"),
        "the bracketed name is an alias: {repository}"
    );
    assert!(
        text_of(definition).contains("Chart 的存放仓库"),
        "{definition}"
    );
    assert!(entry("Release").is_some());
    // A cell beside with no words explains nothing; a table of parameters lists no concepts.
    assert!(entry("Mirror").is_none());
    assert!(entry("replicaCount").is_none());
}

#[test]
fn a_chinese_name_glued_to_a_latin_word_is_not_cut_out_of_it() {
    let entries = glossary_of_note(
        "net.md",
        "# 网络\n\n每个 Pod 都有自己的 IP地址(IP-per-Pod),其他 Pod 可以用这个地址访问它。\n\n\
         IP-per-Pod 让端口不再冲突。\n\n网络插件通过容器网络接口(CNI)接入集群。\n",
    );
    let names: Vec<&str> = entries.iter().map(|(_, dt, _)| dt.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.starts_with("地址")),
        "地址 is half of IP地址: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("IP-per-Pod")),
        "{names:?}"
    );
    // Not glued: the Chinese name and the bracketed one are one entry.
    assert!(
        names
            .iter()
            .any(|n| n.contains("容器网络接口") && n.contains("CNI")),
        "{names:?}"
    );
}

#[test]
fn definitions_keep_their_inline_code_and_say_more_than_the_name() {
    let entries = glossary_of_note(
        "volumes.md",
        "# 卷\n\n## subPath\n\n使用 `subPath` 字段可以在共享同一卷的多个容器中选择不同的子路径来挂载。\n\n\
         ## JSON_OVERLAPS\n\n`JSON_OVERLAPS(a, b)` 函数检查两个 JSON 文档是否有重叠部分。\n\n\
         ## matchExpressions\n\nmatchExpressions\n\n\
         标签选择器的 matchExpressions 按表达式选择标签，支持 In、NotIn 和 Exists。\n",
    );
    let definition = |name: &str| {
        let (_, _, dd) = entries
            .iter()
            .find(|(_, dt, _)| dt.starts_with(name))
            .unwrap_or_else(|| panic!("{name} has an entry: {entries:?}"));
        text_of(dd)
    };
    let sub_path = definition("subPath");
    assert!(
        sub_path.contains("使用 subPath 字段可以"),
        "the code in the sentence is kept: {sub_path}"
    );
    let overlaps = definition("JSON_OVERLAPS");
    assert!(
        overlaps.contains("JSON_OVERLAPS(a, b) 函数检查"),
        "code that opens the sentence is kept whole: {overlaps}"
    );
    let expressions = definition("matchExpressions");
    assert!(
        expressions.contains("按表达式选择标签"),
        "a line that is only the name defines nothing: {expressions}"
    );
}

#[test]
fn a_table_that_lists_attributes_compares_no_concepts() {
    let entries = glossary_of_note(
        "workloads.md",
        "# 工作负载\n\n\
         | 特性 | StatefulSet | Deployment |\n|---|---|---|\n| 身份 | 稳定 | 随机 |\n\n\
         | 组件类型 | 组件名称 | 主要职责 | 所在节点 |\n|---|---|---|---|\n\
         | 控制面 | etcd | 存储 | master |\n\n\
         StatefulSet 管有状态应用，Deployment 管无状态应用。\n\n\
         Pod 会被调度到所在节点上，所在节点的 kubelet 启动它。\n",
    );
    let names: Vec<&str> = entries.iter().map(|(_, dt, _)| dt.as_str()).collect();
    assert!(
        names.iter().any(|n| n.starts_with("StatefulSet")),
        "a compared concept has an entry: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("所在节点")),
        "a column of attributes is no concept: {names:?}"
    );
}
