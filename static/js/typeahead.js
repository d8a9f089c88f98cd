// Pickers that search the server as you type (Tom Select), for any <select data-typeahead="URL">.
// The endpoint answers {"results": [{"id", "label", "detail", ...}]}; extra fields come from the
// server's enrichers (e.g. stock on hand) and are shown when present. With data-typeahead-go="URL
// with {id}", choosing an option opens that page (the navbar's quick find); with
// data-typeahead-enter="URL with {q}", Enter on typed text no option answers yet opens that URL.
(function () {
  "use strict";

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function optionHtml(item) {
    var detail = item.detail || item.name;
    var html = '<div class="app-ta-option"><span class="app-ta-label">' + escapeHtml(item.label) + "</span>";
    if (detail) html += ' <span class="app-ta-detail">' + escapeHtml(detail) + "</span>";
    if (item.hint) html += ' <span class="app-ta-hint">' + escapeHtml(item.hint) + "</span>";
    return html + "</div>";
  }

  function setup(select) {
    if (select.tomselect || !window.TomSelect) return;
    var url = select.dataset.typeahead;
    var go = select.dataset.typeaheadGo;
    var texts = {
      noResults: select.dataset.noResults || "",
      loading: select.dataset.loading || "",
    };
    var control = new window.TomSelect(select, {
      valueField: "id",
      labelField: "label",
      searchField: [],
      maxOptions: 50,
      loadThrottle: 200,
      preload: false,
      shouldLoad: function (query) { return query.trim().length >= 1; },
      load: function (query, callback) {
        var sep = url.indexOf("?") >= 0 ? "&" : "?";
        fetch(url + sep + "q=" + encodeURIComponent(query), {
          headers: { "Accept": "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { control.clearOptions(); callback(data.results || []); })
          .catch(function () { callback(); });
      },
      render: {
        option: function (item) { return optionHtml(item); },
        item: function (item) { return '<div>' + escapeHtml(item.label) + "</div>"; },
        no_results: function () { return '<div class="no-results">' + escapeHtml(texts.noResults) + "</div>"; },
        loading: function () { return '<div class="p-2 text-secondary">' + escapeHtml(texts.loading) + "</div>"; },
      },
      onChange: function (value) {
        if (go && value) window.location.assign(go.replace("{id}", encodeURIComponent(value)));
      },
    });
    // The <select> it replaces is hidden, so its autofocus would leave the cursor nowhere.
    if (select.hasAttribute("autofocus")) control.focus();
    var enter = select.dataset.typeaheadEnter;
    if (enter) {
      // Capture phase: runs before Tom Select's own Enter handling, which would pick a stale option.
      control.control_input.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" || event.isComposing) return;
        var query = control.control_input.value.trim();
        if (!query || (control.activeOption && !control.loading)) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        window.location.assign(enter.replace("{q}", encodeURIComponent(query)));
      }, true);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Pickers marked data-typeahead-lazy are set up by their page when first used.
    document.querySelectorAll("select[data-typeahead]:not([data-typeahead-lazy])").forEach(setup);
  });
  window.erpTypeahead = { setup: setup };
})();
