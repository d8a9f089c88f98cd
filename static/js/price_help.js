// Price help under quotation lines: list price, the last prices quoted to the customer for the
// product, and (only when the server sends them) cost and margins. Loaded by the partial
// templates/sales/_price_help.html, whose comment explains how an editor uses it:
//   window.erpPriceHelp.show(box, productId, customerId, {onPick: function (row) {...}})
//   window.erpPriceHelp.clear(box)
//   window.erpPriceHelp.refresh(box)   // for <div data-price-help data-product-id data-customer-id>
// Text comes from the partial (translated on the server); data is put in with textContent only.
(function () {
  "use strict";

  var config = null;

  function settings() {
    if (config) return config;
    var node = document.getElementById("price-help-config");
    if (!node) return null;
    config = { url: node.dataset.url, texts: JSON.parse(node.dataset.texts || "{}") };
    return config;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function clear(box) {
    box.replaceChildren();
    delete box.dataset.priceHelpKey;
  }

  function facts(data, t) {
    var line = el("div", "d-flex flex-wrap gap-3 mb-1");
    function fact(label, value, attr) {
      var span = el("span", "text-secondary", label + " ");
      span.appendChild(el("strong", "app-num text-body", value || "—"));
      if (attr) span.setAttribute(attr, "");
      line.appendChild(span);
    }
    fact(t.list_price, data.list_price_text, "data-list-price");
    if ("avg_cost" in data) fact(t.avg_cost, data.avg_cost_text, "data-cost");
    if ("last_purchase_price" in data) fact(t.last_purchase_price, data.last_purchase_price_text, "data-cost");
    return line;
  }

  function table(data, t, onPick) {
    var showMargin = "avg_cost" in data;
    var wrap = el("div", "table-responsive");
    var tbl = el("table", "table table-sm mb-0 app-table");
    var head = el("tr");
    [
      [t.date, ""], [t.quotation, ""], [t.quantity, "text-end"], [t.unit_price, "text-end"],
      [t.discount, "text-end"], [t.net_unit_price, "text-end"],
    ].forEach(function (c) { head.appendChild(el("th", c[1], c[0])); });
    head.lastChild.title = t.net_hint || "";
    if (showMargin) {
      head.appendChild(el("th", "text-end", t.margin));
      head.lastChild.setAttribute("data-cost", "");
    }
    if (onPick) head.appendChild(el("th"));
    var thead = el("thead");
    thead.appendChild(head);
    tbl.appendChild(thead);
    var body = el("tbody");
    data.history.forEach(function (row) {
      var tr = el("tr");
      tr.dataset.priceHelpRow = "";
      tr.appendChild(el("td", "text-nowrap", row.date_text));
      var number = el("td", "text-nowrap");
      if (row.url) {
        var a = el("a", "", row.number);
        a.href = row.url;
        a.target = "_blank";
        a.rel = "noopener";
        number.appendChild(a);
      } else {
        number.textContent = row.number;
      }
      number.appendChild(el("span", "text-secondary ms-1", row.status_label));
      tr.appendChild(number);
      tr.appendChild(el("td", "text-end app-num", row.quantity_text));
      var price = el("td", "text-end app-num", row.unit_price_text);
      price.setAttribute("data-unit-price", "");
      if (!row.prices_include_tax) price.appendChild(el("span", "text-secondary ms-1", t.excl_tax));
      tr.appendChild(price);
      tr.appendChild(el("td", "text-end app-num", row.discount_percent === "0" ? "" : row.discount_percent));
      tr.appendChild(el("td", "text-end app-num fw-semibold", row.net_unit_price_text));
      if (showMargin) {
        var margin = row.margin_percent;
        var cell = el("td", "text-end app-num", margin == null ? "—" : margin + " %");
        if (margin != null && margin.charAt(0) === "-") cell.classList.add("text-danger");
        cell.setAttribute("data-cost", "");
        cell.setAttribute("data-margin", "");
        tr.appendChild(cell);
      }
      if (onPick) {
        var td = el("td", "text-end");
        var button = el("button", "btn btn-link btn-sm p-0", t.use);
        button.type = "button";
        button.setAttribute("data-price-help-use", "");
        button.title = t.use_hint || "";
        button.addEventListener("click", function () { onPick(row); });
        td.appendChild(button);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    tbl.appendChild(body);
    wrap.appendChild(tbl);
    return wrap;
  }

  function render(box, data, onPick) {
    var t = settings().texts;
    var panel = el("div", "app-price-help small border rounded p-2 bg-light");
    panel.appendChild(facts(data, t));
    if (data.history.length) panel.appendChild(table(data, t, onPick));
    else panel.appendChild(el("div", "text-secondary", t.never));
    box.replaceChildren(panel);
  }

  function show(box, productId, customerId, options) {
    var conf = settings();
    if (!conf || !box) return;
    if (!productId || !customerId) { clear(box); return; }
    var key = productId + ":" + customerId;
    box.dataset.priceHelpKey = key;
    box.replaceChildren(el("div", "small text-secondary", conf.texts.loading));
    var url = conf.url + "?product_id=" + encodeURIComponent(productId) + "&customer_id=" + encodeURIComponent(customerId);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        // A later call for another product or customer wins over this slower answer.
        if (box.dataset.priceHelpKey === key) render(box, data, options && options.onPick);
      })
      .catch(function () {
        if (box.dataset.priceHelpKey === key) box.replaceChildren(el("div", "small text-danger", conf.texts.failed));
      });
  }

  function refresh(box) {
    show(box, box.dataset.productId, box.dataset.customerId);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-price-help][data-product-id][data-customer-id]").forEach(refresh);
  });
  window.erpPriceHelp = { show: show, clear: clear, refresh: refresh };
})();
