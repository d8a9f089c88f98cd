// Line editor of quotations and sales orders (<form data-line-editor>): rows moved, inserted and
// duplicated in place, "clear lines" after a confirmation, a chosen product's list price offered
// as the unit price, the contact list of the chosen customer, and amounts and the total previewed
// as they are typed. The server computes every amount again in Decimal when saving; nothing here
// is trusted.
(function () {
  "use strict";

  function parseNumber(text) {
    if (text == null) return NaN;
    var clean = String(text)
      .replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/\uFF0E/g, ".").replace(/[,\s]/g, "");
    return clean === "" ? NaN : Number(clean);
  }

  function roundHalfUp(value, places) {
    var factor = Math.pow(10, places);
    return Math.sign(value) * Math.round(Math.abs(value) * factor + 1e-9) / factor;
  }

  function box(row, name) { return row.querySelector('[name$="-' + name + '"]'); }

  function recompute(form, formatter) {
    var total = 0;
    form.querySelectorAll("[data-rows-body] [data-row]").forEach(function (row) {
      var qty = parseNumber(box(row, "quantity").value);
      var price = parseNumber(box(row, "unit_price").value);
      var discount = parseNumber(box(row, "discount_percent").value);
      if (isNaN(discount)) discount = 0;
      var cell = row.querySelector("[data-line-amount]");
      if (isNaN(qty) || isNaN(price)) { cell.textContent = ""; return; }
      var amount = roundHalfUp(qty * price * (100 - discount) / 100, 2);
      total += amount;
      cell.textContent = formatter.format(amount);
    });
    var totalCell = form.querySelector("[data-total-preview]");
    if (totalCell) totalCell.textContent = formatter.format(roundHalfUp(total, 2));
  }

  // Rows keep their field names (lines-<n>-…); the server reads them in document order, so moving
  // a row in the page is enough to move it in the quotation.
  function cloneRow(editor, row) {
    var add = editor.querySelector("[data-row-add]");
    add.click();
    var rows = editor.querySelectorAll("[data-rows-body] [data-row]");
    return rows[rows.length - 1];
  }

  // A duplicate is a new line: every typed box is copied, never the id of the line it copies.
  function copyValues(from, to) {
    from.querySelectorAll('input[type="text"][name]').forEach(function (input) {
      var suffix = input.name.replace(/^.*-/, "");
      var target = box(to, suffix);
      if (target) target.value = input.value;
    });
    var source = box(from, "product_id");
    var target = box(to, "product_id");
    if (source && target && source.value) {
      var label = source.tomselect ? source.tomselect.getItem(source.value) : null;
      var text = label ? label.textContent : source.options[source.selectedIndex].textContent;
      target.innerHTML = "";
      var option = document.createElement("option");
      option.value = source.value; option.textContent = text; option.selected = true;
      target.appendChild(option);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-line-editor]");
    if (!form) return;
    var editor = form.querySelector("[data-rows]");
    var body = editor.querySelector("[data-rows-body]");
    var formatter = new Intl.NumberFormat(form.dataset.moneyLocale === "zh" ? "zh-CN" : "en-US",
      { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var update = function () { recompute(form, formatter); };

    editor.addEventListener("click", function (event) {
      var button = event.target.closest("[data-row-up], [data-row-down], [data-row-insert], [data-row-duplicate]");
      if (!button) return;
      event.preventDefault();
      var row = button.closest("[data-row]");
      if (button.hasAttribute("data-row-up") && row.previousElementSibling) {
        body.insertBefore(row, row.previousElementSibling);
      } else if (button.hasAttribute("data-row-down") && row.nextElementSibling) {
        body.insertBefore(row.nextElementSibling, row);
      } else if (button.hasAttribute("data-row-insert")) {
        body.insertBefore(cloneRow(editor, row), row);
      } else if (button.hasAttribute("data-row-duplicate")) {
        var copy = cloneRow(editor, row);
        copyValues(row, copy);
        body.insertBefore(copy, row.nextElementSibling);
      }
      editor.dispatchEvent(new CustomEvent("rows:changed", { bubbles: true }));
      button.focus();
      update();
    });

    var clear = document.getElementById("lines-clear");
    if (clear) clear.addEventListener("click", function () {
      var wipe = function () {
        body.querySelectorAll("[data-row]").forEach(function (row) { row.remove(); });
        editor.querySelector("[data-row-add]").click();
        update();
      };
      if (window.erpConfirm) window.erpConfirm(clear.dataset.confirmText, wipe); else if (window.confirm(clear.dataset.confirmText)) wipe();
    });

    // A product chosen on a line brings its list price when no price has been typed yet.
    form.addEventListener("change", function (event) {
      var select = event.target;
      if (select.matches("select[data-line-product]") && select.tomselect && select.value) {
        var item = select.tomselect.options[select.value] || {};
        var row = select.closest("[data-row]");
        var price = box(row, "unit_price");
        if (price && !price.value && item.list_price != null) price.value = item.list_price;
        var qty = box(row, "quantity");
        if (qty && !qty.value) qty.value = "1";
        update();
      }
    });

    // The contacts of the chosen customer.
    var customer = document.getElementById("customer_id");
    var contact = document.getElementById("contact_id");
    if (customer && contact) customer.addEventListener("change", function () {
      contact.innerHTML = '<option value="">—</option>';
      if (!customer.value) return;
      var url = form.dataset.contactsUrl.replace(/\/0\/contacts$/, "/" + encodeURIComponent(customer.value) + "/contacts");
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          (data.results || []).forEach(function (c) {
            var option = document.createElement("option");
            option.value = c.id; option.textContent = c.name; option.selected = c.is_primary;
            contact.appendChild(option);
          });
        });
    });

    form.addEventListener("input", update);
    document.addEventListener("rows:changed", update);
    update();
  });
})();
