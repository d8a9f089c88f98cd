// Live pages: the bell's unread count, its dropdown, toasts for new notifications, the dashboard's
// "my work" counts, the menu after a change of roles, and the sign-in page after the session ended.
// Everything arrives over one Socket.IO connection; while it is down the page polls instead, and
// without scripts it still shows the count rendered by the server.
(function () {
  "use strict";

  var CAP = 99;
  var SYNC_EVERY_MS = 60000;

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  onReady(function () {
    var live = document.getElementById("app-live");
    var bell = document.getElementById("nav-bell");
    if (!live || !bell) return;
    var cfg = live.dataset;
    var pollMs = Math.max(5, parseInt(cfg.pollSeconds, 10) || 30) * 1000;
    var menuEl = document.getElementById("app-menu");
    var bellMenu = document.querySelector("[data-bell-menu]");
    var dashboard = document.querySelector("[data-dashboard]");
    var inboxNews = document.querySelector("[data-inbox-news]");
    var toasts = document.getElementById("app-toasts");
    // Fragments come in the language this page is shown in (it may be a one-off ?lang=).
    var lang = "lang=" + encodeURIComponent(document.body.dataset.lang || "");
    var pollTimer = null;
    var syncTimer = null;
    var leaving = false;

    function safePath(link) {
      // Links of notifications are paths inside the application; anything else is not followed.
      return typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/" && link.indexOf("\\") < 0;
    }

    function goToLogin() {
      if (leaving) return;
      leaving = true;
      window.location.assign(cfg.loginUrl);
    }

    // --- the bell -----------------------------------------------------------------------------

    function unread() {
      return parseInt(bell.dataset.unread, 10) || 0;
    }

    function setUnread(n) {
      n = Math.max(0, Math.min(n, CAP + 1));
      bell.dataset.unread = String(n);
      var count = bell.querySelector("[data-unread-count]");
      count.textContent = n > CAP ? CAP + "+" : String(n);
      count.classList.toggle("d-none", n === 0);
      bell.classList.toggle("has-unread", n > 0);
      var icon = bell.querySelector("i.bi");
      icon.classList.toggle("bi-bell-fill", n > 0);
      icon.classList.toggle("bi-bell", n === 0);
      bell.setAttribute("aria-label", n > 0 ? bell.dataset.labelUnread.replace("{n}", String(n)) : bell.dataset.label);
      document.querySelectorAll("[data-unread-total]").forEach(function (badge) {
        badge.textContent = n > CAP ? CAP + "+" : String(n);
      });
      var href = bell.getAttribute("href").split("?")[0];
      bell.setAttribute("href", n > 0 ? href + "?show=unread" : href);
    }

    function dropdownOpen() {
      return bellMenu && bellMenu.classList.contains("show");
    }

    function loadDropdown() {
      if (!bellMenu) return;
      fetch(bell.dataset.dropdownUrl + "?" + lang, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (response.redirected && response.url.indexOf(cfg.loginUrl) >= 0) { goToLogin(); return null; }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html !== null && html !== undefined) bellMenu.innerHTML = html;
        })
        .catch(function () { /* the inbox link still works */ });
    }

    function markRead(ids) {
      var url = cfg.readUrl.replace("{id}", String(ids[0])) + (ids[1] !== ids[0] ? "?to=" + ids[1] : "");
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": cfg.csrf, Accept: "application/json" },
      }).then(function (response) {
        if (!response.ok) return null;
        return response.json().then(function (data) { setUnread(data.unread); return data; });
      });
    }

    function openNotification(ids, link) {
      markRead(ids).catch(function () { return null; }).then(function () {
        if (safePath(link)) window.location.assign(link);
        else if (dropdownOpen()) loadDropdown();
      });
    }

    bell.addEventListener("show.bs.dropdown", loadDropdown);
    if (bellMenu) {
      bellMenu.addEventListener("click", function (event) {
        var item = event.target.closest("[data-notification]");
        if (!item) return;
        event.preventDefault();
        var id = parseInt(item.dataset.notification, 10);
        openNotification([id, id], item.dataset.link);
      });
    }

    // --- toasts -------------------------------------------------------------------------------

    function el(tag, cls, text) {
      var node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text) node.textContent = text;
      return node;
    }

    function showToast(title, body, meta, action) {
      if (!toasts || !window.bootstrap) return null;
      var toast = el("div", "toast app-toast");
      toast.setAttribute("role", "status");
      var head = el("div", "toast-header");
      var icon = el("i", "bi bi-" + (meta.icon || "bell") + " me-2 text-primary");
      icon.setAttribute("aria-hidden", "true");
      head.appendChild(icon);
      head.appendChild(el("strong", "me-auto", meta.label || cfg.textNew));
      var close = el("button", "btn-close");
      close.type = "button";
      close.setAttribute("data-bs-dismiss", "toast");
      close.setAttribute("aria-label", cfg.textClose);
      head.appendChild(close);
      toast.appendChild(head);
      var main = el("div", "toast-body");
      main.appendChild(el("div", "app-toast-title", title));
      if (body) main.appendChild(el("div", "app-toast-body", body.length > 200 ? body.slice(0, 200) + "…" : body));
      if (action) {
        var button = el("button", "btn btn-sm btn-primary mt-2", cfg.textOpen);
        button.type = "button";
        button.setAttribute("data-toast-open", "");
        button.addEventListener("click", action);
        main.appendChild(button);
      }
      toast.appendChild(main);
      toasts.appendChild(toast);
      var instance = new window.bootstrap.Toast(toast, { delay: 8000 });
      toast.addEventListener("hidden.bs.toast", function () { toast.remove(); });
      instance.show();
      return toast;
    }

    function onNotification(data) {
      var n = data && data.notification;
      if (!n) return;
      setUnread(unread() + 1);
      var open = safePath(n.link) ? function () { openNotification(n.ids, n.link); } : null;
      showToast(n.title, n.body, { icon: n.icon, label: n.kind_label }, open);
      if (dropdownOpen()) loadDropdown();
      if (inboxNews) inboxNews.hidden = false;
    }

    // --- the dashboard and the menu -----------------------------------------------------------

    function applyWork(work) {
      if (!dashboard || !work) return;
      Object.keys(work).forEach(function (key) {
        var item = dashboard.querySelector('[data-work-item="' + key + '"]');
        if (!item) return;
        var n = work[key];
        item.querySelector("[data-work-count]").textContent = n > CAP ? CAP + "+" : String(n);
        item.classList.toggle("app-work-zero", n === 0);
        item.dataset.count = String(n);
      });
    }

    function applyState(state) {
      if (!state) return;
      if (typeof state.unread === "number") setUnread(state.unread);
      applyWork(state.work);
      if (state.access_changed) reloadMenu();
    }

    function reloadMenu() {
      if (dashboard) { window.location.reload(); return; }
      if (!menuEl) return;
      var url = cfg.menuUrl + "?" + lang + "&for=" + encodeURIComponent(menuEl.dataset.menuFor || "");
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (response.redirected && response.url.indexOf(cfg.loginUrl) >= 0) { goToLogin(); return null; }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === null || html === undefined) return;
          menuEl.innerHTML = html;
          menuEl.dataset.reloaded = String(Date.now());
          showToast(cfg.textAccess, "", { icon: "shield-check", label: cfg.textAccessTitle }, null);
        })
        .catch(function () { /* the next page load shows the new menu */ });
    }

    // --- polling while the socket is down ------------------------------------------------------

    function poll() {
      var url = cfg.liveUrl + (dashboard ? "?work=1" : "");
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.redirected && response.url.indexOf(cfg.loginUrl) >= 0) { goToLogin(); return null; }
          return response.ok ? response.json() : null;
        })
        .then(applyState)
        .catch(function () { /* the server is away too: try again later */ });
    }

    function startPolling() {
      bell.classList.add("app-bell-offline");
      bell.setAttribute("title", cfg.textOffline);
      if (pollTimer === null) pollTimer = window.setInterval(poll, pollMs);
    }

    function stopPolling() {
      bell.classList.remove("app-bell-offline");
      bell.setAttribute("title", bell.dataset.label);
      if (pollTimer !== null) { window.clearInterval(pollTimer); pollTimer = null; }
    }

    if (typeof window.io !== "function") { startPolling(); return; }

    // --- the connection -----------------------------------------------------------------------

    var socket = window.io({
      path: cfg.socketPath || "/socket.io",
      // WebSocket first: no sticky sessions needed behind a load balancer; long-polling only
      // where WebSocket cannot get through.
      transports: ["websocket"],
      withCredentials: true,
    });

    function sync() {
      socket.emit("sync", { work: !!dashboard }, applyState);
    }

    socket.on("connect", function () {
      stopPolling();
      document.body.dataset.live = "connected";
      sync();
      if (syncTimer === null) syncTimer = window.setInterval(sync, SYNC_EVERY_MS);
    });
    socket.on("connect_error", function (err) {
      if (!socket.active) {
        // Refused by the server: the session has ended (or never was).
        poll();
        return;
      }
      if (socket.io.opts.transports.indexOf("polling") < 0) socket.io.opts.transports = ["websocket", "polling"];
      startPolling();
    });
    socket.on("disconnect", function () {
      document.body.dataset.live = "disconnected";
      if (syncTimer !== null) { window.clearInterval(syncTimer); syncTimer = null; }
      if (!leaving) startPolling();
    });
    socket.on("notification", onNotification);
    socket.on("unread", function (data) { if (data) setUnread(data.unread); if (dropdownOpen()) loadDropdown(); });
    socket.on("work", function () { if (dashboard) sync(); });
    // The answer to sync says whether the permissions really moved since this page last looked.
    socket.on("access_changed", sync);
    socket.on("signed_out", function () { socket.disconnect(); goToLogin(); });
    // This page is already on its way elsewhere (signing out itself, say): it follows its own
    // navigation rather than the push.
    window.addEventListener("beforeunload", function () { leaving = true; });
    window.addEventListener("pagehide", function () { leaving = true; });
    window.addEventListener("pageshow", function (event) { if (event.persisted) leaving = false; });
  });
})();
