/* 诉求 / 建言 / 服务预约 in the member app (issue 21): the filing form (/m/requests/new) and my
 * requests with their answers and ratings (/m/requests). Members and enterprise staff alike. */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }
  var KEY = "party.member.requestKey";
  var STARS = ["", "很不满意", "不满意", "一般", "满意", "非常满意"];

  function option(select, value, label) {
    var o = el("option", null, label);
    o.value = value;
    select.appendChild(o);
  }

  function showError(text) {
    var box = document.getElementById("request-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  /* One key per filled form, kept until it is stored: a retried tap files it once. */
  function formKey() {
    var key = window.sessionStorage && sessionStorage.getItem(KEY);
    if (!key) {
      key = "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
      if (window.sessionStorage) { sessionStorage.setItem(KEY, key); }
    }
    return key;
  }

  function filingPage(form) {
    var kind = document.getElementById("request-kind");
    var team = document.getElementById("request-team");
    var ent = document.getElementById("request-enterprise");
    var button = document.getElementById("request-submit");
    api.status("正在加载…");
    api.call("GET", "/api/v1/requests/options").then(function (r) {
      var o = r.body;
      o.kinds.forEach(function (k) { option(kind, k.value, k.label); });
      o.teams.forEach(function (t) { option(team, t.value, t.label); });
      if (o.account !== "staff") { option(ent, "", "不涉及具体企业"); }
      o.enterprises.forEach(function (e) { option(ent, e.id, e.name); });
      document.getElementById("who").textContent = "提交人：" + o.name +
        (o.account === "staff" ? "（企业职工）" : "");
      api.status("");
    }).catch(api.fail);
    kind.addEventListener("change", function () {
      document.getElementById("team-field").hidden = kind.value !== "appointment";
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var title = document.getElementById("request-title").value.replace(/^\s+|\s+$/g, "");
      var text = document.getElementById("request-text").value.replace(/^\s+|\s+$/g, "");
      if (!title) { showError("请填写标题"); document.getElementById("request-title").focus(); return; }
      if (!text) { showError("请填写具体内容"); document.getElementById("request-text").focus(); return; }
      showError("");
      var body = {
        kind: kind.value, title: title, text: text, idempotency_key: formKey(),
        anonymous: document.getElementById("request-anonymous").checked,
        enterprise_id: ent.value ? +ent.value : null,
      };
      if (kind.value === "appointment") { body.team = team.value; }
      button.disabled = true;
      button.textContent = "正在提交…";
      api.call("POST", "/api/v1/requests", body).then(function () {
        if (window.sessionStorage) { sessionStorage.removeItem(KEY); }
        location.href = "/m/requests?filed=1";
      }, function (e) {
        button.disabled = false;
        button.textContent = "提交";
        if (e.status === 401) { api.fail(e); return; }
        var d = e.details || {};
        var first = Object.keys(d)[0];
        showError(first && d[first] && d[first][0] ? d[first][0] : e.message);
      });
    });
  }

  function rating(item, li) {
    var box = el("div", "m-rate");
    if (item.rating) {
      box.appendChild(el("p", "m-meta", "我的评价：" + "★★★★★".slice(0, item.rating.score) +
        "☆☆☆☆☆".slice(item.rating.score) + " " + STARS[item.rating.score]));
      li.appendChild(box);
      return;
    }
    box.appendChild(el("p", "m-meta", "对答复满意吗？点星评价（只能评一次）："));
    var row = el("p", "m-stars");
    for (var s = 1; s <= 5; s += 1) {
      (function (score) {
        var b = el("button", "m-star", "★");
        b.type = "button";
        b.setAttribute("aria-label", score + "星 " + STARS[score]);
        b.addEventListener("click", function () {
          api.call("POST", "/api/v1/requests/" + item.id + "/rating", { score: score })
            .then(function () { load("感谢您的评价。"); }, function (e) {
              if (e.status === 401) { api.fail(e); return; }
              api.status(e.message, "error");
            });
        });
        row.appendChild(b);
      })(s);
    }
    box.appendChild(row);
    li.appendChild(box);
  }

  function card(item) {
    var li = el("li", "m-card m-request");
    li.setAttribute("data-request", item.id);
    var head = el("p", "m-row");
    head.appendChild(el("span", "m-row-title", item.title));
    head.appendChild(el("span", "m-pill m-pill-" + item.status, item.status_label));
    li.appendChild(head);
    li.appendChild(el("p", "m-meta", item.kind_label + (item.team_label ? " · " + item.team_label : "") +
      " · " + api.when(item.created_at) + (item.anonymous ? " · 匿名" : "")));
    li.appendChild(el("p", "m-body", item.text));
    if (item.due_on && !item.answer) {
      li.appendChild(el("p", "m-meta", "办理人：" + (item.handler_name || "待指定") + " · 办结期限 " + item.due_on));
    }
    if (item.answer) {
      var ans = el("div", "m-answer");
      ans.appendChild(el("p", "m-answer-head", "答复（" + item.answered_by + "，" + api.when(item.answered_at) + "）"));
      ans.appendChild(el("p", "m-body", item.answer));
      li.appendChild(ans);
      rating(item, li);
    }
    return li;
  }

  function load(done) {
    api.status("正在加载…");
    api.call("GET", "/api/v1/requests/mine?per_page=50").then(function (r) {
      var list = document.getElementById("requests");
      list.textContent = "";
      r.body.items.forEach(function (item) { list.appendChild(card(item)); });
      document.getElementById("requests-empty").hidden = r.body.items.length > 0;
      api.status(done || "", done ? "ok" : "");
    }).catch(api.fail);
  }

  var form = document.getElementById("request-form");
  if (form) {
    filingPage(form);
  } else {
    load(/[?&]filed=1/.test(location.search) ? "已提交，园区党委会尽快安排办理。" : "");
  }
})();
