// Help-center enhancements; every action here also works without this file.
(function () {
  "use strict";
  if (window.supportalHelpcenter) { return; }
  window.supportalHelpcenter = true;

  document.addEventListener("DOMContentLoaded", function () {
    // Dismissing the notice hides it at once; the POST that remembers it runs in the background.
    document.querySelectorAll("form[data-notice-dismiss]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var notice = form.closest("[data-notice]");
        if (notice) { notice.hidden = true; }
        var main = document.getElementById("main");
        if (main) { main.focus(); }
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { "HX-Request": "true" }
        }).catch(function () { /* the notice shows again on the next page */ });
      });
    });
  });

  // After htmx swaps the feedback box, move focus to it so the new state is announced.
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = document.getElementById("article-feedback");
    if (box && event.detail && event.detail.target && event.detail.target.id === "article-feedback") {
      box.focus();
    }
  });
})();
