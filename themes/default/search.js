// studybook default theme: the search box. The index (assets/search-index.js) is a script loaded on
// first use, so search works from file://. Terms match the index's: Latin words in lower case,
// neighbouring CJK characters as bigrams (a lone character matches every bigram holding it).
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var panel = document.getElementById("search-results");
  if (!form || !input || !panel) { return; }

  var MAX_RESULTS = 30;
  var SNIPPET_BEFORE = 30;
  var SNIPPET_CHARS = 140;
  var root = form.getAttribute("data-root") || "";
  var state = "idle"; // idle, loading, ready or failed
  var waiting = [];
  var index = null;
  var prepared = null;
  var lastQuery = null;
  var timer = null;

  var CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;
  var WORD;
  try { WORD = new RegExp("[\\p{Alphabetic}\\p{N}]", "u"); } catch (e) { WORD = /[0-9A-Za-z\u00c0-\u024f]/; }

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  // Full-width forms as ASCII and lower case, one character for one, so positions stay put.
  function normalize(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      var code = c.charCodeAt(0);
      if (code === 0x3000) { c = " "; } else if (code >= 0xff01 && code <= 0xff5e) { c = String.fromCharCode(code - 0xfee0); }
      var lower = c.toLowerCase();
      out += lower.length === 1 ? lower : c;
    }
    return out;
  }

  function isWord(c) { return WORD.test(c) && !CJK.test(c); }

  // The query as terms (looked up in the index) and phrases (its words and CJK runs, to find in the text).
  function parse(query) {
    var q = normalize(query);
    var terms = [];
    var phrases = [];
    var seen = {};
    function add(text, single) {
      if (!has(seen, text)) { seen[text] = true; terms.push({ text: text, single: single }); }
    }
    var i = 0;
    while (i < q.length) {
      var start = i;
      if (CJK.test(q.charAt(i))) {
        while (i < q.length && CJK.test(q.charAt(i))) { i++; }
        var run = q.slice(start, i);
        phrases.push(run);
        if (run.length === 1) { add(run, true); }
        for (var j = 0; j + 1 < run.length; j++) { add(run.slice(j, j + 2), false); }
      } else if (isWord(q.charAt(i))) {
        while (i < q.length && isWord(q.charAt(i))) { i++; }
        var word = q.slice(start, i);
        if (word.length >= 2) { phrases.push(word); add(word, false); }
      } else {
        i++;
      }
    }
    var whole = q.replace(/\s+/g, " ").trim();
    return { terms: terms, phrases: phrases, whole: whole, joined: whole.replace(/ /g, "") };
  }

  function prepare() {
    var keys = Object.keys(index.terms);
    prepared = {
      keys: keys,
      headings: index.docs.map(function (d) { return normalize(d[2] || ""); }),
      texts: index.docs.map(function (d) { return normalize(d[3] || ""); }),
      titles: index.chapters.map(function (c) { return normalize(c[1] || ""); })
    };
  }

  // Postings of a term: exact; for a lone CJK character every bigram holding it; for a Latin word
  // not in the index, the words it begins.
  function postings(term) {
    if (has(index.terms, term.text)) { return index.terms[term.text]; }
    var merged = {};
    var any = false;
    prepared.keys.forEach(function (key) {
      var hit = term.single ? key.indexOf(term.text) !== -1
        : term.text.length >= 3 && !CJK.test(term.text) && key.lastIndexOf(term.text, 0) === 0;
      if (!hit) { return; }
      index.terms[key].forEach(function (p) {
        var doc = p >> 2;
        merged[doc] = Math.max(merged[doc] || 0, p & 3);
        any = true;
      });
    });
    if (!any) { return []; }
    return Object.keys(merged).map(function (doc) { return doc * 4 + merged[doc]; });
  }

  function search(query) {
    var parsed = parse(query);
    var terms = parsed.terms;
    if (!terms.length) { return { parsed: parsed, results: [] }; }
    var total = index.docs.length;
    var found = {};
    terms.forEach(function (term, t) {
      var list = postings(term);
      var idf = Math.log(1 + total / Math.max(1, list.length));
      list.forEach(function (p) {
        var doc = p >> 2;
        var hit = found[doc] || (found[doc] = { doc: doc, matched: 0, score: 0, terms: {} });
        if (has(hit.terms, t)) { return; }
        hit.terms[t] = true;
        hit.matched++;
        hit.score += idf * (1 + 0.5 * ((p & 3) - 1));
        var heading = prepared.headings[doc] || prepared.titles[index.docs[doc][0]];
        if (heading.indexOf(term.text) !== -1) { hit.score += 3 * idf; }
      });
    });
    var hits = Object.keys(found).map(function (k) { return found[k]; });
    var complete = hits.filter(function (h) { return h.matched === terms.length; });
    if (complete.length) { hits = complete; }
    hits.forEach(function (hit) {
      var doc = index.docs[hit.doc];
      var heading = prepared.headings[hit.doc];
      var text = prepared.texts[hit.doc];
      var title = prepared.titles[doc[0]];
      parsed.phrases.forEach(function (phrase) {
        if (heading.indexOf(phrase) !== -1) { hit.score += 4; } else if (text.indexOf(phrase) !== -1) { hit.score += 2; }
        if (title.indexOf(phrase) !== -1) { hit.score += 1; }
      });
      if (parsed.phrases.length > 1) {
        // The words of the query side by side, with or without the spaces between them.
        var inHeading = heading.indexOf(parsed.whole) !== -1 || heading.indexOf(parsed.joined) !== -1;
        if (inHeading) { hit.score += 6; } else if (text.indexOf(parsed.whole) !== -1 || text.indexOf(parsed.joined) !== -1) { hit.score += 3; }
      }
    });
    hits.sort(function (a, b) {
      return b.matched - a.matched || b.score - a.score || a.doc - b.doc;
    });
    return { parsed: parsed, results: hits.slice(0, MAX_RESULTS) };
  }

  // Ranges [start, end) of `norm` to mark: each phrase, or the bigrams of a CJK phrase not found whole.
  function ranges(norm, parsed) {
    var found = [];
    function mark(needle) {
      var any = false;
      if (!needle) { return any; }
      var at = norm.indexOf(needle);
      while (at !== -1) {
        found.push([at, at + needle.length]);
        any = true;
        at = norm.indexOf(needle, at + needle.length);
      }
      return any;
    }
    parsed.phrases.forEach(function (phrase) {
      if (!mark(phrase) && CJK.test(phrase)) {
        for (var j = 0; j + 1 < phrase.length; j++) { mark(phrase.slice(j, j + 2)); }
      }
    });
    found.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var merged = [];
    found.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) { last[1] = Math.max(last[1], r[1]); } else { merged.push([r[0], r[1]]); }
    });
    return merged;
  }

  // `text` from `from` to `to` into `parent`, the parts in `marks` as <mark>.
  function appendMarked(parent, text, marks, from, to) {
    var pos = from;
    marks.forEach(function (r) {
      var start = Math.max(r[0], from);
      var end = Math.min(r[1], to);
      if (end <= start) { return; }
      if (start > pos) { parent.appendChild(document.createTextNode(text.slice(pos, start))); }
      var m = document.createElement("mark");
      m.textContent = text.slice(start, end);
      parent.appendChild(m);
      pos = end;
    });
    if (pos < to) { parent.appendChild(document.createTextNode(text.slice(pos, to))); }
  }

  function snippet(text, norm, parsed) {
    var span = document.createElement("span");
    span.className = "search-snippet";
    var marks = ranges(norm, parsed);
    var first = marks.length ? marks[0][0] : 0;
    var from = Math.max(0, first - SNIPPET_BEFORE);
    var to = Math.min(text.length, from + SNIPPET_CHARS);
    if (from > 0) { span.appendChild(document.createTextNode("\u2026")); }
    appendMarked(span, text, marks, from, to);
    if (to < text.length) { span.appendChild(document.createTextNode("\u2026")); }
    return span;
  }

  function href(doc) {
    var slug = index.chapters[doc[0]][0];
    return root + "chapters/" + encodeURIComponent(slug) + ".html" + (doc[1] ? "#" + encodeURIComponent(doc[1]) : "");
  }

  function message(text) {
    var p = document.createElement("p");
    p.className = "search-message";
    p.textContent = text;
    return p;
  }

  function render(query) {
    panel.textContent = "";
    panel.hidden = false;
    form.classList.add("search-open");
    if (state !== "ready") {
      panel.appendChild(message(panel.getAttribute("data-unavailable") || "Search is unavailable."));
      return;
    }
    var outcome = search(query);
    if (!outcome.results.length) {
      panel.appendChild(message(panel.getAttribute("data-none") || "No results."));
      return;
    }
    var list = document.createElement("ol");
    list.className = "search-list";
    outcome.results.forEach(function (hit) {
      var doc = index.docs[hit.doc];
      var title = index.chapters[doc[0]][1] || "";
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.setAttribute("href", href(doc));
      var where = document.createElement("span");
      where.className = "search-where";
      var chapter = document.createElement("span");
      chapter.className = "search-chapter";
      var headingText = doc[2] || title;
      if (doc[2]) {
        chapter.textContent = title;
        where.appendChild(chapter);
      }
      var heading = document.createElement("span");
      heading.className = "search-heading";
      var headingNorm = normalize(headingText);
      appendMarked(heading, headingText, ranges(headingNorm, outcome.parsed), 0, headingText.length);
      where.appendChild(heading);
      link.appendChild(where);
      if (doc[3]) { link.appendChild(snippet(doc[3], prepared.texts[hit.doc], outcome.parsed)); }
      item.appendChild(link);
      list.appendChild(item);
    });
    panel.appendChild(list);
  }

  function run() {
    var query = input.value;
    if (!query.trim()) { close(); return; }
    lastQuery = query;
    load(function () { if (input.value === lastQuery) { render(lastQuery); } });
  }

  function close() {
    panel.hidden = true;
    panel.textContent = "";
    form.classList.remove("search-open");
    lastQuery = null;
  }

  function settle(next) {
    state = next;
    var callbacks = waiting;
    waiting = [];
    callbacks.forEach(function (f) { f(); });
  }

  function accept() {
    var candidate = window.studybookSearchIndex;
    if (candidate && Array.isArray(candidate.docs) && Array.isArray(candidate.chapters) &&
        candidate.terms && typeof candidate.terms === "object") {
      index = candidate;
      try { prepare(); } catch (e) { index = null; return false; }
      return true;
    }
    return false;
  }

  // Loads the index script once; `then` runs when it has loaded or failed.
  function load(then) {
    if (then) { waiting.push(then); }
    if (state === "ready" || state === "failed") { settle(state); return; }
    if (state === "loading") { return; }
    if (window.studybookSearchIndex) { settle(accept() ? "ready" : "failed"); return; }
    state = "loading";
    var script = document.createElement("script");
    script.charset = "utf-8";
    script.async = true;
    script.onload = function () { settle(accept() ? "ready" : "failed"); };
    script.onerror = function () { settle("failed"); };
    script.src = form.getAttribute("data-index") || root + "assets/search-index.js";
    document.head.appendChild(script);
  }

  input.addEventListener("focus", function () { load(null); });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 80);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });

  function links() { return Array.prototype.slice.call(panel.querySelectorAll("a")); }

  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      close();
      input.blur();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var all = links();
    if (!all.length) { return; }
    var at = all.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) { input.focus(); } else { all[Math.min(next, all.length - 1)].focus(); }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (!panel.hidden && !form.contains(event.target)) { close(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    if (event.key === "/" || (event.key === "s" && !event.shiftKey)) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });

  var query = null;
  try { query = new URLSearchParams(window.location.search).get("search"); } catch (e) { query = null; }
  if (query && query.trim()) {
    input.value = query;
    run();
  }
})();
