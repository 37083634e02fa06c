// The sidebar inside the WeCom client: the official JS-SDK (`ww`) says which chat the page was
// opened from (getContext, then getCurExternalContact / getCurExternalChat); the server checks the
// viewer really is in that chat, remembers it for the session and the page reloads with that
// customer. Outside WeCom nothing happens here: the page says where to open it.
(function () {
  "use strict";
  var root = document.getElementById("sidebar-wecom");
  if (!root) return;
  var statusBox = document.getElementById("sidebar-wecom-status");

  function say(text, kind) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.className = "small mt-1 text-" + (kind || "secondary");
    statusBox.hidden = false;
  }

  if (!/wxwork\//i.test(navigator.userAgent) || !window.ww) return;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || String(response.status));
          return body;
        });
      });
  }

  var configs = {};
  function configFor(url) {
    if (!configs[url]) {
      configs[url] = getJSON(root.dataset.configUrl + "?url=" + encodeURIComponent(url));
    }
    return configs[url];
  }

  function run() {
    var pageUrl = location.href.split("#")[0];
    return configFor(pageUrl).then(function (config) {
      window.ww.register({
        corpId: config.corp_id,
        agentId: config.agent_id,
        jsApiList: config.js_api_list,
        getConfigSignature: function (url) {
          return configFor(url.split("#")[0]).then(function (c) { return c.config; });
        },
        getAgentConfigSignature: function (url) {
          return configFor(url.split("#")[0]).then(function (c) { return c.agent_config; });
        },
      });
      return window.ww.getContext();
    }).then(function (context) {
      var entry = context.entry;
      if (entry === "group_chat_tools") {
        return window.ww.getCurExternalChat().then(function (r) {
          return { entry: entry, chat_id: r.chatId };
        });
      }
      if (entry === "single_chat_tools" || entry === "single_kf_tools") {
        return window.ww.getCurExternalContact().then(function (r) {
          return { entry: entry, external_userid: r.userId };
        });
      }
      return { entry: entry };
    }).then(function (found) {
      if ((found.chat_id || "") === root.dataset.chatId &&
          (found.external_userid || "") === root.dataset.externalUserid &&
          (found.chat_id || found.external_userid)) {
        return null; // the page already shows this chat
      }
      return fetch(root.dataset.contextUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": root.dataset.csrf,
        },
        body: JSON.stringify(found),
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            say(body.detail || String(response.status), "danger");
            return;
          }
          location.replace(body.url);
        });
      });
    });
  }

  say(root.dataset.tLoading);
  run().catch(function (error) {
    say((error && (error.errMsg || error.message)) || String(error), "danger");
  });
})();
