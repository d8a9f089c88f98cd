// Delivery form: "another location" under a line adds a row for the same order line, so its
// quantity can be picked from several locations. The new row gets the next free line number; the
// server checks every quantity against what is left to deliver.
(function () {
  "use strict";

  function nextIndex(table) {
    var highest = -1;
    table.querySelectorAll("[name^='lines-']").forEach(function (el) {
      var n = parseInt(el.name.split("-")[1], 10);
      if (!isNaN(n) && n > highest) highest = n;
    });
    return highest + 1;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("[data-delivery-lines]");
    if (!table) return;
    table.addEventListener("click", function (event) {
      var button = event.target.closest("[data-split]");
      if (!button) return;
      event.preventDefault();
      var row = button.closest("tr");
      var copy = row.cloneNode(true);
      var index = String(nextIndex(table));
      copy.querySelectorAll("[name], [id]").forEach(function (el) {
        if (el.name) el.name = el.name.replace(/^lines-\d+-/, "lines-" + index + "-");
        if (el.id) el.id = el.id.replace(/^lines-\d+-/, "lines-" + index + "-");
        el.classList.remove("is-invalid");
      });
      copy.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
      var quantity = copy.querySelector("[name$='-quantity']");
      if (quantity) quantity.value = "";
      var location = copy.querySelector("select[name$='-location_id']");
      if (location) location.value = "";
      copy.setAttribute("data-split-row", "");
      row.parentNode.insertBefore(copy, row.nextSibling);
      if (location) location.focus();
    });
  });
})();
