// The agent's request page: reply/note switching and the presence poll. The page works without it.
(function () {
  "use strict";

  function inTextField(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    return element.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(element.type));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("reply-form");
    if (form) {
      var body = form.querySelector("textarea[name=body]");
      var send = form.querySelector("[data-send-button]");
      var choose = function (kind) {
        var radio = form.querySelector("input[name=kind][value=" + kind + "]");
        if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); }
      };
      // The send button says what will happen: a public reply or an internal note.
      form.addEventListener("change", function (event) {
        if (event.target.name === "kind" && send) {
          send.textContent = event.target.value === "note" ? send.dataset.labelNote : send.dataset.labelPublic;
        }
      });
      // "n" (agent-keys.js clicks it) or a click: write an internal note.
      var noteButton = form.querySelector("[data-note-button]");
      if (noteButton) {
        noteButton.hidden = false;
        noteButton.addEventListener("click", function () { choose("note"); body.focus(); });
      }
      // "r" focuses the reply box (agent-keys.js); it also means a public reply.
      document.addEventListener("keydown", function (event) {
        if (event.key !== "r" || event.ctrlKey || event.metaKey || event.altKey) { return; }
        if (document.querySelector('meta[name="supportal-shortcuts"][content="off"]')) { return; }
        // The key's own target: agent-keys.js may already have moved the focus to the box.
        if (inTextField(event.target)) { return; }
        choose("public");
      });
    }
    // The presence line is polled every 10 s: leave it alone when nothing changed, so screen
    // readers do not announce the same words again.
    var presence = document.getElementById("presence");
    if (presence) {
      presence.addEventListener("htmx:beforeSwap", function (event) {
        if (event.detail.serverResponse.trim() === presence.innerHTML.trim()) {
          event.detail.shouldSwap = false;
        }
      });
    }
  });
})();
