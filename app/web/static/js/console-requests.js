/* 诉求建言 (issue 21): the inbox by status and kind, one request's routing (handler and due
 * date), start and written answer, the year's figures with the seeds' one-line summary and
 * the exports, one-time invites for enterprise staff and stopping or restoring their
 * accounts. The server checks every rule and
 * every transition; a refusal is shown next to the button that caused it. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-requests")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var state = { gen: 0, current: null, handlers: null };

  function addDays(n) {
    var d = new Date(ui.todayIso() + "T00:00:00");
    d.setDate(d.getDate() + n);
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
  }

  function meta(r) {
    var bits = [r.kind_label + (r.team_label ? "·" + r.team_label : ""), r.enterprise_name || r.org_name,
      "提交人 " + r.submitter_name, ui.when(r.created_at)];
    if (r.handler_name) {
      bits.push("办理人 " + r.handler_name + "，期限 " + r.due_on);
    }
    return bits.filter(Boolean).join(" · ");
  }

  function row(r) {
    var li = make("li", "wb-row req-row");
    li.dataset.request = r.id;
    var main = make("div", "wb-row-main");
    var name = make("b", "wb-row-name", r.title + "（" + r.status_label + "）");
    main.appendChild(name);
    if (r.overdue) {
      main.appendChild(make("span", "req-overdue", "已超期"));
    }
    main.appendChild(make("span", "wb-row-sub", meta(r)));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    actions.appendChild(ui.button(r.answer ? "查看" : "办理", "small-button", function () { pick(r); }));
    li.appendChild(actions);
    return li;
  }

  function query() {
    var q = [];
    if ($("req-status").value) { q.push("status=" + $("req-status").value); }
    if ($("req-kind").value) { q.push("kind=" + $("req-kind").value); }
    return q.join("&");
  }

  function load() {
    var gen = (state.gen += 1);
    var status = $("req-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    return api.getJson("/api/v1/requests?per_page=100&" + query()).then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      var list = $("req-rows");
      list.replaceChildren();
      page.items.forEach(function (r) { list.appendChild(row(r)); });
      status.hidden = page.items.length > 0;
      status.dataset.kind = "empty";
      status.textContent = "没有符合条件的诉求。";
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  function report() {
    api.getJson("/api/v1/requests/report").then(function (r) {
      $("req-summary").textContent = r.year + "年：" + r.summary + "。";
      var body = $("req-report");
      body.replaceChildren();
      r.kinds.concat([{ label: "合计", received: r.totals.received, resolved: r.totals.resolved,
        overdue: r.totals.overdue }]).forEach(function (k) {
        var tr = make("tr");
        [["类别", k.label, ""], ["受理", k.received, "num"], ["已解决", k.resolved, "num"],
          ["超期", k.overdue, "num"]].forEach(function (c) {
          var td = make("td", c[2], String(c[1]));
          td.dataset.label = c[0];
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }, function (error) { $("req-summary").textContent = ui.errorText(error); });
  }

  function show(r) {
    state.current = r;
    $("req-detail").hidden = false;
    $("req-detail-title").textContent = r.title + "（" + r.status_label + "）";
    $("req-detail-meta").textContent = meta(r) + (r.anonymous ? " · 匿名提交" : "");
    $("req-detail-text").textContent = r.text;
    var open = r.status === "received" || r.status === "in_progress";
    $("req-route-form").hidden = !open;
    $("req-start").hidden = !(r.status === "received" && r.handler_user_id);
    $("req-answer-form").hidden = r.status !== "in_progress";
    var done = $("req-answered");
    done.hidden = !r.answer;
    done.textContent = r.answer ? "答复（" + r.answered_by + "）：" + r.answer +
      (r.rating ? "　提交人评价：" + r.rating.score + " 星" : "　提交人尚未评价") : "";
    if (r.due_on) {
      $("req-due").value = r.due_on;
    }
    if (r.handler_user_id) {
      $("req-handler").value = String(r.handler_user_id);
    }
  }

  function pick(r) {
    ui.clearError($("req-error"));
    $("req-due").value = addDays(7);
    var ready = state.handlers ? Promise.resolve() : api.getJson("/api/v1/requests/handlers")
      .then(function (h) {
        state.handlers = h.items;
        ui.fillSelect($("req-handler"), h.items.map(function (u) { return [u.id, u.name]; }));
      });
    ready.then(function () {
      show(r);
      $("req-detail").scrollIntoView({ block: "start" });
    }, function (error) { ui.showError($("req-error"), error); });
  }

  function act(btn, path, body) {
    return ui.busy(btn, function () {
      return api.sendJson("POST", "/api/v1/requests/" + state.current.id + path, body);
    }, $("req-error")).then(function (saved) {
      show(saved);
      ui.toast("已保存：" + saved.title + " " + saved.status_label, "ok");
      load();
      report();
    }, function () {});
  }

  $("req-route-form").addEventListener("submit", function (event) {
    event.preventDefault();
    act($("req-route"), "/route", {
      handler_user_id: Number($("req-handler").value), due_on: $("req-due").value,
    });
  });
  $("req-start").addEventListener("click", function () {
    act($("req-start"), "/transition", { status: "in_progress" });
  });
  $("req-answer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    act($("req-answer-save"), "/answer", {
      outcome: $("req-outcome").value, answer: $("req-answer").value.trim(),
    });
  });
  $("req-status").addEventListener("change", load);
  $("req-kind").addEventListener("change", load);
  $("req-report-xlsx").addEventListener("click", function () {
    api.download("/api/v1/requests/report?format=xlsx", "诉求建言统计.xlsx");
  });
  $("req-list-csv").addEventListener("click", function () {
    api.download("/api/v1/requests?format=csv&" + query(), "诉求建言台账.csv");
  });

  $("req-invite-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ui.busy($("req-invite-save"), function () {
      return api.sendJson("POST", "/api/v1/requests/staff-invites", {
        enterprise_id: Number($("req-invite-ent").value),
        name: $("req-invite-name").value.trim(),
        phone: $("req-invite-phone").value.trim() || null,
      });
    }, $("req-invite-error")).then(function (invite) {
      var box = $("req-invite-code");
      box.hidden = false;
      box.textContent = invite.name + "（" + invite.enterprise_name + "）的邀请码：" + invite.code +
        "　请在手机浏览器打开 " + invite.link + "，或在登录页输入邀请码。" + ui.when(invite.expires_at) + " 前有效。";
      $("req-invite-name").value = "";
      $("req-invite-phone").value = "";
      loadStaff();
    }, function () {});
  });

  function staffState(s) {
    if (!s.is_active) {
      return "已停用";
    }
    return s.bound_at ? "使用中" : "待绑定";
  }

  function staffRow(s) {
    var li = make("li", "wb-row req-staff-row");
    li.dataset.staff = s.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", s.name + "（" + staffState(s) + "）"));
    var bound = s.bound_at ? ui.when(s.bound_at) + " 绑定" : "";
    main.appendChild(make("span", "wb-row-sub", [s.enterprise_name, s.phone, bound].filter(Boolean).join(" · ")));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    var label = s.is_active ? "停用" : "恢复";
    actions.appendChild(ui.button(label, s.is_active ? "small-button danger" : "small-button", function (event) {
      var btn = event.currentTarget;
      if (s.is_active && !window.confirm("停用 " + s.name + " 的账号？停用后其手机立即无法登录。")) {
        return;
      }
      ui.busy(btn, function () {
        return api.sendJson("POST", "/api/v1/requests/staff/" + s.id + (s.is_active ? "/deactivate" : "/reactivate"), {});
      }, $("req-staff-error")).then(function (saved) {
        ui.toast(saved.name + (saved.is_active ? " 的账号已恢复" : " 的账号已停用"), "ok");
        loadStaff();
      }, function () {});
    }));
    li.appendChild(actions);
    return li;
  }

  function loadStaff() {
    var status = $("req-staff-state");
    var active = $("req-staff-active").value;
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    return api.getJson("/api/v1/requests/staff?per_page=100" + (active ? "&active=" + active : ""))
      .then(function (page) {
        var list = $("req-staff-rows");
        list.replaceChildren();
        page.items.forEach(function (s) { list.appendChild(staffRow(s)); });
        status.hidden = page.items.length > 0;
        status.dataset.kind = "empty";
        status.textContent = active ? "没有符合条件的职工账号。" : "还没有职工账号。";
      }, function (error) {
        status.dataset.kind = "error";
        status.textContent = ui.errorText(error);
      });
  }

  $("req-staff-active").addEventListener("change", loadStaff);

  shell.page("requests", {
    root: $("page-requests"),
    enter: function (parts, query, first) {
      if (first) {
        load();
        report();
        loadStaff();
        api.getJson("/api/v1/enterprises?per_page=100").then(function (page) {
          ui.fillSelect($("req-invite-ent"), page.items.map(function (e) { return [e.id, e.name]; }));
          $("req-invite-save").disabled = page.items.length === 0; // no enterprise yet: nothing to invite to
        }, function (error) { ui.showError($("req-invite-error"), error); });
      }
    },
    reset: function () {
      state.gen += 1;
      state.current = null;
      state.handlers = null;
      $("req-rows").replaceChildren();
      $("req-staff-rows").replaceChildren();
      $("req-detail").hidden = true;
      $("req-invite-code").hidden = true;
    },
  });
})();
