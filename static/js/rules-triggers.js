// Trigger and automation forms: each row's list of values shows only the values of the field
// or action chosen in that row, and the text box only where a value is written. Without this
// script every value is listed and the server checks that the one chosen fits its row.
(function () {
  "use strict";
  var form = document.querySelector("form[data-value-kinds]");
  if (!form) {
    return;
  }
  var kinds = JSON.parse(form.getAttribute("data-value-kinds"));

  function head(row) {
    return row.querySelector("select[name$='-field'], select[name$='-action']");
  }

  function update(row) {
    var chosen = head(row);
    var values = row.querySelector("select[name$='-value']");
    var text = row.querySelector("input[name$='-text']");
    if (!chosen || !values || !text) {
      return;
    }
    // A kind of listed values ("status", "group", ...), "" for a written value, "-" for none.
    var kind = chosen.value ? kinds[chosen.value] || "" : null;
    values.querySelectorAll("optgroup").forEach(function (group) {
      var shown = 0;
      group.querySelectorAll("option").forEach(function (option) {
        var fits = kind === null || option.value.split(":")[0] === kind;
        option.hidden = !fits;
        option.disabled = !fits;
        shown += fits ? 1 : 0;
      });
      group.hidden = shown === 0;
    });
    var selected = values.options[values.selectedIndex];
    if (selected && selected.disabled) {
      values.value = "";
    }
    var listed = kind !== null && kind !== "" && kind !== "-";
    values.closest(".rule-cell").hidden = kind !== null && !listed;
    text.closest(".rule-cell").hidden = kind !== null && kind !== "";
  }

  form.querySelectorAll(".rule-row").forEach(update);
  form.addEventListener("change", function (event) {
    var row = event.target.closest(".rule-row");
    if (row && event.target === head(row)) {
      update(row);
    }
  });
})();
