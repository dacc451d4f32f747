// Request form: checks chosen files before they are uploaded, so a too-large upload is refused
// with a clear message instead of after a long wait. The server checks everything again.
(function () {
  "use strict";

  function problems(input) {
    var found = [];
    var files = Array.prototype.slice.call(input.files || []);
    var maxFiles = parseInt(input.dataset.maxFiles, 10);
    var maxBytes = parseInt(input.dataset.maxBytes, 10);
    var maxRequest = parseInt(input.dataset.maxRequest, 10);
    var total = 0;
    if (maxFiles && files.length > maxFiles) { found.push(input.dataset.tooMany); }
    files.forEach(function (file) {
      total += file.size;
      if (maxBytes && file.size > maxBytes) {
        found.push(input.dataset.tooLarge.replace("{name}", file.name));
      }
    });
    if (maxRequest && total > maxRequest) { found.push(input.dataset.tooMuch); }
    return found;
  }

  function show(input, list) {
    var box = document.getElementById(input.id + "_checks");
    if (!box) { return; }
    box.textContent = "";
    list.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      box.appendChild(item);
    });
    box.hidden = list.length === 0;
    if (!("describedby" in input.dataset)) {
      input.dataset.describedby = input.getAttribute("aria-describedby") || "";
    }
    var describedBy = input.dataset.describedby;
    if (list.length) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", (describedBy + " " + box.id).trim());
    } else {
      input.removeAttribute("aria-invalid");
      if (describedBy) { input.setAttribute("aria-describedby", describedBy); }
      else { input.removeAttribute("aria-describedby"); }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[type=file][data-max-files]").forEach(function (input) {
      input.addEventListener("change", function () { show(input, problems(input)); });
      if (input.form) {
        input.form.addEventListener("submit", function (event) {
          var list = problems(input);
          show(input, list);
          if (list.length) {
            event.preventDefault();
            input.focus();
          }
        });
      }
    });
  });
})();
