/* 先锋岗 (secretaries) and 企业台账 (committee): posts with their holders and the share of
 * members holding one; each enterprise's five clears and coverage mode, counted for all,
 * 规上 and 高新 enterprises; the instructors' visits by month and the enterprises overdue. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-ledger")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;

  function cell(tr, label, text, className) {
    var td = make("td", className || "", text);
    td.dataset.label = label; // a phone shows each row as a card with these labels
    tr.appendChild(td);
    return td;
  }

  function head(tr, text) {
    var th = make("th", "org-name", text);
    th.scope = "row";
    tr.appendChild(th);
  }

  // --- 先锋岗 ----------------------------------------------------------------------------------

  function postRow(p) {
    var li = make("li", "wb-row");
    li.dataset.post = p.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", p.kind_label + " · " + p.name));
    main.appendChild(make("span", "wb-row-sub", p.org_name + (p.place ? " · " + p.place : "") +
      (p.commitment ? " · 承诺：" + p.commitment : "")));
    main.appendChild(make("span", "wb-row-sub", "在岗：" +
      (p.holders.length ? p.holders.map(function (h) { return h.name; }).join("、") : "暂无")));
    li.appendChild(main);
    if (shell.manages(p.org_id)) {
      li.appendChild(assignForm(p));
    }
    return li;
  }

  /** Put a member of the post's branch on it (the list of members loads when opened). */
  function assignForm(p) {
    var actions = make("div", "wb-row-actions");
    var who = make("select", "small-select");
    who.setAttribute("aria-label", "指派到 " + p.name + " 的党员");
    ui.fillSelect(who, [["", "选择党员…"]]);
    who.addEventListener("focus", function () {
      if (who.options.length > 1) {
        return;
      }
      api.getJson("/api/v1/orgs/" + p.org_id + "/members?per_page=100").then(function (page) {
        ui.fillSelect(who, [["", "选择党员…"]].concat(page.items.map(function (m) {
          return [m.id, m.name];
        })));
      }, function () {});
    }, { once: false });
    var go = ui.button("指派上岗", "small-button");
    go.addEventListener("click", function () {
      if (!who.value) {
        ui.showError(ui.errorAfter(actions), "请先选择党员");
        return;
      }
      ui.busy(go, function () {
        return api.sendJson("POST", "/api/v1/posts/" + p.id + "/holders",
          { member_id: Number(who.value) });
      }, ui.errorAfter(actions)).then(function () {
        ui.toast("已指派上岗", "ok");
        loadPosts();
      }, function () {});
    });
    actions.appendChild(who);
    actions.appendChild(go);
    return actions;
  }

  function loadPosts() {
    api.getJson("/api/v1/posts?per_page=100").then(function (page) {
      var list = $("posts");
      list.replaceChildren();
      page.items.forEach(function (p) { list.appendChild(postRow(p)); });
      if (!page.items.length) {
        list.appendChild(make("li", "muted", "还没有设立岗位。"));
      }
    }, function (error) { ui.showError(ui.errorAfter($("posts")), error); });
    api.getJson("/api/v1/posts/report").then(function (report) {
      var body = $("posts-report");
      body.replaceChildren();
      report.rows.forEach(function (r) {
        var tr = make("tr");
        head(tr, r.org_name);
        cell(tr, "岗位", String(r.posts), "num");
        cell(tr, "党员", String(r.members), "num");
        cell(tr, "在岗党员", String(r.holders), "num");
        cell(tr, "在岗比例", ui.pct(r.share), "num");
        body.appendChild(tr);
      });
    }, function (error) { ui.showError(ui.errorAfter($("posts-report").closest("table")), error); });
  }

  $("post-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("post-name").value.trim();
    if (!name) {
      ui.showError($("post-error"), "请填写岗位名称");
      $("post-name").focus();
      return;
    }
    ui.busy($("post-save"), function () {
      return api.sendJson("POST", "/api/v1/posts", {
        org_id: Number($("post-org").value),
        kind: $("post-kind").value,
        name: name,
        place: $("post-place").value,
        commitment: $("post-commitment").value,
        starts_on: ui.todayIso(),
      });
    }, $("post-error")).then(function (p) {
      ui.toast("已设立：" + p.name, "ok");
      $("post-name").value = "";
      loadPosts();
    }, function () {});
  });

  shell.page("posts", {
    root: $("page-posts"),
    enter: function (parts, q, first) {
      if (first) {
        var branches = shell.managedBranches().filter(function (o) { return o.type === "branch"; });
        ui.fillSelect($("post-org"), branches.map(function (o) { return [o.id, o.name]; }));
        loadPosts();
      }
    },
    reset: function () {
      ["posts", "posts-report"].forEach(function (id) { $(id).replaceChildren(); });
    },
  });

  // --- 企业台账 -------------------------------------------------------------------------------

  function modes(report) {
    var body = $("ledger-modes");
    body.replaceChildren();
    report.all.by_mode.forEach(function (m, i) {
      var tr = make("tr");
      tr.dataset.mode = m.mode;
      head(tr, m.label);
      [report.all, report.above_scale, report.high_tech].forEach(function (set, j) {
        var row = set.by_mode[i];
        var text = row.count + " 家" + (row.count && row.met < row.count
          ? "（" + (row.count - row.met) + " 家待落实）" : "");
        cell(tr, ["全部企业", "其中规上", "其中高新"][j], text, "num");
      });
      body.appendChild(tr);
    });
    var total = make("tr");
    head(total, "合计");
    [report.all, report.above_scale, report.high_tech].forEach(function (set, j) {
      cell(total, ["全部企业", "其中规上", "其中高新"][j],
        set.enterprises + " 家" + (set.gaps ? "（" + set.gaps + " 家待落实）" : ""), "num");
    });
    body.appendChild(total);
    var ents = $("ledger-ents");
    ents.replaceChildren();
    report.rows.forEach(function (r) {
      var tr = make("tr");
      tr.dataset.enterprise = r.enterprise_id;
      head(tr, r.name + (r.above_scale ? " · 规上" : "") + (r.high_tech ? " · 高新" : ""));
      cell(tr, "职工", String(r.staff_count), "num");
      cell(tr, "党员（正式）", r.party_members + "（" + r.full_members + "）", "num");
      cell(tr, "覆盖组织", r.covering_org_name || "—");
      cell(tr, "指导员", r.instructors || "—");
      cell(tr, "覆盖方式", r.mode_label + (r.met ? "" : " · 待落实"), r.met ? "" : "ledger-gap");
      cell(tr, "最近核查", r.last_checked_on || "—");
      ents.appendChild(tr);
    });
  }

  function visits(report) {
    var headRow = make("tr");
    headRow.appendChild(make("th", "", "指导员")).scope = "col";
    for (var m = 1; m <= 12; m += 1) {
      headRow.appendChild(make("th", "num", m + "月")).scope = "col";
    }
    headRow.appendChild(make("th", "num", "合计")).scope = "col";
    $("ledger-visits-head").replaceChildren(headRow);
    var body = $("ledger-visits");
    body.replaceChildren();
    report.rows.forEach(function (r) {
      var tr = make("tr");
      head(tr, r.name + "（联系 " + r.enterprises + " 家）");
      r.months.forEach(function (n, i) { cell(tr, (i + 1) + "月", n ? String(n) : "·", "num"); });
      cell(tr, "合计", String(r.total), "num");
      body.appendChild(tr);
    });
  }

  function overdue(report) {
    $("ledger-days").textContent = String(report.days);
    var list = $("ledger-overdue");
    list.replaceChildren();
    report.rows.forEach(function (r) {
      var li = make("li", "wb-row");
      li.appendChild(make("b", "wb-row-name", r.name));
      li.appendChild(make("span", "wb-row-sub", (r.last_visited_on
        ? "上次走访 " + r.last_visited_on + "（" + r.days_since + " 天前）" : "从未走访") +
        (r.instructors ? " · 指导员：" + r.instructors : " · 未派指导员")));
      list.appendChild(li);
    });
    if (!report.rows.length) {
      list.appendChild(make("li", "muted", "所有企业都按时走访了。"));
    }
  }

  function loadLedger() {
    var status = $("ledger-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    api.getJson("/api/v1/enterprises/coverage-modes").then(function (report) {
      status.hidden = true;
      modes(report);
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
    api.getJson("/api/v1/visits/report").then(visits, function () {});
    api.getJson("/api/v1/visits/overdue").then(overdue, function () {});
  }

  $("ledger-xlsx").addEventListener("click", function () {
    api.download("/api/v1/enterprises/coverage-modes?format=xlsx", "企业覆盖情况.xlsx");
  });

  shell.page("ledger", {
    root: $("page-ledger"),
    enter: function (parts, q, first) {
      if (first) {
        loadLedger();
      }
    },
    reset: function () {
      ["ledger-modes", "ledger-ents", "ledger-visits", "ledger-overdue"].forEach(function (id) {
        $(id).replaceChildren();
      });
    },
  });
})();
