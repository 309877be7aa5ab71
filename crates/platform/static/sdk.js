/*
 * wamm's Facebook JavaScript SDK: the part of `connect.facebook.net/en_US/sdk.js` that
 * Embedded Signup uses. FB.init, FB.login (popup, `config_id`, `response_type: "code"`,
 * `extras`), FB.getLoginStatus and FB.logout. The popup is served by the same platform that
 * serves this file; it posts Embedded Signup's `WA_EMBEDDED_SIGNUP` session events to the
 * opener, as Meta's does, and hands the login response back to this SDK.
 */
(function () {
  "use strict";
  if (window.FB && window.FB.__wamm) {
    return;
  }
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : window.location.origin;
  var settings = { appId: null, version: "v23.0" };
  var pending = null;

  function finish(entry, response) {
    if (pending !== entry) {
      return;
    }
    pending = null;
    clearInterval(entry.watch);
    try {
      entry.callback(response);
    } catch (e) {
      setTimeout(function () { throw e; }, 0);
    }
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== base || !pending) {
      return;
    }
    var data = event.data;
    if (typeof data === "string") {
      try {
        data = JSON.parse(data);
      } catch (e) {
        return;
      }
    }
    if (data && data.type === "WAMM_SDK_LOGIN_RESPONSE") {
      finish(pending, data.response);
    }
  });

  var FB = {
    __wamm: true,
    init: function (options) {
      options = options || {};
      settings.appId = options.appId ? String(options.appId) : null;
      if (options.version) {
        settings.version = String(options.version);
      }
    },
    login: function (callback, options) {
      options = options || {};
      if (typeof callback !== "function") {
        callback = function () {};
      }
      if (!settings.appId) {
        throw new Error("FB.login() called before FB.init().");
      }
      var params = new URLSearchParams();
      params.set("app_id", settings.appId);
      params.set("client_id", settings.appId);
      params.set("origin", window.location.origin);
      params.set("display", "popup");
      params.set("response_type", options.response_type || "token");
      if (options.config_id) {
        params.set("config_id", String(options.config_id));
      }
      if (options.override_default_response_type) {
        params.set("override_default_response_type", "true");
      }
      if (options.scope) {
        params.set("scope", String(options.scope));
      }
      if (options.extras) {
        params.set("extras", JSON.stringify(options.extras));
      }
      var url = base + "/" + settings.version + "/dialog/oauth?" + params.toString();
      var popup = window.open(url, "wamm_embedded_signup", "width=700,height=800");
      var entry = { callback: callback };
      if (!popup) {
        callback({ status: "unknown", authResponse: null });
        return;
      }
      pending = entry;
      // A person who closes the window answers nothing: the callback gets no authResponse.
      entry.watch = setInterval(function () {
        if (popup.closed) {
          setTimeout(function () {
            finish(entry, { status: "unknown", authResponse: null });
          }, 300);
          clearInterval(entry.watch);
        }
      }, 250);
    },
    getLoginStatus: function (callback) {
      if (typeof callback === "function") {
        callback({ status: "unknown", authResponse: null });
      }
    },
    logout: function (callback) {
      if (typeof callback === "function") {
        callback({ status: "unknown", authResponse: null });
      }
    },
    AppEvents: { logPageView: function () {} },
    XFBML: { parse: function () {} }
  };
  window.FB = FB;
  if (typeof window.fbAsyncInit === "function") {
    setTimeout(window.fbAsyncInit, 0);
  }
})();
