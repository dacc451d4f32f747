// The help-center search box as an ARIA 1.2 combobox: htmx fills the listbox with suggestions,
// this file handles the keys (arrows, Enter, Escape), the pointer and the live announcement.
(function () {
  "use strict";

  function setup(input) {
    var listboxId = input.getAttribute("aria-controls");
    var container = document.getElementById(input.id + "-suggestions");
    var status = document.getElementById(input.getAttribute("data-status"));
    var active = -1;

    function listbox() { return document.getElementById(listboxId); }
    function options() {
      var box = listbox();
      return box ? Array.prototype.slice.call(box.querySelectorAll("[role=option]")) : [];
    }
    function select(index) {
      var items = options();
      active = index;
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function setOpen(open) {
      var box = listbox();
      var show = open && options().length > 0;
      if (box) { box.hidden = !show; }
      input.setAttribute("aria-expanded", show ? "true" : "false");
      if (!show) { select(-1); }
    }
    function go(item) {
      var href = item && item.getAttribute("data-href");
      if (href) { window.location.assign(href); }
    }

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== container) { return; }
      active = -1;
      setOpen(document.activeElement === input);
      var box = listbox();
      if (status && box) { status.textContent = box.getAttribute("data-message") || ""; }
    });
    input.addEventListener("keydown", function (event) {
      var items = options();
      var open = input.getAttribute("aria-expanded") === "true";
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) { return; }
        event.preventDefault();
        if (!open) { setOpen(true); }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next >= items.length) { next = 0; }
        if (next < 0) { next = items.length - 1; }
        select(next);
      } else if (event.key === "Enter") {
        if (open && active >= 0 && items[active]) {
          event.preventDefault();
          go(items[active]);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          setOpen(false);
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(function () { setOpen(false); }, 150);
    });
    container.addEventListener("mousedown", function (event) {
      // Keep the focus in the box so that the click below still finds the list open.
      event.preventDefault();
    });
    container.addEventListener("click", function (event) {
      var item = event.target.closest("[role=option]");
      if (item) { go(item); }
    });
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-search-combobox]");
    Array.prototype.forEach.call(inputs, setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
