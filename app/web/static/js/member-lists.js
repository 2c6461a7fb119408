/* The member's lists: points and the leaderboard, the inbox, attendance this year, devices.
 * One script, one small section per page (the body's page-* class says which). */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }
  var page = document.body.className;

  function points() {
    api.call("GET", "/api/v1/points/me?per_page=30").then(function (r) {
      var me = r.body;
      document.getElementById("balance").textContent = me.balance;
      document.getElementById("periods").textContent = "本周 " + me.periods.week + " · 本月 " +
        me.periods.month + " · 本年 " + me.periods.year;
      var list = document.getElementById("history");
      list.textContent = "";
      me.history.items.forEach(function (e) {
        var li = el("li", "m-row");
        var text = el("div", "m-row-main");
        text.appendChild(el("p", "m-row-title", e.label || e.action));
        text.appendChild(el("p", "m-meta", e.day + (e.reason ? " · " + e.reason : "")));
        li.appendChild(text);
        li.appendChild(el("span", "m-delta" + (e.delta < 0 ? " m-delta-minus" : ""), (e.delta > 0 ? "+" : "") + e.delta));
        list.appendChild(li);
      });
    }).catch(api.fail);
    var scope = document.getElementById("board-scope");
    var period = document.getElementById("board-period");
    var board = function () {
      api.call("GET", "/api/v1/points/leaderboard?scope=" + scope.value + "&period=" + period.value)
        .then(function (r) {
          var b = r.body;
          document.getElementById("my-rank").textContent = b.me
            ? "我的排名：第 " + b.me.rank + " 名（" + b.me.points + " 分，共 " + b.participants + " 人）"
            : "本期暂无积分";
          var list = document.getElementById("board");
          list.textContent = "";
          if (!b.public) {
            list.appendChild(el("li", "m-empty", "本园区未公开排行榜，仅显示您自己的排名。"));
            return;
          }
          b.items.forEach(function (e) {
            var li = el("li", "m-board-row" + (b.me && e.member_id === b.me.member_id ? " m-me" : ""));
            li.appendChild(el("span", "m-rank", e.rank));
            li.appendChild(el("span", "m-board-name", e.name + " · " + e.org_name));
            li.appendChild(el("span", "m-board-points", e.points));
            list.appendChild(li);
          });
        }).catch(api.fail);
    };
    scope.addEventListener("change", board);
    period.addEventListener("change", board);
    board();
  }

  function inbox() {
    var load = function () {
      api.call("GET", "/api/v1/notifications?per_page=50").then(function (r) {
        var list = document.getElementById("notes");
        list.textContent = "";
        document.getElementById("notes-empty").hidden = r.body.items.length > 0;
        r.body.items.forEach(function (n) {
          var li = el("li", "m-note" + (n.read ? "" : " m-unread"));
          li.appendChild(el("p", "m-row-title", n.title));
          if (n.body) { li.appendChild(el("p", "", n.body)); }
          li.appendChild(el("p", "m-meta", api.when(n.created_at) + (n.read ? "" : " · 未读")));
          if (!n.read) {
            li.addEventListener("click", function () {
              api.call("POST", "/api/v1/notifications/" + n.id + "/read").then(load, api.fail);
            });
          }
          list.appendChild(li);
        });
      }).catch(api.fail);
    };
    document.getElementById("read-all").addEventListener("click", function () {
      api.call("POST", "/api/v1/notifications/read-all").then(load, api.fail);
    });
    load();
  }

  function attendance() {
    api.call("GET", "/api/v1/me").then(function (r) {
      var member = r.body.member;
      if (!member) { throw new api.ApiError(403, "auth.member_required", "该功能仅限已绑定的党员使用"); }
      return api.call("GET", "/api/v1/reports/members/" + member.id);
    }).then(function (r) {
      var rep = r.body;
      document.getElementById("year-heading").textContent = rep.year + " 年";
      var counts = document.getElementById("counts");
      counts.textContent = "";
      [["参加组织生活", rep.attended + " 次"], ["最近一次", rep.last_attended_at ? api.when(rep.last_attended_at) : "暂无"],
        ["学习积分", rep.points + " 分"],
        ["民主评议", rep.review_grade ? rep.review_grade + (rep.review_correction_deadline ?
          "（限期改正至 " + rep.review_correction_deadline + "）" : "") : "尚未评议"]].forEach(function (pair) {
        counts.appendChild(el("dt", "", pair[0]));
        counts.appendChild(el("dd", "", pair[1]));
      });
      if (typeof rep.study_hours === "number") {
        document.getElementById("study-hours").textContent = "学习时长 " + rep.study_hours +
          " 学时（每年至少 32 学时）";
      }
      var list = document.getElementById("months");
      list.textContent = "";
      rep.months.forEach(function (m) {
        var li = el("li", "m-row");
        li.appendChild(el("span", "m-row-title", m.month + " 月"));
        li.appendChild(el("span", "m-pill" + (m.attended ? " m-pill-present" : ""), m.attended ? "参加 " + m.attended + " 次" : "未参加"));
        list.appendChild(li);
      });
    }).catch(api.fail);
  }

  function devices() {
    var load = function () {
      api.call("GET", "/api/mp/v1/devices").then(function (r) {
        var list = document.getElementById("device-list");
        list.textContent = "";
        r.body.items.forEach(function (d) {
          var li = el("li", "m-row");
          var text = el("div", "m-row-main");
          text.appendChild(el("p", "m-row-title", d.label + (d.current ? "（本机）" : "")));
          text.appendChild(el("p", "m-meta", d.kind_label + " · 最近使用 " + api.when(d.last_seen_at)));
          li.appendChild(text);
          if (!d.current) {
            var b = el("button", "m-button m-button-small m-button-quiet", "退出该设备");
            b.type = "button";
            b.addEventListener("click", function () {
              api.call("DELETE", "/api/mp/v1/devices/" + d.id).then(function () {
                api.status("已退出该设备", "ok");
                load();
              }, api.fail);
            });
            li.appendChild(b);
          }
          list.appendChild(li);
        });
      }).catch(api.fail);
    };
    document.getElementById("logout").addEventListener("click", api.logout);
    load();
  }

  if (page.indexOf("page-points") >= 0) { points(); }
  if (page.indexOf("page-inbox") >= 0) { inbox(); }
  if (page.indexOf("page-attendance") >= 0) { attendance(); }
  if (page.indexOf("page-devices") >= 0) { devices(); }
})();
