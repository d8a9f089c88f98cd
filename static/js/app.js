// Behaviour shared by every page. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // Forms marked data-confirm, and submit buttons marked data-confirm, ask in a dialog before
  // the form is sent.
  function setupConfirm() {
    var modalEl = document.getElementById("confirm-modal");
    if (!modalEl || !window.bootstrap) return;
    var modal = new window.bootstrap.Modal(modalEl);
    var pending = null;
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var submitter = event.submitter || null;
      var message = form.dataset.confirm || (submitter && submitter.dataset.confirm);
      if (!message || form.dataset.confirmed === "1") return;
      event.preventDefault();
      pending = { form: form, submitter: submitter };
      modalEl.querySelector("[data-confirm-text]").textContent = message;
      modal.show();
    }, true);
    // Scripts ask too: window.erpConfirm(message, callback) runs callback after "OK".
    window.erpConfirm = function (message, callback) {
      pending = { callback: callback };
      modalEl.querySelector("[data-confirm-text]").textContent = message;
      modal.show();
    };
    modalEl.querySelector("[data-confirm-ok]").addEventListener("click", function () {
      if (!pending) return;
      if (pending.callback) {
        var callback = pending.callback;
        pending = null;
        modal.hide();
        callback();
        return;
      }
      var form = pending.form;
      var submitter = pending.submitter;
      pending = null;
      form.dataset.confirmed = "1";
      modal.hide();
      if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
    });
    modalEl.addEventListener("shown.bs.modal", function () {
      modalEl.querySelector("[data-confirm-ok]").focus();
    });
  }

  // After a form is sent, its submit buttons are disabled so a second click sends nothing.
  // (The server's one-time token makes a second send harmless anyway.)
  function setupSubmitOnce() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented || form.method.toLowerCase() !== "post") return;
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
          b.disabled = true;
        });
      }, 0);
    });
    // Coming back with the browser's back button must not leave buttons disabled.
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form button[type=submit]:disabled").forEach(function (b) {
        if (!b.hasAttribute("data-keep-disabled")) b.disabled = false;
      });
    });
  }

  // Role editor: a resource's checkbox toggles all of its (editable) permissions.
  function setupPermissionGrid() {
    document.querySelectorAll("[data-group-toggle]").forEach(function (toggle) {
      var group = toggle.dataset.groupToggle;
      var boxes = Array.prototype.slice.call(
        document.querySelectorAll('input[type=checkbox][data-group="' + group + '"]'));
      var editable = boxes.filter(function (b) { return !b.disabled; });
      function refresh() {
        var on = boxes.filter(function (b) { return b.checked; }).length;
        toggle.checked = on === boxes.length && on > 0;
        toggle.indeterminate = on > 0 && on < boxes.length;
      }
      if (!editable.length) toggle.disabled = true;
      toggle.addEventListener("change", function () {
        editable.forEach(function (b) { b.checked = toggle.checked; });
        refresh();
      });
      boxes.forEach(function (b) { b.addEventListener("change", refresh); });
      refresh();
    });
  }

  // Lists with a batch action: tick rows, see how many, act on them.
  function setupBatchSelection() {
    var bar = document.querySelector("[data-batch-bar]");
    if (!bar) return;
    var all = document.querySelector("[data-check-all]");
    var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-row-check]"));
    var count = bar.querySelector("[data-batch-count]");
    var template = bar.dataset.countTemplate || "%(n)s";
    function refresh() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      bar.hidden = n === 0;
      count.textContent = template.replace("%(n)s", String(n));
      if (all) {
        all.checked = n === boxes.length && n > 0;
        all.indeterminate = n > 0 && n < boxes.length;
      }
    }
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
        refresh();
      });
    }
    boxes.forEach(function (b) { b.addEventListener("change", refresh); });
    refresh();
  }

  function setupSidebarToggle() {
    var button = document.querySelector("[data-toggle-sidebar]");
    var sidebar = document.getElementById("app-sidebar");
    if (!button || !sidebar) return;
    button.addEventListener("click", function () { sidebar.classList.toggle("show"); });
  }

  function setupHistoryBack() {
    document.querySelectorAll("[data-history-back]").forEach(function (link) {
      link.setAttribute("href", "#");
      link.addEventListener("click", function (event) { event.preventDefault(); window.history.back(); });
    });
  }

  // A file input with data-max-bytes refuses a file over the limit before it is uploaded (the
  // server refuses it too, but only after the browser has sent it all).
  function setupFileLimits() {
    function tooLarge(input) {
      var file = input.files && input.files[0];
      return !!file && file.size > parseInt(input.dataset.maxBytes, 10);
    }
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      input.addEventListener("change", function () {
        input.setCustomValidity(tooLarge(input) ? input.dataset.tooLarge || "" : "");
        input.reportValidity();
      });
    });
    document.addEventListener("submit", function (event) {
      event.target.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
        if (tooLarge(input)) {
          event.preventDefault();
          input.reportValidity();
        }
      });
    }, true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupConfirm();
    setupSubmitOnce();
    setupPermissionGrid();
    setupBatchSelection();
    setupSidebarToggle();
    setupHistoryBack();
    setupFileLimits();
  });
})();
