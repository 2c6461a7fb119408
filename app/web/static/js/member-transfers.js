/* 组织关系 (/m/transfers): my transfer with each side's decision, asking for one, and my
   mobile registrations (流动党员). */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }

  function mark(step) {
    if (step.decision === "approved") { return ["tr-ok", "✓ 已同意"]; }
    if (step.decision === "rejected") { return ["tr-no", "✗ 已驳回"]; }
    return ["tr-wait", "… 待审批"];
  }

  function transferRow(t) {
    var li = el("li", "m-row");
    var main = el("div", "m-row-main");
    main.appendChild(el("p", "m-row-title", t.from_org_name + " → " + t.to_org_name));
    var meta = t.status_label + (t.effective_on ? " · 生效日期 " + t.effective_on : "") +
      (t.reported_on ? " · " + t.reported_on + " 已报到" : t.report_by ? " · 报到期限 " + t.report_by : "");
    main.appendChild(el("p", "m-meta", meta));
    if (t.report_overdue) {
      main.appendChild(el("p", "m-meta tr-no", "报到期限已过，请尽快与" + t.to_org_name + "支部书记联系报到。"));
    }
    if (t.reject_reason) { main.appendChild(el("p", "m-meta tr-no", "驳回理由：" + t.reject_reason)); }
    var steps = el("ul", "tr-steps");
    t.steps.forEach(function (s) {
      var m = mark(s);
      steps.appendChild(el("li", m[0], s.side_label + "：" + m[1] + (s.decided_by ? "（" + s.decided_by + "）" : "")));
    });
    main.appendChild(steps);
    li.appendChild(main);
    li.appendChild(el("span", "m-pill", t.status_label));
    if (t.can_cancel) {
      var b = el("button", "m-button m-button-small m-button-quiet", "撤销");
      b.type = "button";
      b.addEventListener("click", function () {
        api.call("POST", "/api/v1/transfers/" + t.id + "/cancel", {}).then(function () {
          load("已撤销转接申请。");
        }, api.fail);
      });
      li.appendChild(b);
    }
    return li;
  }

  function mobileRow(m) {
    var li = el("li", "m-row");
    var main = el("div", "m-row-main");
    main.appendChild(el("p", "m-row-title", m.host_label + (m.place ? "（" + m.place + "）" : "")));
    main.appendChild(el("p", "m-meta", m.from_on + " 至 " + (m.to_on || "今") +
      (m.last_participation ? " · 最近参加活动 " + m.last_participation : "")));
    li.appendChild(main);
    if (m.current) { li.appendChild(el("span", "m-pill", "流动中")); }
    return li;
  }

  function load(done) {
    api.status("正在加载…");
    Promise.all([
      api.call("GET", "/api/v1/transfers?mine=true&per_page=20"),
      api.call("GET", "/api/v1/mobile-memberships?mine=true&per_page=20"),
    ]).then(function (r) {
      var transfers = r[0].body.items || [];
      var list = document.getElementById("transfers");
      list.textContent = "";
      transfers.forEach(function (t) { list.appendChild(transferRow(t)); });
      document.getElementById("transfers-empty").hidden = transfers.length > 0;
      var open = transfers.some(function (t) { return t.status === "pending" || t.status === "approved"; });
      document.getElementById("ask-card").hidden = open;
      var mobiles = document.getElementById("mobiles");
      mobiles.textContent = "";
      (r[1].body.items || []).forEach(function (m) { mobiles.appendChild(mobileRow(m)); });
      api.status(done || "", done ? "ok" : "");
    }).catch(api.fail);
  }

  function branches() {
    api.call("GET", "/api/v1/transfers/branches").then(function (r) {
      var select = document.getElementById("to-org");
      (r.body.items || []).forEach(function (b) {
        var o = el("option", "", b.name + (b.park_name ? "（" + b.park_name + "）" : ""));
        o.value = b.id;
        select.appendChild(o);
      });
    }, api.fail);
  }

  function shown(id, message) {
    var node = document.getElementById(id);
    node.textContent = message || "";
    node.hidden = !message;
  }

  document.getElementById("ask-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var to = document.getElementById("to-org").value;
    if (!to) { shown("ask-error", "请选择转入党支部"); return; }
    shown("ask-error", "");
    api.call("POST", "/api/v1/transfers", {
      to_org_id: +to, reason: document.getElementById("reason").value,
    }).then(function () { load("转接申请已提交，等待双方支部书记审批。"); },
      function (e) { shown("ask-error", e.message || "提交失败，请稍后再试"); });
  });

  document.getElementById("mobile-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var host = document.getElementById("host-name").value.replace(/^\s+|\s+$/g, "");
    var from = document.getElementById("from-on").value;
    if (!host) { shown("mobile-error", "请填写流入地党组织名称"); return; }
    if (!from) { shown("mobile-error", "请选择外出开始日期"); return; }
    shown("mobile-error", "");
    api.call("POST", "/api/v1/mobile-memberships", {
      host_name: host, place: document.getElementById("place").value,
      from_on: from, to_on: document.getElementById("to-on").value || null,
    }).then(function () {
      ["host-name", "place", "from-on", "to-on"].forEach(function (id) { document.getElementById(id).value = ""; });
      load("流动登记已提交。");
    },
      function (e) { shown("mobile-error", e.message || "提交失败，请稍后再试"); });
  });

  branches();
  load();
})();
