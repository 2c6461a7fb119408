/* 党员: the branch's members (search by name or phone; phones masked as the API masks them),
 * add, edit, deactivate, the member's own report, and invite cards — a printable A4 page of
 * QR cards, each with a fresh one-time code. Import is in console-import.js. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-members")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var VIEWS = ["mem-list-view", "mem-form-view", "mem-import-view", "mem-cards-view"];
  var state = { gen: 0, members: [], editing: null, searchTimer: null };

  function show(view) {
    VIEWS.forEach(function (id) { $(id).hidden = id !== view; });
    document.body.classList.toggle("is-cards", view === "mem-cards-view");
  }

  function branches() {
    return shell.managedBranches().map(function (o) { return [o.id, o.name]; });
  }

  // --- the list ------------------------------------------------------------------------------

  function loadList() {
    var gen = (state.gen += 1);
    var org = $("mem-org").value;
    var status = $("mem-state");
    $("mem-report").hidden = true;
    if (!org) {
      status.hidden = false;
      status.dataset.kind = "empty";
      status.textContent = "没有可管理的支部。";
      return;
    }
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    var q = $("mem-q").value.trim();
    var url = "/api/v1/orgs/" + org + "/members?per_page=100" + (q ? "&q=" + encodeURIComponent(q) : "");
    api.getJson(url).then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      state.members = page.items;
      var list = $("mem-rows");
      list.replaceChildren();
      status.hidden = page.items.length > 0;
      status.dataset.kind = "empty";
      status.textContent = q ? "没有找到“" + q + "”。" : "该支部还没有党员，可以添加或批量导入。";
      page.items.forEach(function (m) { list.appendChild(row(m)); });
      $("mem-all").checked = false;
    }, function (error) {
      if (gen === state.gen) {
        status.dataset.kind = "error";
        status.textContent = ui.errorText(error);
      }
    });
  }

  function row(m) {
    var li = make("li", "wb-row mem-row");
    li.dataset.member = m.id;
    var pick = make("input", "mem-pick");
    pick.type = "checkbox";
    pick.value = String(m.id);
    pick.setAttribute("aria-label", "选择 " + m.name);
    li.appendChild(pick);
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", m.name));
    main.appendChild(make("span", "wb-row-sub", [m.status_label, m.phone || "未留手机号",
      m.joined_on ? "入党 " + m.joined_on : null].filter(Boolean).join(" · ")));
    li.appendChild(main);
    li.appendChild(make("span", "att-chip is-" + (m.bound ? "present" : "pending"),
      m.bound ? "已绑定微信" : "未绑定"));
    var actions = make("div", "wb-row-actions");
    actions.appendChild(ui.link("编辑", "#/members/" + m.id + "/edit", "small-button"));
    var report = ui.button("个人报告", "small-button");
    report.addEventListener("click", function () {
      ui.busy(report, function () {
        return api.getJson("/api/v1/reports/members/" + m.id);
      }).then(showReport, function () {});
    });
    actions.appendChild(report);
    li.appendChild(actions);
    return li;
  }

  function showReport(r) {
    $("mem-report-title").textContent = r.name + " · " + r.year + " 年个人报告";
    var facts = $("mem-report-facts");
    facts.replaceChildren();
    [
      ["所在组织", r.org_name],
      ["参加组织生活", r.attended + " 次"],
      ["连续未参加", r.months_without_attendance + " 个月"],
      ["学习积分", String(r.points)],
      ["学习时长", (r.study_hours || 0).toFixed(1) + " 学时（目标 32）"],
    ].forEach(function (pair) {
      var div = make("div");
      div.appendChild(make("dt", "", pair[0]));
      div.appendChild(make("dd", "", pair[1]));
      facts.appendChild(div);
    });
    $("mem-report-months").textContent = "每月参加：" + (r.months || []).map(function (m) {
      return m.month + "月 " + m.attended;
    }).join("，");
    $("mem-report").hidden = false;
    $("mem-report").scrollIntoView({ block: "nearest" });
  }

  $("mem-org").addEventListener("change", loadList);
  $("mem-q").addEventListener("input", function () {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(loadList, 300);
  });
  $("mem-filters").addEventListener("submit", function (event) {
    event.preventDefault();
    loadList();
  });
  $("mem-all").addEventListener("change", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".mem-pick"), function (box) {
      box.checked = $("mem-all").checked;
    });
  });
  $("mem-cards").addEventListener("click", function () {
    var ids = Array.prototype.map.call(document.querySelectorAll(".mem-pick:checked"),
      function (box) { return box.value; });
    if (!ids.length) {
      ui.showError($("mem-cards-error"), "请先勾选要打印邀请卡的党员");
      return;
    }
    ui.clearError($("mem-cards-error"));
    shell.go("#/members/cards?ids=" + ids.join(","));
  });

  // --- add and edit --------------------------------------------------------------------------

  function showForm(member) {
    state.editing = member || null;
    $("mem-form-title").textContent = member ? "编辑党员：" + member.name : "添加党员";
    ui.fillSelect($("mem-form-org"), branches(), member ? member.org_id : $("mem-org").value);
    $("mem-name").value = member ? member.name : "";
    // the list shows a masked number: an edit sends the phone only when it was retyped
    $("mem-phone").value = "";
    $("mem-phone").placeholder = member && member.phone ? "当前 " + member.phone + "（不改请留空）" : "";
    $("mem-status").value = member ? member.status : "full";
    $("mem-joined").value = member && member.joined_on ? member.joined_on : "";
    $("mem-gender").value = member && member.gender ? member.gender : "";
    $("mem-deactivate").hidden = !member;
    ui.clearError($("mem-form-error"));
  }

  $("mem-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      name: $("mem-name").value.trim(),
      status: $("mem-status").value,
      org_id: Number($("mem-form-org").value),
      joined_on: $("mem-joined").value || null,
      gender: $("mem-gender").value || null,
    };
    var phone = $("mem-phone").value.trim();
    if (phone || !state.editing) {
      body.phone = phone || null;
    }
    if (!body.name) {
      ui.showError($("mem-form-error"), "请填写姓名");
      $("mem-name").focus();
      return;
    }
    var editing = state.editing;
    ui.busy($("mem-save"), function () {
      return editing ? api.sendJson("PATCH", "/api/v1/members/" + editing.id, body)
        : api.sendJson("POST", "/api/v1/members", body);
    }, $("mem-form-error")).then(function (m) {
      ui.toast((editing ? "已保存 " : "已添加 ") + m.name, "ok");
      shell.go("#/members");
    }, function () {});
  });

  $("mem-deactivate").addEventListener("click", function () {
    var m = state.editing;
    if (!m || !window.confirm("停用 " + m.name + "？停用后不再计入应到人数，历史记录保留。")) {
      return;
    }
    ui.busy($("mem-deactivate"), function () {
      return api.sendJson("DELETE", "/api/v1/members/" + m.id);
    }, $("mem-form-error")).then(function () {
      ui.toast("已停用 " + m.name, "ok");
      shell.go("#/members");
    }, function () {});
  });

  // --- invite cards --------------------------------------------------------------------------

  function showCards(ids) {
    var sheet = $("cards-sheet");
    sheet.replaceChildren();
    ui.clearError($("cards-error"));
    $("cards-print").disabled = true;
    var gen = (state.gen += 1);
    var failures = [];
    // one at a time: each call revokes the member's earlier code and writes a new one
    ids.reduce(function (chain, id) {
      return chain.then(function () {
        if (gen !== state.gen) {
          return null;
        }
        return Promise.all([
          api.sendJson("POST", "/api/v1/members/" + id + "/invite"),
          api.getJson("/api/v1/members/" + id),
        ]).then(function (answers) {
          if (gen === state.gen) {
            sheet.appendChild(inviteCard(answers[1], answers[0]));
          }
        }, function (error) {
          failures.push(ui.errorText(error));
        });
      });
    }, Promise.resolve()).then(function () {
      if (gen !== state.gen) {
        return;
      }
      $("cards-title").textContent = "邀请卡（" + sheet.children.length + " 张）";
      $("cards-print").disabled = !sheet.children.length;
      if (failures.length) {
        ui.showError($("cards-error"), failures.length + " 张未能生成：" + failures[0]);
      }
    });
  }

  function inviteCard(member, invite) {
    var card = make("article", "invite-card");
    card.dataset.member = member.id;
    var head = make("header", "invite-head");
    head.appendChild(make("span", "invite-brand", "★ 云上党支部"));
    head.appendChild(make("span", "invite-org", member.org_name));
    card.appendChild(head);
    card.appendChild(make("p", "invite-name", member.name + " 同志"));
    var body = make("div", "invite-body");
    body.appendChild(ui.svgImage(invite.qr_svg, member.name + " 的邀请二维码", "invite-qr"));
    var text = make("div", "invite-text");
    text.appendChild(make("p", "invite-step", "用微信扫一扫左侧二维码，绑定您的党员账号。"));
    text.appendChild(make("p", "invite-label", "或在小程序中输入邀请码"));
    text.appendChild(make("p", "invite-code", invite.code));
    var expires = ui.parts(invite.expires_at);
    text.appendChild(make("p", "invite-expiry", "有效期至 " + expires.year + "年" +
      Number(expires.month) + "月" + Number(expires.day) + "日，仅限本人使用一次"));
    body.appendChild(text);
    card.appendChild(body);
    return card;
  }

  $("cards-print").addEventListener("click", function () { window.print(); });

  // --- the page ------------------------------------------------------------------------------

  shell.page("members", {
    root: $("page-members"),
    enter: function (parts, query) {
      if (!$("mem-org").options.length) {
        ui.fillSelect($("mem-org"), branches());
        $("mem-org").closest(".field").hidden = $("mem-org").options.length < 2;
      }
      var first = parts[0];
      if (first === "new") {
        show("mem-form-view");
        showForm(null);
        $("mem-name").focus();
      } else if (first === "import") {
        show("mem-import-view");
        window.ConsoleImport.open($("mem-org").value);
      } else if (first === "cards") {
        show("mem-cards-view");
        var ids = String(query.ids || "").split(",").filter(function (x) { return /^\d+$/.test(x); });
        showCards(ids);
      } else if (first && /^\d+$/.test(first)) {
        show("mem-form-view");
        api.getJson("/api/v1/members/" + first).then(showForm, function (error) {
          ui.showError($("mem-form-error"), error);
        });
      } else {
        show("mem-list-view");
        loadList();
      }
    },
    leave: function () {
      state.gen += 1;
      document.body.classList.remove("is-cards");
    },
    reset: function () {
      state.gen += 1;
      $("mem-rows").replaceChildren();
      $("cards-sheet").replaceChildren();
      $("mem-org").replaceChildren();
      document.body.classList.remove("is-cards");
    },
  });
})();
