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
