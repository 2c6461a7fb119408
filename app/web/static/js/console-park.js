/* 园区 (committee, admin): the 两个覆盖 figures, the org tree with the branch-rule warnings, each
 * org's roles, its fixed theme day and the public-ranking switch, the park's enterprises, and
 * (admin) the point rules. Star ratings are set on the 概览 page. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-park")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var state = { gen: 0 };

  function coverage() {
    api.getJson("/api/v1/enterprises/coverage").then(function (c) {
      var facts = $("park-coverage");
      facts.replaceChildren();
      [
        ["园区企业", c.enterprises + " 家"],
        ["职工", c.staff + " 人"],
        ["党的组织覆盖", c.organisation_covered + " 家 · " + ui.pct(c.organisation_coverage_rate)],
        ["党的工作覆盖", c.work_covered + " 家 · " + ui.pct(c.work_coverage_rate)],
      ].forEach(function (pair) {
        var div = make("div");
        div.appendChild(make("dt", "", pair[0]));
        div.appendChild(make("dd", "", pair[1]));
        facts.appendChild(div);
      });
    }, function (error) { ui.showError($("park-coverage-error"), error); });
  }

  function orgRow(org) {
    var li = make("li", "wb-row park-org");
    li.dataset.org = org.id;
    li.style.setProperty("--depth", String(Math.max(0, (org.depth || 0) - 1)));
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", org.name));
    main.appendChild(make("span", "wb-row-sub", org.type_label + " · 党员 " + org.member_count +
      " 人（正式 " + org.full_member_count + "）" +
      (org.theme_day ? " · 每月 " + org.theme_day + " 日主题党日" : "")));
    (org.warnings || []).forEach(function (w) {
      main.appendChild(make("span", "park-warning", "⚠ " + w.message));
    });
    var roles = make("div", "park-roles");
    roles.hidden = true;
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    var who = ui.button("班子成员", "small-button");
    who.setAttribute("aria-expanded", "false");
    who.addEventListener("click", function () {
      if (!roles.hidden) {
        roles.hidden = true;
        who.setAttribute("aria-expanded", "false");
        return;
      }
      ui.busy(who, function () { return loadRoles(org, roles); }).then(function () {
        roles.hidden = false;
        who.setAttribute("aria-expanded", "true");
      }, function () {});
    });
    actions.appendChild(who);
    if (org.type === "branch" && shell.manages(org.id)) {
      var day = make("select", "small-select");
      day.setAttribute("aria-label", org.name + " 的固定主题党日");
      ui.fillSelect(day, [["", "主题党日：未定"]].concat(
        Array.apply(null, Array(28)).map(function (_, i) { return [i + 1, "每月 " + (i + 1) + " 日"]; })
      ), org.theme_day || "");
      day.addEventListener("change", function () {
        ui.busy(day, function () {
          return api.sendJson("PATCH", "/api/v1/orgs/" + org.id,
            { theme_day: day.value ? Number(day.value) : null });
        }).then(function () { ui.toast("已保存 " + org.name + " 的主题党日", "ok"); }, function () {});
      });
      actions.appendChild(day);
    }
    if (org.type !== "branch" && org.type !== "group" && shell.manages(org.id)) {
      var label = make("label", "check");
      var box = make("input");
      box.type = "checkbox";
      box.checked = !!org.public_ranking;
      label.appendChild(box);
      label.appendChild(make("span", "", "公开积分排行"));
      box.addEventListener("change", function () {
        ui.busy(box, function () {
          return api.sendJson("PATCH", "/api/v1/orgs/" + org.id, { public_ranking: box.checked });
        }).then(function () {
          ui.toast(box.checked ? "已公开积分排行" : "已关闭公开排行", "ok");
        }, function () { box.checked = !box.checked; });
      });
      actions.appendChild(label);
    }
    li.appendChild(actions);
    li.appendChild(roles);
    return li;
  }

  // --- roles: who holds which role on an org; appoint a member, revoke a role ---------------

  var ROLE_CHOICES = [
    ["secretary", "书记"], ["deputy_secretary", "副书记"], ["organizer", "组织委员"],
    ["publicity", "宣传委员"], ["discipline", "纪检委员"], ["instructor", "党建指导员"],
  ];

  function loadRoles(org, box) {
    return api.getJson("/api/v1/orgs/" + org.id + "/roles").then(function (list) {
      box.replaceChildren();
      var ul = make("ul", "wb-rows");
      list.forEach(function (r) {
        var item = make("li", "wb-row");
        item.dataset.role = r.id;
        item.appendChild(make("span", "wb-row-main", r.role_label + "：" + r.holder_name));
        if (shell.manages(org.id)) {
          var revoke = ui.button("撤销", "small-button danger");
          revoke.addEventListener("click", function () {
            if (!window.confirm("撤销 " + r.holder_name + " 的" + r.role_label + "职务？")) {
              return;
            }
            ui.busy(revoke, function () {
              return api.sendJson("DELETE", "/api/v1/orgs/" + org.id + "/roles/" + r.id);
            }).then(function () {
              ui.toast("已撤销 " + r.holder_name + " 的" + r.role_label, "ok");
              return loadRoles(org, box);
            }, function () {});
          });
          item.appendChild(revoke);
        }
        ul.appendChild(item);
      });
      if (!list.length) {
        ul.appendChild(make("li", "muted", "未设书记或委员"));
      }
      box.appendChild(ul);
      if (shell.manages(org.id)) {
        box.appendChild(appointForm(org, box));
      }
    });
  }

  function appointForm(org, box) {
    var form = make("form", "wb-inline-form park-appoint");
    var name = ui.input("search", "appoint-" + org.id, "", { maxlength: "50", autocomplete: "off" });
    var role = make("select");
    role.id = "appoint-role-" + org.id;
    ui.fillSelect(role, ROLE_CHOICES);
    var submit = make("button", "small-button", "任命");
    submit.type = "submit";
    form.appendChild(ui.field("党员姓名", name));
    form.appendChild(ui.field("职务", role));
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = name.value.trim();
      if (!q) {
        ui.showError(ui.errorAfter(form), "请输入要任命的党员姓名");
        return;
      }
      ui.busy(submit, function () {
        return api.getJson("/api/v1/orgs/" + org.id + "/members?per_page=2&q=" +
          encodeURIComponent(q)).then(function (page) {
          if (page.items.length !== 1) {
            throw new api.ApiError(404, "member.ambiguous", page.items.length
              ? "找到多名党员，请输入完整姓名" : "本组织中没有找到“" + q + "”");
          }
          return api.sendJson("POST", "/api/v1/orgs/" + org.id + "/roles",
            { member_id: page.items[0].id, role: role.value });
        });
      }, ui.errorAfter(form)).then(function (granted) {
        ui.toast("已任命 " + granted.holder_name + " 为" + granted.role_label, "ok");
        return loadRoles(org, box);
      }, function () {});
    });
    return form;
  }

  function orgs() {
    var gen = (state.gen += 1);
    var status = $("park-orgs-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    api.getJson("/api/v1/orgs?per_page=100").then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      status.hidden = true;
      var list = $("park-orgs");
      list.replaceChildren();
      page.items.forEach(function (o) { list.appendChild(orgRow(o)); });
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  function enterprises() {
    api.getJson("/api/v1/enterprises?per_page=100").then(function (page) {
      var body = $("park-enterprises");
      body.replaceChildren();
      page.items.forEach(function (e) {
        var tr = make("tr");
        tr.appendChild(make("th", "org-name", e.name)).scope = "row";
        [
          ["行业", e.industry || "—", ""],
          ["职工", String(e.staff_count), "num"],
          ["规上 / 高新", [e.above_scale ? "规上" : "", e.high_tech ? "高新" : ""]
            .filter(Boolean).join(" / ") || "—", ""],
          ["党组织覆盖", e.organisation_covered ? "已覆盖" : "未覆盖", ""],
          ["工作覆盖", e.work_covered ? "已覆盖" : "未覆盖", ""],
        ].forEach(function (cell) {
          var td = make("td", cell[2], cell[1]);
          td.dataset.label = cell[0]; // the phone shows each row as a card with these labels
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }, function (error) { ui.showError(ui.errorAfter($("park-enterprises").closest("table")), error); });
  }

  function rules() {
    var admin = shell.me().is_admin;
    $("park-rules-box").hidden = !admin;
    if (!admin) {
      return;
    }
    api.getJson("/api/v1/points/rules").then(function (list) {
      var box = $("park-rules");
      box.replaceChildren();
      list.forEach(function (r) {
        var li = make("li", "wb-row");
        li.dataset.rule = r.action;
        var main = make("div", "wb-row-main");
        main.appendChild(make("b", "wb-row-name", r.label));
        main.appendChild(make("span", "wb-row-sub", "每日上限 " +
          (r.daily_count_cap === null ? "不限" : r.daily_count_cap + " 次") +
          (r.daily_minute_cap ? " / " + r.daily_minute_cap + " 分钟" : "")));
        li.appendChild(main);
        var points = make("input", "small-input");
        points.type = "number";
        points.min = "0";
        points.max = "100";
        points.value = String(r.points);
        points.setAttribute("aria-label", r.label + " 每次积分");
        var cap = make("input", "small-input");
        cap.type = "number";
        cap.min = "1";
        cap.placeholder = "不限";
        cap.value = r.daily_count_cap === null ? "" : String(r.daily_count_cap);
        cap.setAttribute("aria-label", r.label + " 每日次数上限（空为不限）");
        var save = ui.button("保存", "small-button");
        save.addEventListener("click", function () {
          ui.busy(save, function () {
            return api.sendJson("PATCH", "/api/v1/points/rules/" + r.action, {
              points: Number(points.value),
              daily_count_cap: cap.value === "" ? null : Number(cap.value),
            });
          }).then(function () { ui.toast("已保存：" + r.label, "ok"); }, function () {});
        });
        var actions = make("div", "wb-row-actions");
        actions.appendChild(points);
        actions.appendChild(make("span", "muted", "分/次，每日至多"));
        actions.appendChild(cap);
        actions.appendChild(make("span", "muted", "次"));
        actions.appendChild(save);
        li.appendChild(actions);
        box.appendChild(li);
      });
    }, function (error) { ui.showError(ui.errorAfter($("park-rules")), error); });
  }

  shell.page("park", {
    root: $("page-park"),
    enter: function (parts, query, first) {
      if (first) {
        coverage();
        orgs();
        enterprises();
        rules();
      }
    },
    reset: function () {
      state.gen += 1;
      ["park-orgs", "park-enterprises", "park-rules", "park-coverage"].forEach(function (id) {
        $(id).replaceChildren();
      });
    },
  });
})();
