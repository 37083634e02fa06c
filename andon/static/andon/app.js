/* Andon page glue: htmx error handling and small Alpine components. No framework beyond the
   vendored htmx, Alpine.js and Tabler (Bootstrap) bundles. */
(function () {
  "use strict";

  function texts() {
    var node = document.getElementById("andon-i18n");
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  }

  function toast(message) {
    var container = document.getElementById("toasts");
    var template = document.getElementById("toast-template");
    if (!container || !template) { window.alert(message); return; }
    var node = template.content.firstElementChild.cloneNode(true);
    node.querySelector(".toast-body").textContent = message;
    node.querySelector("[data-bs-dismiss]").addEventListener("click", function () { node.remove(); });
    container.appendChild(node);
    setTimeout(function () { node.remove(); }, 8000);
  }
  window.andonToast = toast;

  // Our views answer a failed action with a 4xx and an `HX-Retarget` header pointing at the form
  // that shows the error inline; swap those. Anything else that fails (CSRF page, 5xx, network)
  // becomes a toast instead of replacing part of the page with an error document.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) { return; }
    if (xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    event.detail.shouldSwap = false;
    var t = texts();
    var messages = { 403: t.forbidden, 404: t.notfound };
    var reason = xhr.getResponseHeader("X-Andon-Error");  // e.g. an upload over the size limit
    toast(reason ? decodeURIComponent(reason) : messages[xhr.status] || t.server);
  });
  document.addEventListener("htmx:sendError", function () { toast(texts().network); });

  // After an htmx swap of the ticket workspace, keep the notification badge honest.
  document.addEventListener("htmx:afterSwap", function (event) {
    var badge = document.getElementById("notification-badge");
    if (badge && event.detail.target && event.detail.target.id === "notification-menu") {
      badge.classList.toggle("d-none", badge.dataset.count === "0");
    }
  });

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("catalogPicker", function () {
      return {
        tree: [],
        parent: "",
        entry: "",
        labels: {},
        init: function () {
          var data = this.$root.dataset;
          var node = document.getElementById("catalog-tree");
          this.tree = node ? JSON.parse(node.textContent) : [];
          this.parent = data.parent || "";
          this.entry = data.entry || "";
          this.labels = {
            choose: data.labelChoose,
            chooseParent: data.labelChooseParent,
            noQueue: data.labelNoQueue,
          };
          // Options rendered by the server (for a re-displayed form) are replaced by the live list.
          this.$root.querySelectorAll("option[data-server]").forEach(function (option) { option.remove(); });
        },
        get children() {
          var parent = this.parent;
          var root = this.tree.find(function (item) { return String(item.id) === parent; });
          return root ? root.children : [];
        },
        get description() {
          var entry = this.entry;
          var child = this.children.find(function (item) { return String(item.id) === entry; });
          return child ? child.description : "";
        },
      };
    });
  });
  // Behaviour that used to sit in inline on… attributes, which the Content-Security-Policy
  // forbids: data-confirm on forms, data-autosubmit and data-reload-param on selects, data-print.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.dataset) { return; }
    if (field.dataset.autosubmit !== undefined && field.form) { field.form.submit(); }
    if (field.dataset.reloadParam && field.value) {
      window.location.search = "?" + field.dataset.reloadParam + "=" + encodeURIComponent(field.value);
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
})();
