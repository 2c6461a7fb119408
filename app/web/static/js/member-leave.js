/* Asking for leave (before an activity ends) and for 补签 (after it, within the allowed days). */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }
  var dialog = document.getElementById("reason-dialog");
  var current = null;
  var DAY = 24 * 3600 * 1000;

  function ask(activity, kind) {
    current = { activity: activity, kind: kind };
    document.getElementById("reason-title").textContent = kind === "leave" ? "请假" : "申请补签";
    document.getElementById("reason-activity").textContent = activity.title + " · " + api.when(activity.starts_at);
    document.getElementById("reason-error").hidden = true;
    document.getElementById("reason").value = "";
    if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    document.getElementById("reason").focus();
  }

  function close() {
    if (dialog.close) { dialog.close(); } else { dialog.removeAttribute("open"); }
  }

  function row(activity, label, kind, note) {
    var li = el("li", "m-row");
    var text = el("div", "m-row-main");
    text.appendChild(el("p", "m-row-title", activity.title));
    text.appendChild(el("p", "m-meta", api.when(activity.starts_at) + (note ? " · " + note : "")));
    li.appendChild(text);
    if (label) {
      var b = el("button", "m-button m-button-small", label);
      b.type = "button";
      b.setAttribute("data-activity", activity.id);
      b.addEventListener("click", function () { ask(activity, kind); });
      li.appendChild(b);
    }
    return li;
  }

  function fill(id, items, build) {
    var list = document.getElementById(id);
    list.textContent = "";
    items.forEach(function (a) { list.appendChild(build(a)); });
    document.getElementById(id + "-empty").hidden = items.length > 0;
  }

  function load(done) {
    api.status("正在加载…");
    api.call("GET", "/api/mp/v1/home").then(function (r) {
      fill("upcoming", r.body.next_activities || [], function (a) {
        var my = a.my || {};
        if (my.request && my.request.status === "pending") { return row(a, "", "", "请假审批中"); }
        if (my.status && my.status !== "pending") { return row(a, "", "", my.status_label); }
        return row(a, "请假", "leave", a.phase_label);
      });
      var since = new Date(Date.now() - 4 * DAY).toISOString();
      return api.call("GET", "/api/v1/activities?status=published&per_page=20&starts_from=" +
        encodeURIComponent(since));
    }).then(function (r) {
      var now = Date.now();
      var ended = (r.body.items || []).filter(function (a) { return Date.parse(a.ends_at) < now; });
      fill("ended", ended, function (a) { return row(a, "申请补签", "makeup", ""); });
      api.status(done || "", done ? "ok" : "");
    }).catch(api.fail);
  }

  document.getElementById("reason-cancel").addEventListener("click", close);
  document.getElementById("reason-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var reason = document.getElementById("reason").value.replace(/^\s+|\s+$/g, "");
    var error = document.getElementById("reason-error");
    if (!reason) {
      error.textContent = "请填写原因";
      error.hidden = false;
      return;
    }
    var path = "/api/v1/activities/" + current.activity.id +
      (current.kind === "leave" ? "/leave" : "/makeup-request");
    api.call("POST", path, { reason: reason }).then(function () {
      close();
      load(current.kind === "leave" ? "请假申请已提交，等待支部书记审批。" : "补签申请已提交，等待支部书记审批。");
    }, function (e) {
      error.textContent = e.message || "提交失败，请稍后再试";
      error.hidden = false;
    });
  });
  load();
})();
