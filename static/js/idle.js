// The warning before an idle sign-out (templates/accounts/_idle_warning.html, WCAG 2.2.1): a
// dialog two minutes before the limit, counted from the last request this page made (the server
// notes activity at most once a minute, so a request proves activity no older than that).
// "Stay signed in", or Escape, notes activity now; past the limit the page reloads to sign-in.
(function () {
  "use strict";
  var dialog = document.getElementById("idle-warning");
  if (!dialog || !dialog.showModal) { return; }
  var limit = Number(dialog.dataset.limit) * 1000;
  var touch = Number(dialog.dataset.touch) * 1000;
  var warn = Number(dialog.dataset.warn) * 1000;
  var endsAt = Date.now() + Number(dialog.dataset.left) * 1000;
  var form = dialog.querySelector("form");
  var warnTimer = null, endTimer = null;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(function () {
      if (!dialog.open) { dialog.showModal(); }
    }, Math.max(0, endsAt - warn - Date.now()));
    // By then the server has signed this session out: the reload shows the sign-in page.
    endTimer = setTimeout(function () { location.reload(); }, Math.max(0, endsAt + touch - Date.now()) + 1000);
  }

  function keep() {
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status !== 204) { location.reload(); return; }
        endsAt = Date.now() + limit;
        schedule();
      })
      .catch(function () { /* offline: the next timer tries again */ });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    dialog.close();
    keep();
  });
  dialog.addEventListener("cancel", keep);
  // htmx refreshes reach the server too, and count as activity there.
  document.addEventListener("htmx:afterRequest", function () {
    endsAt = Math.max(endsAt, Date.now() - touch + limit);
    schedule();
  });
  schedule();
})();
