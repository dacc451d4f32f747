// Keyboard shortcuts for agents; the contract is in templates/tickets/agent/base.html.
// "?" opens the list of shortcuts, "/" focuses the search box, any element marked
// data-shortcut="<key>" is focused (fields) or clicked (links, buttons) when its key is pressed
// outside a text field. In the inbox, j/k move between rows, Enter or o opens one, x selects it.
(function () {
  "use strict";
  var TEXT_INPUT = /^(text|search|email|url|tel|password|number|date|datetime-local|month|week|time)$/;
  var opener = null;
  var current = -1;
  // Agents may turn the single-key shortcuts off in their profile (WCAG 2.1.4, speech input).
  var off = document.querySelector('meta[name="supportal-shortcuts"][content="off"]') !== null;

  function isTextField(element) {
    if (!element || !element.tagName) { return false; }
    if (element.isContentEditable) { return true; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    return tag === "INPUT" && TEXT_INPUT.test(element.type || "text");
  }

  function isField(element) {
    return ["INPUT", "SELECT", "TEXTAREA"].indexOf(element.tagName) !== -1;
  }

  function dialog() { return document.getElementById("shortcuts"); }

  function openShortcuts() {
    var box = dialog();
    if (!box || box.open) { return; }
    opener = document.activeElement;
    box.showModal();
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-inbox-row]")); }

  function markCurrent(index) {
    rows().forEach(function (row, i) { row.classList.toggle("is-current", i === index); });
    current = index;
  }

  function moveTo(index) {
    var list = rows();
    if (!list.length) { return false; }
    index = Math.max(0, Math.min(list.length - 1, index));
    markCurrent(index);
    var link = list[index].querySelector("[data-row-link]");
    if (link) { link.focus(); }
    return true;
  }

  function currentRow() {
    var list = rows();
    return current >= 0 && current < list.length ? list[current] : null;
  }

  function handleRowKey(key, target) {
    if (!rows().length) { return false; }
    if (key === "j") { return moveTo(current < 0 ? 0 : current + 1); }
    if (key === "k") { return moveTo(current < 0 ? 0 : current - 1); }
    var row = currentRow();
    if (!row) { return false; }
    if (key === "o" || (key === "Enter" && target.type === "checkbox")) {
      var link = row.querySelector("[data-row-link]");
      if (link) { link.click(); }
      return true;
    }
    if (key === "x") {
      var box = row.querySelector("input[type=checkbox]");
      if (box) {
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return true;
    }
    return false;
  }

  function shortcutTarget(key) {
    var marked = document.querySelectorAll("[data-shortcut]");
    for (var i = 0; i < marked.length; i++) {
      var element = marked[i];
      if (element.getAttribute("data-shortcut") === key && !element.disabled &&
          element.getClientRects().length) {
        return element;
      }
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    if (off || event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey ||
        event.altKey) { return; }
    var box = dialog();
    if (box && box.open) { return; }
    var target = event.target;
    if (isTextField(target)) { return; }
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      openShortcuts();
      return;
    }
    if (handleRowKey(key, target)) {
      event.preventDefault();
      return;
    }
    if (key === "Enter" || key.length !== 1) { return; }
    var element = shortcutTarget(key);
    if (!element) { return; }
    event.preventDefault();
    if (isField(element)) {
      element.focus();
      if (element.select && TEXT_INPUT.test(element.type || "")) { element.select(); }
    } else {
      element.click();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = dialog();
    if (box) {
      box.addEventListener("close", function () {
        // The browser usually restores focus itself; the close event comes later, so only step
        // in when focus was lost, or a key pressed meanwhile ("/") would have its focus taken.
        var lost = !document.activeElement || document.activeElement === document.body ||
          box.contains(document.activeElement);
        if (lost && opener && document.contains(opener) && opener.focus) { opener.focus(); }
        opener = null;
      });
    }
    document.querySelectorAll("[data-show-shortcuts]").forEach(function (button) {
      if (off) { return; }
      button.hidden = false;
      button.addEventListener("click", openShortcuts);
    });
    // Tabbing into a row makes it the current one, so j/k continue from there.
    document.addEventListener("focusin", function (event) {
      var row = event.target.closest && event.target.closest("[data-inbox-row]");
      if (row) { markCurrent(rows().indexOf(row)); }
    });
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        var table = all.closest("table");
        table.querySelectorAll("tbody input[type=checkbox]").forEach(function (box) {
          box.checked = all.checked;
        });
      });
    });
  });
})();
