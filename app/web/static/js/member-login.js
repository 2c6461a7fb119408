/* Logging this browser in (window.MemberLogin): the secretary's invite code binds it, or — in
 * WeChat's browser when an Official Account is configured — WeChat's silent web authorisation
 * (snsapi_base) finds the member already bound in the mini-program. Used by /m/login, /i/<code>
 * and the check-in page. */
(function () {
  "use strict";

  var api = window.MemberApi;
  var STATE_KEY = "party.member.oaState";

  function safeNext() {
    var m = /[?&]next=([^&]*)/.exec(location.search);
    var next = m ? decodeURIComponent(m[1]) : "/m/";
    // only our own paths: never an open redirect to another site
    return /^\/(m|c)\//.test(next) && next.indexOf("//") < 0 ? next : "/m/";
  }

  function showError(text) {
    var box = document.getElementById("login-error");
    box.textContent = text;
    box.hidden = !text;
  }

  /** Wire the invite form; `onDone()` runs once this browser holds tokens. */
  function attach(onDone) {
    if (api.endedWhy && api.endedWhy() === "auth.account_inactive") {
      showError("此账号已停用，无法继续使用。如有疑问，请联系支部书记或园区党委。");
    }
    var form = document.getElementById("login-form");
    var input = document.getElementById("invite-code");
    var button = document.getElementById("login-submit");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var code = input.value.replace(/\s+/g, "").toUpperCase();
      if (code.length < 4) {
        showError("请输入支部书记给您的邀请码");
        input.focus();
        return;
      }
      showError("");
      button.disabled = true;
      button.textContent = "正在绑定…";
      api.callPublic("POST", "/api/mp/v1/web/bind", {
        invite_code: code, device_label: api.deviceLabel(),
      }).then(function (r) {
        api.saveTokens(r.body);
        onDone();
      }, function (e) {
        button.disabled = false;
        button.textContent = "绑定并登录";
        showError(e.message || "绑定失败，请稍后再试");
        input.focus();
      });
    });
  }

  function inWeChat() { return /MicroMessenger/i.test(navigator.userAgent || ""); }

  /** In WeChat with an Official Account: authorise silently; true when the page moves on. */
  function tryWeChat(main, onDone) {
    var appid = main.getAttribute("data-oa-appid");
    if (!appid || !inWeChat()) { return false; }
    var code = /[?&]code=([^&]+)/.exec(location.search);
    var state = /[?&]state=([^&]+)/.exec(location.search);
    var saved = window.sessionStorage ? sessionStorage.getItem(STATE_KEY) : null;
    if (code && state && saved && decodeURIComponent(state[1]) === saved) {
      sessionStorage.removeItem(STATE_KEY);
      api.status("正在通过微信登录…");
      api.callPublic("POST", "/api/mp/v1/oa/login", { code: decodeURIComponent(code[1]) })
        .then(function (r) {
          if (r.body.needs_binding) {
            api.status("您的微信尚未绑定党员信息，请输入邀请码完成绑定。");
            return;
          }
          api.saveTokens(r.body);
          onDone();
        }, function (e) { api.status(e.message, "error"); });
      return true;
    }
    if (code || !window.sessionStorage) { return false; } // a stale or foreign code: use the form
    var fresh = Math.random().toString(36).slice(2, 12);
    sessionStorage.setItem(STATE_KEY, fresh);
    var back = main.getAttribute("data-login-url") + "?next=" + encodeURIComponent(safeNext());
    location.href = main.getAttribute("data-oa-authorize") + "?appid=" +
      encodeURIComponent(appid) + "&redirect_uri=" + encodeURIComponent(back) +
      "&response_type=code&scope=snsapi_base&state=" + fresh + "#wechat_redirect";
    return true;
  }

  window.MemberLogin = { attach: attach, tryWeChat: tryWeChat, inWeChat: inWeChat };

  if (!document.body.classList.contains("page-login")) { return; }
  var main = document.getElementById("main");
  var go = function () { location.replace(safeNext()); };
  var prefilled = document.getElementById("invite-code").value;
  if (api.hasSession() && !prefilled) {
    api.status("本机已登录，正在进入…");
    go();
    return;
  }
  attach(go);
  if (!prefilled) { tryWeChat(main, go); }
  if (prefilled) { api.status("已填入邀请码，请确认后点“绑定并登录”。"); }
})();
