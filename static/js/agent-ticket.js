// The agent's request page: reply/note switching and the presence poll. The page works without it.
(function () {
  "use strict";

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
      // "r" focuses the reply box (agent-keys.js, which decides whether a key is a shortcut:
      // not in a text field, not with a modifier, not when the agent turned shortcuts off, and
      // then prevents its default); it also means a public reply.
      document.addEventListener("keydown", function (event) {
        if (event.key === "r" && event.defaultPrevented) { choose("public"); }
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
