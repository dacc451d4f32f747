// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Remember the browser's time zone so pages for visitors (and new accounts) use it.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=") === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* old browser: the site's time zone is used */ }

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary after a failed submit, so screen readers announce it.
    var summary = document.getElementById("form-errors");
    if (summary) { summary.focus(); }
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
