/* The member's home (/m/): today's morning brief, my next activities with my status, unread
 * messages, and today's points with a bar per rule (current / daily maximum). */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }

  function brief(item) {
    var card = document.getElementById("brief-card");
    if (!item) { return; }
    card.hidden = false;
    document.getElementById("brief-title").textContent = item.title;
    var p = item.progress || {};
    var need = item.required_seconds || 60;
    var needText = need < 120 ? need + " 秒" : Math.round(need / 60) + " 分钟";
    var state = { done: "已读完 ✓（得 " + (p.points || 0) + " 分）", reading: "正在阅读" }[p.state] ||
      "约 " + (item.minutes || 5) + " 分钟，读满 " + needText + "得分";
    document.getElementById("brief-state").textContent = state;
    var link = document.getElementById("brief-link");
    link.href = "/m/study/" + item.id;
    link.textContent = p.state === "done" ? "再读一遍" : "开始学习";
  }

  function activities(items) {
    var list = document.getElementById("activities");
    list.textContent = "";
    document.getElementById("activities-empty").hidden = items.length > 0;
    items.forEach(function (a) {
      var li = el("li", "m-row");
      var text = el("div", "m-row-main");
      text.appendChild(el("p", "m-row-title", a.title));
      text.appendChild(el("p", "m-meta", api.when(a.starts_at) + (a.location ? " · " + a.location : "")));
      li.appendChild(text);
      var my = a.my || {};
      var label = my.request && my.request.status === "pending"
        ? (my.request.kind === "leave" ? "请假审批中" : "补签审批中")
        : my.status && my.status !== "pending" ? my.status_label : a.phase_label || "";
      var waiting = !my.status || my.status === "pending";
      if (waiting && a.phase === "checkin_open" && !(my.request && my.request.status === "pending")) {
        // no camera at hand: the 6-digit code of the screen works too
        var go = el("a", "m-button m-button-small", "去签到");
        go.href = "/m/code";
        li.appendChild(go);
      } else {
        li.appendChild(el("span", "m-pill m-pill-" + (my.status || "pending"), label));
      }
      list.appendChild(li);
    });
  }

  function rules(today) {
    var list = document.getElementById("rules");
    list.textContent = "";
    (today.rules || []).forEach(function (r) {
      if (r.max === null || r.max === undefined) { return; } // uncapped rules have no bar
      var li = el("li", "m-progress");
      var head = el("p", "m-progress-head");
      head.appendChild(el("span", "", r.label));
      head.appendChild(el("span", "m-progress-num", r.current + " / " + r.max));
      li.appendChild(head);
      var bar = el("div", "m-bar");
      var fill = el("span");
      fill.style.width = Math.min(100, Math.round((100 * r.current) / Math.max(1, r.max))) + "%";
      bar.appendChild(fill);
      li.appendChild(bar);
      list.appendChild(li);
    });
  }

  api.status("正在加载…");
  api.call("GET", "/api/mp/v1/home").then(function (r) {
    var home = r.body;
    api.status(home.points.signin_awarded ? "今日登录 +1 分" : "");
    document.getElementById("hello").textContent = home.member.name + "，您好";
    document.getElementById("points-today").textContent = home.points.today;
    document.getElementById("points-total").textContent =
      "累计 " + home.points.total + " 分 · 连续学习 " + ((home.streak && home.streak.days) || 0) + " 天";
    var badge = document.getElementById("unread");
    badge.hidden = !home.unread_notifications;
    badge.textContent = home.unread_notifications;
    if (window.MemberLedgers) { window.MemberLedgers.home(home.ledgers); } // notices, dues
    brief(home.study_today);
    activities(home.next_activities || []);
    return api.call("GET", "/api/v1/points/me?per_page=1");
  }).then(function (r) {
    document.getElementById("points-today").textContent = r.body.today.points;
    rules(r.body.today);
  }).catch(function (e) {
    // an enterprise employee's light account has only the request pages
    if (e && e.code === "auth.light_account") { location.replace("/m/requests"); return; }
    api.fail(e);
  });
})();
