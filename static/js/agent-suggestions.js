// The request page's suggested articles: "Insert link" adds the article's title and public
// address to the end of the reply box. Without this file, each title is a plain link.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-insert-article]") : null;
    if (!button) { return; }
    var panel = button.closest(".suggestions");
    var status = panel ? panel.querySelector("[data-insert-status]") : null;
    var body = document.querySelector("#reply-form textarea[name=body]");
    if (!body) {
      if (status) { status.textContent = status.dataset.missing; }
      return;
    }
    var line = button.dataset.title + ": " + button.dataset.url;
    var text = body.value;
    var separator = text === "" || /\n$/.test(text) ? "" : "\n";
    body.value = text + separator + line + "\n";
    body.dispatchEvent(new Event("input", { bubbles: true }));
    // The focus stays on the button (an agent may add several); the change is announced.
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = status.dataset.done; }, 50);
    }
  });
})();
