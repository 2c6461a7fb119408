/* 组织关系: transfers in and out of the caller's branches with each side's decision (approve
 * or reject the sides the caller holds, cancel), a new transfer (internal, out of or into the
 * system), the exports, and the mobile members with their flags, a contact and a host entry.
 * The server checks every rule; the page shows its answer next to the button. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-transfers")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var state = { gen: 0, mobGen: 0, membersOf: null };
  var MARK = { approved: "✓ 同意", rejected: "✗ 驳回" };

  function steps(t) {
    return t.steps.map(function (s) {
      return s.side_label + " " + (MARK[s.decision] || "… 待审批") + (s.decided_by ? "（" + s.decided_by + "）" : "");
    }).join("　");
  }

  function facts(t) {
    var bits = [t.kind_label, t.status_label];
    if (t.letter_no) { bits.push("介绍信 " + t.letter_no); }
    if (t.effective_on) { bits.push("生效 " + t.effective_on); }
    if (t.reported_on) {
      bits.push(t.reported_on + " 已报到" + (t.reported_by ? "（" + t.reported_by + " 确认）" : ""));
    } else if (t.report_by) {
      bits.push("报到期限 " + t.report_by + (t.report_overdue ? "，已超期未报到" : ""));
    }
    if (t.reject_reason) { bits.push("驳回理由：" + t.reject_reason); }
    return bits.join(" · ");
  }

  function act(btn, path, body, done) {
    return ui.busy(btn, function () { return api.sendJson("POST", path, body); })
      .then(function (t) { ui.toast(done + "：" + t.member_name + "（" + t.status_label + "）", "ok"); load(); loadMobile(); },
        function () {});
  }

  function rejectForm(t, li) {
    var form = make("form", "wb-form tr-reject");
    var input = ui.input("text", "reason-" + t.id, "", { maxlength: 200, placeholder: "驳回理由（必填）" });
    form.appendChild(ui.field("驳回理由", input));
    var send = ui.button("确认驳回", "small-button", null);
    send.type = "submit";
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      act(send, "/api/v1/transfers/" + t.id + "/reject", { reason: input.value.trim() }, "已驳回");
    });
    li.appendChild(form);
    input.focus();
  }

  function row(t) {
    var li = make("li", "wb-row tr-row");
    li.dataset.transfer = t.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", t.member_name + "：" + t.from_org_name + " → " + t.to_org_name));
    main.appendChild(make("span", "wb-row-sub", facts(t)));
    main.appendChild(make("span", "wb-row-sub tr-steps", steps(t)));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    (t.my_sides || []).forEach(function (side) {
      var label = t.steps.filter(function (s) { return s.side === side; })[0].side_label;
      var b = ui.button("同意（" + label + "）", "small-button is-ok", function () {
        act(b, "/api/v1/transfers/" + t.id + "/approve", { side: side }, "已同意");
      });
      actions.appendChild(b);
    });
    if ((t.my_sides || []).length) {
      actions.appendChild(ui.button("驳回", "small-button", function (event) {
        event.target.disabled = true;
        rejectForm(t, li);
      }));
    }
    if (t.can_confirm_report) {
      var r = ui.button("确认报到", "small-button is-ok", function () {
        act(r, "/api/v1/transfers/" + t.id + "/reported", {}, "已确认报到");
      });
      actions.appendChild(r);
    }
    if (t.can_cancel) {
      var c = ui.button("撤销", "small-button", function () {
        act(c, "/api/v1/transfers/" + t.id + "/cancel", {}, "已撤销");
      });
      actions.appendChild(c);
    }
    li.appendChild(actions);
    return li;
  }

  function load() {
    var gen = (state.gen += 1);
    var status = $("tr-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    var q = "?per_page=50";
    if ($("tr-direction").value) { q += "&direction=" + $("tr-direction").value; }
    if ($("tr-status").value) { q += "&status=" + $("tr-status").value; }
    return api.getJson("/api/v1/transfers" + q).then(function (page) {
      if (gen !== state.gen) { return; }
      var list = $("tr-rows");
      list.replaceChildren();
      page.items.forEach(function (t) { list.appendChild(row(t)); });
      status.hidden = page.items.length > 0;
      status.dataset.kind = "empty";
      status.textContent = "没有转接记录。";
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  function entryForm(m, li, kind) {
    var form = make("form", "wb-form tr-entry");
    var day = ui.input("date", kind + "-day-" + m.id, ui.todayIso(), { required: true });
    var note = ui.input("text", kind + "-note-" + m.id, "", { maxlength: 200, placeholder: kind === "contact" ? "联系情况" : "活动名称" });
    form.appendChild(ui.field(kind === "contact" ? "联系日期" : "参加活动日期", day));
    form.appendChild(ui.field(kind === "contact" ? "备注" : "活动", note));
    var send = ui.button("保存", "small-button", null);
    send.type = "submit";
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var path = kind === "contact" ? "/api/v1/mobile-memberships/contacts"
        : "/api/v1/mobile-memberships/" + m.id + "/participations";
      var body = kind === "contact" ? { member_id: m.member_id, contacted_on: day.value, note: note.value }
        : { held_on: day.value, title: note.value };
      ui.busy(send, function () { return api.sendJson("POST", path, body); }).then(function () {
        ui.toast(kind === "contact" ? "已登记联系" : "已登记参加活动", "ok");
        loadMobile();
      }, function () {});
    });
    li.appendChild(form);
  }

  function mobileRow(m) {
    var li = make("li", "wb-row mob-row");
    li.dataset.membership = m.id;
    var main = make("div", "wb-row-main");
    var flags = [m.transfer_due ? "应转接组织关系" : "", m.lost_contact ? "失联" : ""].filter(Boolean);
    main.appendChild(make("b", "wb-row-name", m.member_name + "（" + m.home_org_name + "）→ " + m.host_label +
      (m.place ? "，" + m.place : "")));
    main.appendChild(make("span", "wb-row-sub", m.from_on + " 至 " + (m.to_on || "今") + " · 外出 " + m.months_away +
      " 个月 · 最近联系 " + (m.last_contact || "无") + " · 最近参加活动 " + (m.last_participation || "无")));
    if (flags.length) {
      main.appendChild(make("span", "wb-row-sub tr-flags", "⚠ " + flags.join("、")));
    }
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    actions.appendChild(ui.button("登记联系", "small-button", function (e) { e.target.disabled = true; entryForm(m, li, "contact"); }));
    if (m.current) {
      actions.appendChild(ui.button("登记参加活动", "small-button", function (e) { e.target.disabled = true; entryForm(m, li, "entry"); }));
    }
    li.appendChild(actions);
    return li;
  }

  function loadMobile() {
    var gen = (state.mobGen += 1);
    var status = $("mob-state");
    return api.getJson("/api/v1/mobile-memberships?current=true&per_page=50").then(function (page) {
      if (gen !== state.mobGen) { return; }
      var list = $("mob-rows");
      list.replaceChildren();
      page.items.forEach(function (m) { list.appendChild(mobileRow(m)); });
      status.hidden = page.items.length > 0;
      status.dataset.kind = "empty";
      status.textContent = "目前没有在外的流动党员。";
    }, function (error) {
      status.hidden = false;
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  function showKind() {
    var kind = $("tr-kind").value;
    Array.prototype.forEach.call(document.querySelectorAll("#tr-form [data-kinds]"), function (f) {
      f.hidden = f.dataset.kinds.split(" ").indexOf(kind) < 0;
    });
    $("tr-branch-label").textContent = kind === "in" ? "接收支部" : "转出支部";
  }

  function loadMembers() {
    var org = $("tr-branch").value;
    if (!org || state.membersOf === org) { return; }
    state.membersOf = org;
    api.getJson("/api/v1/orgs/" + org + "/members?per_page=100").then(function (page) {
      ui.fillSelect($("tr-member"), page.items.filter(function (m) {
        return m.status === "full" || m.status === "probationary";
      }).map(function (m) { return [String(m.id), m.name]; }));
    }, function () { state.membersOf = null; });
  }

  function exportTo(button, path, name) {
    ui.busy(button, function () { return api.download(path, name); }).then(function () {}, function () {});
  }

  $("tr-kind").addEventListener("change", showKind);
  $("tr-branch").addEventListener("change", loadMembers);
  $("tr-direction").addEventListener("change", load);
  $("tr-status").addEventListener("change", load);
  ["csv", "xlsx"].forEach(function (fmt) {
    $("tr-report-" + fmt).addEventListener("click", function (e) {
      exportTo(e.target, "/api/v1/transfers/report?format=" + fmt + "&period=" + $("tr-period").value,
        "transfers." + fmt);
    });
    $("mob-" + fmt).addEventListener("click", function (e) {
      exportTo(e.target, "/api/v1/mobile-memberships/report?format=" + fmt, "mobile-members." + fmt);
    });
  });

  $("tr-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var kind = $("tr-kind").value;
    var body = {
      kind: kind, letter_no: $("tr-letter").value.trim(), reason: $("tr-reason").value.trim(),
      effective_on: $("tr-effective").value || null, report_by: $("tr-report-by").value || null,
    };
    if (kind === "in") {
      body.to_org_id = Number($("tr-branch").value);
      body.member_name = $("tr-name").value.trim();
    } else {
      body.member_id = Number($("tr-member").value) || null;
    }
    if (kind === "internal") { body.to_org_id = Number($("tr-target").value) || null; }
    if (kind !== "internal") { body.external_org_name = $("tr-external").value.trim(); }
    ui.busy($("tr-create"), function () {
      return api.sendJson("POST", "/api/v1/transfers", body);
    }, $("tr-form-error")).then(function (t) {
      ui.toast("已提交：" + t.member_name + " " + t.status_label, "ok");
      load();
    }, function () {});
  });

  shell.page("transfers", {
    root: $("page-transfers"),
    enter: function (parts, query, first) {
      if (first) {
        ui.fillSelect($("tr-branch"), shell.managedBranches().map(function (o) {
          return [String(o.id), o.name];
        }));
        api.getJson("/api/v1/transfers/branches").then(function (r) {
          ui.fillSelect($("tr-target"), [["", "请选择"]].concat(r.items.map(function (b) {
            return [String(b.id), b.name + (b.park_name ? "（" + b.park_name + "）" : "")];
          })));
        }, function () {});
        showKind();
        loadMembers();
      }
      load();
      loadMobile();
    },
    reset: function () {
      state.gen += 1;
      state.mobGen += 1;
      state.membersOf = null;
      $("tr-rows").replaceChildren();
      $("mob-rows").replaceChildren();
    },
  });
})();
