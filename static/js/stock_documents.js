// Document line editors (stock documents, quotations, sales orders): line pickers and keyboard use.
// No inline scripts (Content-Security-Policy).
//
// - A location box (input[data-locations-of="warehouse_id"]) suggests the codes of the warehouse
//   chosen in that select, from <datalist id="locations-<warehouse id>">; "count" uses the
//   count's own list.
// - Product pickers (select[data-typeahead-lazy]) become Tom Select typeaheads when first used,
//   so a document of a thousand lines opens fast.
// - Enter in a line's box moves to the next line, adding one at the end, instead of sending
//   the form.
// - Rows are numbered again after one is added or removed.
(function () {
  "use strict";

  function form() {
    return document.getElementById("document-form") || document.getElementById("count-entry-form") ||
      document.querySelector("form[data-line-editor]");
  }

  function listFor(input) {
    var source = input.dataset.locationsOf;
    if (source === "count") return "locations-count";
    var select = document.querySelector('select[name="' + source + '"]');
    return select && select.value ? "locations-" + select.value : "";
  }

  function refreshLocationLists(root) {
    (root || document).querySelectorAll("input[data-locations-of]").forEach(function (input) {
      var id = listFor(input);
      if (id) input.setAttribute("list", id); else input.removeAttribute("list");
    });
  }

  function renumber(editor) {
    if (!editor || !editor.hasAttribute("data-rows-numbered")) return;
    editor.querySelectorAll("[data-rows-body] [data-row]").forEach(function (row, i) {
      var cell = row.querySelector("[data-row-number]");
      if (cell) cell.textContent = String(i + 1);
    });
  }

  function activatePicker(select) {
    if (select.tomselect || !window.erpTypeahead) return select.tomselect;
    window.erpTypeahead.setup(select);
    return select.tomselect;
  }

  function focusRow(row) {
    if (!row) return;
    var select = row.querySelector("select[data-typeahead-lazy]");
    if (select) {
      var control = activatePicker(select);
      if (control) { control.focus(); return; }
    }
    var first = row.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var f = form();
    if (!f) return;
    refreshLocationLists(f);
    f.addEventListener("change", function (event) {
      if (event.target.matches("select[name=warehouse_id], select[name=to_warehouse_id]")) refreshLocationLists(f);
    });
    // Pickers come alive on first use (mouse or keyboard).
    ["focusin", "mousedown"].forEach(function (type) {
      f.addEventListener(type, function (event) {
        var select = event.target.closest && event.target.closest("select[data-typeahead-lazy]");
        if (!select || select.tomselect) return;
        if (type === "mousedown") event.preventDefault();
        var control = activatePicker(select);
        if (control) window.setTimeout(function () { control.focus(); }, 0);
      });
    });
    f.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !event.target.matches("input[data-row-enter]")) return;
      event.preventDefault();
      var row = event.target.closest("[data-row]");
      var editor = event.target.closest("[data-rows]");
      if (!row || !editor) return;
      var next = row.nextElementSibling;
      if (!next) {
        var add = editor.querySelector("[data-row-add]");
        if (add) add.click();
        next = row.nextElementSibling;
      }
      focusRow(next);
    });
    // Counted quantities: Enter goes to the next box.
    f.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !event.target.matches("input[data-counted]")) return;
      event.preventDefault();
      var boxes = Array.prototype.slice.call(f.querySelectorAll("input[data-counted]"));
      var next = boxes[boxes.indexOf(event.target) + 1];
      if (next) { next.focus(); next.select(); }
    });
    // Counted quantities: the variance shows as it is typed (the server computes it again).
    f.addEventListener("input", function (event) {
      var box = event.target;
      if (!box.matches("input[data-counted]")) return;
      var row = box.closest("tr");
      var book = row && row.querySelector("[data-book]");
      var cell = row && row.querySelector("[data-variance]");
      if (!book || !cell) return;
      var text = box.value.replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
        .replace(/,/g, "").trim();
      var counted = text === "" ? NaN : Number(text);
      if (isNaN(counted)) { cell.textContent = ""; return; }
      var variance = Math.round((counted - Number(book.dataset.book)) * 1000) / 1000;
      cell.textContent = variance > 0 ? "+" + variance : String(variance);
    });
    document.addEventListener("rows:changed", function (event) {
      refreshLocationLists(event.target);
      renumber(event.target);
    });
    f.querySelectorAll("[data-rows]").forEach(renumber);
  });
})();
