/* Checking in: the page a scanned QR opens (/c/<token>) and the 6-digit code entry (/m/code).
 *
 * With a session the scan checks in at once; without one the invite form appears and the same
 * check-in finishes after binding, carried by the page's scan ticket (the QR itself lives
 * 20 seconds). An activity with a geofence asks for the location first. The result is said
 * in large text: 签到成功 / 迟到 / 已签到 (with the time) / why it was refused. */
(function () {
  "use strict";

  var api = window.MemberApi;
  var main = document.getElementById("main");
  var PENDING_KEY = "party.member.pendingScan";

  // messages for refusals whose API text is written for the mini-program
  var MESSAGES = {
    "checkin.token_expired": "二维码已更新，请重新扫描",
    "checkin.location_required": "本活动需要定位签到，请允许获取位置后重试",
    "checkin.code_invalid": "签到码不正确或已过期，请输入大屏上当前显示的6位数字",
    rate_limited: "操作太频繁，请稍等一分钟再试",
  };
  var HEADINGS = {
    "checkin.token_expired": "二维码已更新",
    "checkin.window_not_open": "签到尚未开始",
    "checkin.window_closed": "签到已结束",
    "checkin.not_expected": "无需您签到",
    "checkin.outside_geofence": "不在活动地点",
    "checkin.location_required": "需要定位",
    "checkin.activity_cancelled": "活动已取消",
  };

  function show(kind, heading, message, retry) {
    var box = document.getElementById("result");
    box.hidden = false;
    box.className = "m-result m-result-" + kind;
    document.getElementById("result-mark").textContent =
      kind === "ok" ? "✓" : kind === "late" ? "!" : kind === "wait" ? "…" : "✕";
    document.getElementById("result-heading").textContent = heading;
    document.getElementById("result-message").textContent = message || "";
    var button = document.getElementById("retry");
    button.hidden = !retry;
    button.onclick = retry || null;
    if (kind !== "wait") { box.scrollIntoView({ block: "start" }); }
  }

  function shown(r) {
    var row = r.body.attendance || r.body;
    var at = api.clock(row.checked_in_at);
    if (r.status === 200) {
      show("ok", "已签到", "您已于 " + at + " 签到（" + (row.status_label || "") + "），无需重复签到。");
    } else if (row.status === "late") {
      show("late", "迟到", "已于 " + at + " 签到，记为迟到。");
    } else {
      show("ok", "签到成功", "签到时间 " + at + "，欢迎参加！");
    }
    var form = document.getElementById("code-form");
    if (form) { form.hidden = true; }
  }

  function refused(e, retry) {
    if (e.status === 401) { return needLogin(); }
    var message = MESSAGES[e.code] || e.message;
    var heading = HEADINGS[e.code] || "未能签到";
    var canRetry = e.status === 0 || e.code === "checkin.location_required" ||
      e.code === "checkin.outside_geofence" || e.code === "rate_limited";
    show("bad", heading, message, canRetry ? retry : null);
  }

  function locate() {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) {
        reject(new api.ApiError(400, "checkin.location_required", "此浏览器无法定位"));
        return;
      }
      navigator.geolocation.getCurrentPosition(function (pos) {
        resolve({ lat: pos.coords.latitude, lng: pos.coords.longitude });
      }, function () {
        reject(new api.ApiError(400, "checkin.location_required", MESSAGES["checkin.location_required"]));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  /** Check in with a scanned token (and its ticket). */
  function scan(pending) {
    var go = function () { scan(pending); };
    show("wait", "正在签到…", pending.needsLocation ? "正在获取您的位置" : "");
    var where = pending.needsLocation ? locate() : Promise.resolve({});
    where.then(function (pos) {
      return api.call("POST", "/api/mp/v1/scan", {
        content: pending.token, ticket: pending.ticket, lat: pos.lat === undefined ? null : pos.lat,
        lng: pos.lng === undefined ? null : pos.lng, device_id: api.deviceId(),
      });
    }).then(function (r) {
      if (window.sessionStorage) { sessionStorage.removeItem(PENDING_KEY); }
      shown(r);
    }, function (e) { refused(e, go); });
  }

  var pendingScan = null;

  function needLogin() {
    document.getElementById("result").hidden = true;
    var login = document.getElementById("login");
    if (!login || !pendingScan) { api.toLogin(); return; }
    if (window.MemberLogin && window.MemberLogin.inWeChat() && main.getAttribute("data-oa-appid")) {
      // WeChat's authorisation leaves this page: the code page finishes the check-in afterwards
      sessionStorage.setItem(PENDING_KEY, JSON.stringify(pendingScan));
      location.href = "/m/login?next=" + encodeURIComponent("/m/code?resume=1");
      return;
    }
    login.hidden = false;
    api.status("登录后将自动为您签到。");
    document.getElementById("invite-code").focus();
  }

  function startScanPage() {
    pendingScan = {
      token: main.getAttribute("data-token"),
      ticket: main.getAttribute("data-ticket"),
      needsLocation: !!main.getAttribute("data-needs-location"),
    };
    window.MemberLogin.attach(function () {
      document.getElementById("login").hidden = true;
      api.status("");
      scan(pendingScan);
    });
    if (api.hasSession()) { scan(pendingScan); } else { needLogin(); }
  }

  function startCodePage() {
    if (!api.requireSession()) { return; }
    var saved = window.sessionStorage && sessionStorage.getItem(PENDING_KEY);
    if (/[?&]resume=1/.test(location.search) && saved) {
      try { scan(JSON.parse(saved)); } catch (e) { sessionStorage.removeItem(PENDING_KEY); }
    }
    var form = document.getElementById("code-form");
    var input = document.getElementById("code-input");
    var error = document.getElementById("code-error");
    var submit = function () {
      var code = input.value.replace(/\D/g, "");
      if (code.length !== 6) {
        error.textContent = "请输入 6 位数字";
        error.hidden = false;
        input.focus();
        return;
      }
      error.hidden = true;
      show("wait", "正在签到…", "");
      api.call("POST", "/api/v1/checkins", { code: code, device_id: api.deviceId() })
        .then(shown, function (e) { refused(e, submit); });
    };
    form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });
    input.focus();
  }

  if (main.getAttribute("data-mode") === "code") { startCodePage(); } else { startScanPage(); }
})();
