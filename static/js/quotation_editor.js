// Line editor of quotations and sales orders (<form data-line-editor>): rows moved, inserted and
// duplicated in place, "clear lines" after a confirmation, a chosen product's list price offered
// as the unit price, the contact list of the chosen customer, price help under a line where the
// page has it (templates/sales/_price_help.html), and amounts and the total previewed as they are
// typed. The server computes every amount again in Decimal when saving; nothing here is trusted.
// Enter moves from box to box (static/js/stock_documents.js).
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

  function rowsOf(body) { return Array.prototype.slice.call(body.querySelectorAll("[data-row]")); }

  // Neighbouring lines, skipping the price help shown under a line.
  function sibling(body, row, step) {
    var rows = rowsOf(body);
    return rows[rows.indexOf(row) + step] || null;
  }

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

  // A new blank line, added at the end for the caller to put where it belongs; its names carry the
  // next free number and are put in page order when the form is sent.
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
    var customer = document.getElementById("customer_id");
    var contact = document.getElementById("contact_id");
    var formatter = new Intl.NumberFormat(form.dataset.moneyLocale === "zh" ? "zh-CN" : "en-US",
      { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var update = function () { recompute(form, formatter); };
    var focusRow = function (row) { if (window.erpDocumentLines) window.erpDocumentLines.focusRow(row); };

    // Price help: one line at a time, in a table row of its own under that line.
    var help = null;

    function closeHelp() {
      if (!help) return;
      help.tr.remove();
      var toggle = help.row.querySelector("[data-price-help-toggle]");
      if (toggle) toggle.setAttribute("aria-expanded", "false");
      help = null;
    }

    function note(text) {
      var div = document.createElement("div");
      div.className = "small text-secondary";
      div.textContent = text;
      return div;
    }

    function fillHelp() {
      var productId = box(help.row, "product_id").value;
      var customerId = customer ? customer.value : "";
      if (!productId || !customerId) {
        help.box.replaceChildren(note(customerId ? form.dataset.helpNoProduct : form.dataset.helpNoCustomer));
        return;
      }
      var row = help.row;
      window.erpPriceHelp.show(help.box, productId, customerId, {
        onPick: function (point) {
          var price = box(row, "unit_price");
          price.value = point.unit_price;
          box(row, "discount_percent").value = point.discount_percent === "0" ? "" : point.discount_percent;
          closeHelp();
          update();
          price.focus();
          price.select();
        },
      });
    }

    function openHelp(row) {
      if (!window.erpPriceHelp) return;
      if (help && help.row === row) { fillHelp(); return; }
      closeHelp();
      var tr = document.createElement("tr");
      tr.className = "app-price-help-row";
      tr.setAttribute("data-price-help-line", "");
      var td = document.createElement("td");
      td.colSpan = row.children.length;
      var target = document.createElement("div");
      target.setAttribute("data-price-help", "");
      td.appendChild(target);
      tr.appendChild(td);
      row.after(tr);
      help = { row: row, tr: tr, box: target };
      var toggle = row.querySelector("[data-price-help-toggle]");
      if (toggle) toggle.setAttribute("aria-expanded", "true");
      fillHelp();
    }

    // Rows added, removed or moved by anyone: the help follows its line or goes with it.
    document.addEventListener("rows:changed", function () {
      if (!help) return;
      if (!help.row.isConnected) closeHelp();
      else if (help.row.nextElementSibling !== help.tr) help.row.after(help.tr);
    });

    editor.addEventListener("click", function (event) {
      if (event.target.closest("[data-row-add]")) {
        // A line starts with its product, as after Enter in the last line.
        var all = rowsOf(body);
        focusRow(all[all.length - 1]);
        return;
      }
      var toggle = event.target.closest("[data-price-help-toggle]");
      if (toggle) {
        event.preventDefault();
        var line = toggle.closest("[data-row]");
        if (help && help.row === line) closeHelp(); else openHelp(line);
        return;
      }
      var button = event.target.closest("[data-row-up], [data-row-down], [data-row-insert], [data-row-duplicate]");
      if (!button) return;
      event.preventDefault();
      var row = button.closest("[data-row]");
      var focus = null;
      closeHelp();
      if (button.hasAttribute("data-row-up")) {
        var before = sibling(body, row, -1);
        if (before) body.insertBefore(row, before);
      } else if (button.hasAttribute("data-row-down")) {
        var after = sibling(body, row, 1);
        if (after) body.insertBefore(after, row);
      } else if (button.hasAttribute("data-row-insert")) {
        focus = cloneRow(editor, row);
        body.insertBefore(focus, row);
      } else if (button.hasAttribute("data-row-duplicate")) {
        focus = cloneRow(editor, row);
        copyValues(row, focus);
        body.insertBefore(focus, row.nextElementSibling);
      }
      editor.dispatchEvent(new CustomEvent("rows:changed", { bubbles: true }));
      update();
      // A new line gets the cursor; a moved one keeps it on its menu, ready to move again.
      if (focus) focusRow(focus);
      else row.querySelector("[data-row-menu]").focus();
    });

    var clear = document.getElementById("lines-clear");
    if (clear) clear.addEventListener("click", function () {
      var wipe = function () {
        closeHelp();
        body.querySelectorAll("[data-row]").forEach(function (row) { row.remove(); });
        editor.querySelector("[data-row-add]").click();
        update();
      };
      if (window.erpConfirm) window.erpConfirm(clear.dataset.confirmText, wipe); else if (window.confirm(clear.dataset.confirmText)) wipe();
    });

    // A product chosen on a line brings its list price when no price has been typed yet, and the
    // prices last quoted to the customer for it.
    form.addEventListener("change", function (event) {
      var select = event.target;
      if (select.matches("select[data-line-product]") && select.tomselect && select.value) {
        var item = select.tomselect.options[select.value] || {};
        var row = select.closest("[data-row]");
        var price = box(row, "unit_price");
        // "91.6000" from the server is shown as "91.60", like the prices the page was drawn with.
        if (price && !price.value && item.list_price != null) price.value = String(item.list_price).replace(/(\.\d\d\d*?)0+$/, "$1");
        var qty = box(row, "quantity");
        if (qty && !qty.value) qty.value = "1";
        update();
        if (customer && customer.value) openHelp(row); else if (help && help.row === row) fillHelp();
      }
    });

    // The contacts of the chosen customer.
    if (customer && contact) customer.addEventListener("change", function () {
      if (help) fillHelp();
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

    // The server reads the lines by the number in their names (lines-<n>-…), not by their place
    // in the page: as the form is sent, number them in page order so that lines moved, inserted
    // or duplicated are saved where they are shown.
    var prefix = new RegExp("^" + editor.dataset.rows + "-\\d+-");
    form.addEventListener("submit", function () {
      rowsOf(body).forEach(function (row, i) {
        row.querySelectorAll("[name]").forEach(function (el) {
          el.name = el.name.replace(prefix, editor.dataset.rows + "-" + i + "-");
        });
      });
    });

    form.addEventListener("input", update);
    document.addEventListener("rows:changed", update);
    update();

    // Shown again with mistakes marked: the cursor goes to the first one.
    var invalid = form.querySelector("input.is-invalid, select.is-invalid");
    if (invalid) {
      var row = invalid.closest("[data-row]");
      if (row && invalid.matches("select[data-line-product]")) focusRow(row);
      else if (invalid.tomselect) invalid.tomselect.focus();
      else invalid.focus();
    }
  });
})();
