// Rows edited inline on a form (contacts, later document lines): add and remove rows without a
// reload. No inline scripts: the Content-Security-Policy forbids them.
//
// Markup (templates/_macros/rows.html):
//   [data-rows="<prefix>"]           the editor; <prefix> is the FieldList's name ("contacts")
//     [data-rows-body]               holds the rows, each [data-row]
//     <template data-row-template>   a blank row whose names and ids carry "__index__"
//     [data-row-add]                 adds a row
//   [data-row-remove]                inside a row: removes it
//   input[data-row-exclusive="k"]    ticking one unticks the others with the same k (e.g. the
//                                    one primary contact); the server checks the rule anyway
(function () {
  "use strict";

  var PLACEHOLDER = /__index__/g;
  var ATTRIBUTES = ["name", "id", "for", "aria-describedby", "aria-labelledby"];

  function nextIndex(editor) {
    var prefix = editor.dataset.rows + "-";
    var highest = -1;
    editor.querySelectorAll("[data-rows-body] [name]").forEach(function (el) {
      var name = el.getAttribute("name");
      if (name.indexOf(prefix) !== 0) return;
      var n = parseInt(name.slice(prefix.length), 10);
      if (!isNaN(n) && n > highest) highest = n;
    });
    return highest + 1;
  }

  function addRow(editor) {
    var template = editor.querySelector("template[data-row-template]");
    var body = editor.querySelector("[data-rows-body]");
    if (!template || !body) return null;
    var index = String(nextIndex(editor));
    var fragment = template.content.cloneNode(true);
    fragment.querySelectorAll("*").forEach(function (el) {
      ATTRIBUTES.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && value.indexOf("__index__") !== -1) el.setAttribute(attr, value.replace(PLACEHOLDER, index));
      });
    });
    var row = fragment.querySelector("[data-row]");
    body.appendChild(fragment);
    refresh(editor);
    return row;
  }

  function removeRow(editor, row) {
    var rows = Array.prototype.slice.call(editor.querySelectorAll("[data-rows-body] [data-row]"));
    var position = rows.indexOf(row);
    row.remove();
    refresh(editor);
    // Keep the keyboard user in the table: the next row's remove button, else "add".
    var left = editor.querySelectorAll("[data-rows-body] [data-row]");
    var target = left[Math.min(position, left.length - 1)];
    var focus = target ? target.querySelector("[data-row-remove]") : editor.querySelector("[data-row-add]");
    if (focus) focus.focus();
  }

  function refresh(editor) {
    var count = editor.querySelectorAll("[data-rows-body] [data-row]").length;
    editor.dataset.rowCount = String(count);
    var empty = editor.querySelector("[data-rows-empty]");
    if (empty) empty.hidden = count > 0;
    // Pages with more to do per row (numbering, pickers) listen for this.
    editor.dispatchEvent(new CustomEvent("rows:changed", { bubbles: true }));
  }

  function setup(editor) {
    editor.addEventListener("click", function (event) {
      var add = event.target.closest("[data-row-add]");
      if (add && editor.contains(add)) {
        event.preventDefault();
        var row = addRow(editor);
        var first = row && row.querySelector("input:not([type=hidden]):not([type=checkbox]), select, textarea");
        if (first) first.focus();
        return;
      }
      var remove = event.target.closest("[data-row-remove]");
      if (remove && editor.contains(remove)) {
        event.preventDefault();
        removeRow(editor, remove.closest("[data-row]"));
      }
    });
    editor.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.matches("input[type=checkbox][data-row-exclusive]") || !box.checked) return;
      var key = box.dataset.rowExclusive;
      editor.querySelectorAll("[data-rows-body] input[type=checkbox][data-row-exclusive]").forEach(function (other) {
        if (other !== box && other.dataset.rowExclusive === key) other.checked = false;
      });
    });
    refresh(editor);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rows]").forEach(setup);
  });
})();
