// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Remember the browser's time zone so pages for visitors (and new accounts) use it. Asked of
  // Intl once, then read from the cookie: the first Intl call costs a slow phone 100-350 ms of
  // main-thread time (Lighthouse's total blocking time).
  var zone = "";
  var saved = document.cookie.match(/(?:^|; )tz=([^;]*)/);
  if (saved) {
    try { zone = decodeURIComponent(saved[1]); } catch (e) { zone = ""; }
  } else {
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      if (zone) {
        document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
      }
    } catch (e) { /* old browser: the site's time zone is used */ }
  }

  // Pages shared by every visitor (and by a CDN) show times in the site's zone; show them in
  // the browser's own. Signed-in people's pages are rendered in the zone of their profile.
  function localTimes() {
    var meta = document.querySelector('meta[name="render-zone"]');
    var rendered = meta ? meta.getAttribute("content") : "";
    if (!zone || !rendered || rendered === zone) { return; }
    var format;
    try {
      format = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
        { dateStyle: "long", timeStyle: "short", timeZone: zone });
    } catch (e) { return; }
    document.querySelectorAll("time[datetime]").forEach(function (element) {
      var value = element.getAttribute("datetime");
      if (value.indexOf("T") === -1) { return; }  // a date alone stays as it is
      var moment = new Date(value);
      if (!isNaN(moment.getTime())) { element.textContent = format.format(moment); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes();
    // Move focus to the error summary after a failed submit, so screen readers announce it.
    var summary = document.getElementById("form-errors");
    if (summary) { summary.focus(); }
    // Or to the message that says what a form did, so keyboard users start from the result;
    // a #fragment in the address or an autofocus field names a better starting point.
    var done = document.getElementById("messages");
    if (!summary && done && !window.location.hash && !document.querySelector("[autofocus]")) {
      done.focus();
    }
    // Close the language menu with Escape, returning focus to its toggle.
    document.querySelectorAll("details.language-switcher").forEach(function (menu) {
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    });
  });
})();
