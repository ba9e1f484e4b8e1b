// studybook default theme: theme toggle, sidebar toggle, copy buttons and keyboard navigation. Works from file://.
(function () {
  "use strict";
  var root = document.documentElement;

  var themeButton = document.getElementById("theme-toggle");
  if (themeButton) {
    themeButton.addEventListener("click", function () {
      var current = root.getAttribute("data-theme");
      if (!current) {
        current = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
      }
      var next = current === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("studybook-theme", next); } catch (e) { /* storage may be off */ }
    });
  }

  var menuButton = document.getElementById("menu-toggle");
  if (menuButton) {
    menuButton.addEventListener("click", function () {
      var open = document.body.classList.toggle("sidebar-open");
      menuButton.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Large books list their chapters from assets/toc.js instead of repeating them in every page.
  var list = document.querySelector("#sidebar ol.chapters[data-current]");
  if (list && window.studybookToc) {
    var base = list.getAttribute("data-root") || "";
    var current = list.getAttribute("data-current");
    window.studybookToc.forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.className = "chapter-link";
      link.href = base + "chapters/" + encodeURIComponent(entry[0]) + ".html";
      link.textContent = entry[1];
      if (entry[0] === current) {
        item.className = "active";
        link.setAttribute("aria-current", "page");
      }
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  // Glossary terms show their definition in a card on hover or focus: the page carries each
  // definition once, and every link to the term gets it.
  var definitions = document.getElementById("term-definitions");
  if (definitions) {
    var byId = {};
    try { byId = JSON.parse(definitions.textContent); } catch (e) { /* no cards */ }
    document.querySelectorAll("a.term").forEach(function (term) {
      var href = term.getAttribute("href") || "";
      var id = href.slice(href.indexOf("#") + 1);
      if (href.indexOf("#") >= 0 && Object.prototype.hasOwnProperty.call(byId, id)) {
        term.setAttribute("data-def", byId[id]);
      }
    });
  }

  var active = document.querySelector("#sidebar .active");
  if (active && active.scrollIntoView) {
    active.scrollIntoView({ block: "center" });
  }

  // The text a copy button copies: for a terminal session only the commands, without prompts or output.
  function copyText(pre) {
    if (pre.getAttribute("data-lang") === "console") {
      var commands = pre.querySelectorAll(".hl-cmd");
      if (commands.length) {
        return Array.prototype.map.call(commands, function (c) { return c.textContent.replace(/\n$/, ""); }).join("\n");
      }
    }
    var code = pre.querySelector("code");
    return (code || pre).textContent;
  }

  function copy(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  Array.prototype.forEach.call(document.querySelectorAll("pre.hl"), function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = root.lang.indexOf("zh") === 0 ? "复制" : "Copy";
    var label = button.textContent;
    button.addEventListener("click", function () {
      var text = copyText(pre);
      button.setAttribute("data-copied", text);
      copy(text, function () {
        button.textContent = "\u2713";
        setTimeout(function () { button.textContent = label; }, 1200);
      });
    });
    pre.appendChild(button);
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var link = null;
    if (event.key === "ArrowLeft") { link = document.querySelector('a[rel="prev"]'); }
    if (event.key === "ArrowRight") { link = document.querySelector('a[rel="next"]'); }
    if (link) { window.location.href = link.href; }
  });
})();

// Self-test page: reveal answers and keep "knew it / review again" marks in localStorage.
(function () {
  "use strict";
  var list = document.querySelector("ol.review");
  if (!list) { return; }
  var key = "studybook-review:" + document.title;
  var marks = {};
  try { marks = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { marks = {}; }
  var progress = document.querySelector(".review-progress");

  function save() {
    try { localStorage.setItem(key, JSON.stringify(marks)); } catch (e) { /* storage may be off */ }
  }

  function show(item) {
    var mark = marks[item.getAttribute("data-question")] || "";
    if (mark) { item.setAttribute("data-mark", mark); } else { item.removeAttribute("data-mark"); }
    Array.prototype.forEach.call(item.querySelectorAll("button.mark"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-mark") === mark ? "true" : "false");
    });
  }

  function count() {
    if (!progress) { return; }
    var items = list.querySelectorAll("li.question");
    var known = 0, again = 0;
    Array.prototype.forEach.call(items, function (item) {
      var m = marks[item.getAttribute("data-question")];
      if (m === "known") { known += 1; } else if (m === "again") { again += 1; }
    });
    progress.textContent = progress.getAttribute("data-known-label") + " " + known + " · " +
      progress.getAttribute("data-again-label") + " " + again + " · " + (items.length - known) + " / " + items.length;
  }

  Array.prototype.forEach.call(list.querySelectorAll("li.question"), function (item) {
    var answer = item.querySelector(".answer");
    var reveal = item.querySelector("button.reveal");
    if (reveal && answer) {
      reveal.addEventListener("click", function () {
        var open = answer.hasAttribute("hidden");
        if (open) { answer.removeAttribute("hidden"); } else { answer.setAttribute("hidden", ""); }
        reveal.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    Array.prototype.forEach.call(item.querySelectorAll("button.mark"), function (button) {
      button.addEventListener("click", function () {
        var id = item.getAttribute("data-question");
        var mark = button.getAttribute("data-mark");
        if (marks[id] === mark) { delete marks[id]; } else { marks[id] = mark; }
        save();
        show(item);
        count();
      });
    });
    show(item);
  });
  count();
})();
