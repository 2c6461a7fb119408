/* The member app's API client and the helpers every member page shares (window.MemberApi).
 *
 * Where the tokens live, and why: the refresh token (30 days) is kept in this phone's
 * localStorage so the member stays logged in on it; the access token (15 minutes) only in
 * sessionStorage. Both are sent solely as `Authorization: Bearer …` to this origin — never as
 * cookies — so no other site can make the browser use them (no CSRF), and the pages load only
 * their own scripts under a CSP without inline script, which is what guards storage from XSS.
 * (An HttpOnly cookie would hide the token from scripts, but would need a cookie-reading
 * refresh route with its own CSRF defence, and WeChat's in-app browser clears cookies oftener
 * than storage.) An answer of 401 `auth.token_expired` renews the access token once and repeats
 * the call; a refused refresh ends the session and sends the member to the login page.
 * Plain ES5 + fetch/Promise: the feature level of WeChat's X5 and iOS WKWebView. */
(function () {
  "use strict";

  var ACCESS_KEY = "party.member.access";
  var REFRESH_KEY = "party.member.refresh";
  var DEVICE_KEY = "party.member.device";
  var TIMEOUT_MS = 20000;
  var memory = {};

  function store(kind) {
    try {
      var s = window[kind];
      s.setItem("party.member.probe", "1");
      s.removeItem("party.member.probe");
      return s;
    } catch (e) {
      return null; // blocked storage: this page only
    }
  }
  var local = store("localStorage");
  var session = store("sessionStorage");

  function get(s, key) { return s ? s.getItem(key) : memory[key] || null; }
  function put(s, key, value) { if (s) { s.setItem(key, value); } else { memory[key] = value; } }
  function drop(s, key) { if (s) { s.removeItem(key); } delete memory[key]; }

  function saveTokens(tokens) {
    if (tokens.refresh_token) { put(local, REFRESH_KEY, tokens.refresh_token); }
    if (tokens.access_token) { put(session, ACCESS_KEY, tokens.access_token); }
  }
  function clearTokens() { drop(local, REFRESH_KEY); drop(session, ACCESS_KEY); }

  // why the session ended, for the login page to say (a stopped account is not "log in again")
  var ENDED_KEY = "party.member.ended";
  function ended(e) {
    clearTokens();
    if (e.code === "auth.account_inactive") { put(session, ENDED_KEY, e.code); }
  }
  /** Why the last session ended, once (then forgotten): an error code or null. */
  function endedWhy() {
    var why = get(session, ENDED_KEY);
    drop(session, ENDED_KEY);
    return why;
  }
  function hasSession() { return !!get(local, REFRESH_KEY); }
  function refreshToken() { return get(local, REFRESH_KEY); }

  /** A stable id of this browser, sent with check-ins (a new device is flagged, not refused). */
  function deviceId() {
    var id = get(local, DEVICE_KEY);
    if (!id) {
      id = "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
      put(local, DEVICE_KEY, id);
    }
    return id;
  }

  /** What the member sees in their device list for this browser. */
  function deviceLabel() {
    var ua = navigator.userAgent || "";
    var where = /MicroMessenger/i.test(ua) ? "微信内" : "浏览器";
    var what = /iPhone|iPad/i.test(ua) ? "苹果手机" : /Android/i.test(ua) ? "安卓手机" : "电脑";
    return what + " · " + where;
  }

  function ApiError(status, code, message, details) {
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.message = message;
    this.details = details || {};
  }
  ApiError.prototype = Object.create(Error.prototype);

  function send(method, path, json, token) {
    var headers = { Accept: "application/json" };
    if (token) { headers.Authorization = "Bearer " + token; }
    var body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT_MS);
    return fetch(path, {
      method: method, headers: headers, body: body, cache: "no-store", credentials: "omit",
      signal: controller ? controller.signal : undefined,
    }).then(function (res) {
      clearTimeout(timer);
      if (res.status === 204) { return { status: 204, body: null }; }
      var type = res.headers.get("Content-Type") || "";
      var read = type.indexOf("json") >= 0 ? res.json() : res.text();
      return read.then(function (b) { return { status: res.status, body: b }; },
        function () { return { status: res.status, body: null }; });
    }, function () {
      clearTimeout(timer);
      throw new ApiError(0, "network", "无法连接服务器，请检查网络后重试");
    }).then(function (r) {
      if (r.status >= 200 && r.status < 300) { return r; }
      var e = r.body && r.body.error;
      if (r.status === 429 && !e) { e = { code: "rate_limited", message: "操作太频繁，请稍后再试" }; }
      throw e ? new ApiError(r.status, e.code, e.message, e.details)
        : new ApiError(r.status, "http_" + r.status, "服务器暂时无法处理（" + r.status + "），请稍后再试");
    });
  }

  var refreshing = null;
  function renew() {
    if (!refreshing) {
      refreshing = send("POST", "/api/v1/auth/refresh", undefined, refreshToken()).then(
        function (r) { refreshing = null; saveTokens(r.body); return r.body.access_token; },
        function (e) {
          refreshing = null;
          if (e.status === 401) { ended(e); }
          throw e;
        });
    }
    return refreshing;
  }

  /** Call the API as the member: resolves {status, body}; rejects with an ApiError. */
  function call(method, path, json) {
    if (!hasSession()) {
      return Promise.reject(new ApiError(401, "auth.required", "请先登录"));
    }
    var access = get(session, ACCESS_KEY);
    var first = access ? send(method, path, json, access) : renew().then(function (t) {
      return send(method, path, json, t);
    });
    return first.catch(function (e) {
      if (e.status === 401 && e.code === "auth.token_expired" && access) {
        var current = get(session, ACCESS_KEY);
        if (current && current !== access) {
          // renewed by a sibling call while this one was on its way: no second renewal
          return send(method, path, json, current);
        }
        return renew().then(function (t) { return send(method, path, json, t); });
      }
      if (e.status === 401) { ended(e); }
      throw e;
    });
  }

  /** Call without a session (login, binding). */
  function callPublic(method, path, json) { return send(method, path, json, null); }

  function toLogin() {
    var next = location.pathname + location.search;
    location.href = "/m/login?next=" + encodeURIComponent(next);
  }

  /** The page's status line; `kind` "error" styles it as a problem. */
  function status(text, kind) {
    var el = document.getElementById("status");
    if (!el) { return; }
    el.textContent = text || "";
    el.className = "m-status" + (kind ? " m-status-" + kind : "");
  }

  /** The usual failure handling: no session → login page; else say what went wrong. */
  function fail(e) {
    if (e && e.status === 401) { toLogin(); return; }
    status((e && e.message) || "出错了，请稍后再试", "error");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  /** "11月21日 09:30" from an ISO time with offset (shown as the server wrote it: Shanghai). */
  function when(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    return m ? (+m[2]) + "月" + (+m[3]) + "日 " + m[4] + ":" + m[5] : "";
  }
  function clock(iso) {
    var m = /T(\d{2}):(\d{2})/.exec(iso || "");
    return m ? m[1] + ":" + m[2] : "";
  }

  function requireSession() {
    if (!hasSession()) { toLogin(); return false; }
    return true;
  }

  function logout() {
    var token = get(session, ACCESS_KEY);
    var refresh = refreshToken();
    var done = function () { clearTokens(); location.href = "/m/login"; };
    if (!refresh) { done(); return; }
    var go = token ? Promise.resolve(token) : renew();
    go.then(function (t) {
      return send("POST", "/api/v1/auth/logout", { refresh_token: refresh }, t);
    }).then(done, done);
  }

  window.MemberApi = {
    call: call, callPublic: callPublic, saveTokens: saveTokens, clearTokens: clearTokens,
    hasSession: hasSession, requireSession: requireSession, deviceId: deviceId,
    deviceLabel: deviceLabel, toLogin: toLogin, status: status, fail: fail, el: el,
    when: when, clock: clock, pad: pad, logout: logout, ApiError: ApiError, endedWhy: endedWhy,
  };
})();
