// The article editor: small enhancements; the editor works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Select a media snippet when it gets focus, ready to copy.
    document.body.addEventListener("focusin", function (event) {
      var target = event.target;
      if (target && target.classList && target.classList.contains("snippet")) {
        target.select();
      }
    });
  });
})();
