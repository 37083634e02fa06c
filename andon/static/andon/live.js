/* The live ticket page: poll the ticket's version and, when someone else changed the ticket,
   swap in the fresh workspace while keeping whatever this person is typing. A form with text
   in it (the comment box, an open action's note) is moved into the fresh page as the very same
   DOM node, so its text, chosen files, caret and focus survive. */
(function () {
  "use strict";
  var live = document.getElementById("ticket-live");
  if (!live) { return; }
  var busy = false;

  function hasInput(form) {
    if (!form) { return false; }
    var fields = form.querySelectorAll("textarea, input[type=text], input[type=file]");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "file" ? field.files && field.files.length : field.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function swap(html) {
    var old = document.getElementById("ticket-workspace");
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.querySelector("#ticket-workspace");
    if (!old || !fresh) { return false; }
    var typing = false;
    var focused = document.activeElement;
    var start = focused && focused.selectionStart, end = focused && focused.selectionEnd;
    old.querySelectorAll("form[id]").forEach(function (form) {
      if (!hasInput(form)) { return; }
      var slot = fresh.querySelector("#" + CSS.escape(form.id));
      if (slot) { slot.replaceWith(form); typing = true; }
    });
    var open = "";
    try { open = window.Alpine ? window.Alpine.$data(old).open || "" : ""; } catch (e) { open = ""; }
    if (/^[a-z-]+$/.test(open) && fresh.querySelector('[data-panel="' + open + '"]')) {
      fresh.setAttribute("x-data", "{ open: '" + open + "' }");
      var panel = fresh.querySelector('[data-panel="' + open + '"]');
      panel.removeAttribute("x-cloak");
    }
    old.replaceWith(fresh);
    if (window.htmx) { window.htmx.process(fresh); }
    if (focused && fresh.contains(focused) && typeof focused.focus === "function") {
      focused.focus();
      if (typeof start === "number" && focused.setSelectionRange) {
        try { focused.setSelectionRange(start, end); } catch (e) { /* not a text field */ }
      }
    }
    return typing;
  }

  function notice(typing) {
    var box = document.getElementById("live-notice");
    if (!box) { return; }
    box.classList.remove("d-none");
    box.classList.toggle("alert-warning", typing);
    box.classList.toggle("alert-info", !typing);
    box.querySelector(".live-typing").classList.toggle("d-none", !typing);
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-live-dismiss]")) {
      document.getElementById("live-notice").classList.add("d-none");
    }
  });

  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    var url = live.dataset.url + "?v=" + encodeURIComponent(live.dataset.version || "");
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        var version = response.headers.get("X-Ticket-Version");
        if (response.status === 200) {
          return response.text().then(function (html) {
            notice(swap(html));
            if (version) { live.dataset.version = version; }
          });
        }
        if (response.status === 204 && version) { live.dataset.version = version; }
        return null;
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { busy = false; });
  }

  var interval = parseInt(live.dataset.interval, 10) || 10000;
  setInterval(poll, interval);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
})();
