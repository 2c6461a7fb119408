/* The committee console (党建工作台): login, then the dashboard drawn from the report API —
 * the 三会一课 heat map, attendance and study trends per branch, the stars (with the committee's
 * final rating) and the members flagged by the 6-month rule; every view exports CSV and Excel.
 * The page itself holds no data. Text is set with textContent only. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var charts = window.ConsoleCharts;
  var root = document.getElementById("console");
  if (!root || !api || !charts) {
    return;
  }
  var TZ = root.dataset.tz || "Asia/Shanghai";
  var YEARS_BACK = Number(root.dataset.yearsBack) || 4;
  var REPORTS = "/api/v1/reports/";
  var ROLE_LABELS = {
    secretary: "书记",
    deputy_secretary: "副书记",
    organizer: "组织委员",
    publicity: "宣传委员",
    discipline: "纪检委员",
    instructor: "党建指导员",
  };
  var STATUS_LABELS = { met: "已落实", missed: "未落实", open: "进行中", future: "未到期" };
  var STATUS_ORDER = { missed: 0, open: 1, future: 2, met: 3 };
  var QUARTERS = ["第一季度", "第二季度", "第三季度", "第四季度"];

  function $(id) {
    return document.getElementById(id);
  }

  function make(tag, className, textValue) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (textValue !== undefined && textValue !== null) {
      node.textContent = textValue;
    }
    return node;
  }

  function pct(value) {
    if (value === null || value === undefined || isNaN(value)) {
      return "—";
    }
    return Math.round(value * 100) + "%";
  }

  function num(value, digits) {
    if (value === null || value === undefined) {
      return "—";
    }
    return digits ? Number(value).toFixed(digits) : String(value);
  }

  var dayFormat = new Intl.DateTimeFormat("en-CA", {
    timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
  });
  var clockFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: TZ, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  function today() {
    var parts = dayFormat.format(new Date()).split("-");
    return { year: Number(parts[0]), month: Number(parts[1]), day: Number(parts[2]) };
  }

  var state = {
    me: null,
    year: today().year,
    gen: 0,
    data: {},
    selected: null,
    queries: {},
    starsRow: null,
  };

  // --- views ---------------------------------------------------------------------------------

  function showNotice(message, retry) {
    $("notice-text").textContent = message;
    $("notice-retry").hidden = !retry;
    $("notice-retry").onclick = retry ? function () { hideNotice(); retry(); } : null;
    $("notice").hidden = false;
  }

  function hideNotice() {
    $("notice").hidden = true;
  }

  var toastTimer = null;
  function toast(message, kind) {
    var node = $("toast");
    node.textContent = message;
    node.className = "toast" + (kind ? " toast-" + kind : "");
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { node.hidden = true; }, 5000);
  }

  function showLogin(message, isError) {
    state.me = null;
    state.gen += 1; // answers still on their way are dropped
    resetDashboard();
    document.title = "登录 · 党建工作台 · 云上党支部";
    $("session").hidden = true;
    $("dashboard").hidden = true;
    $("login-view").hidden = false;
    var status = $("login-status");
    status.textContent = message || "";
    status.hidden = !message;
    status.classList.toggle("is-error", !!isError);
    $("password").value = "";
    $("login-submit").disabled = false;
    $("login-submit").textContent = "登录";
    $("username").focus();
  }

  function showDashboard(me) {
    state.me = me;
    $("login-view").hidden = true;
    $("dashboard").hidden = false;
    $("session").hidden = false;
    var user = me.user || {};
    var name = user.display_name || user.username || (me.member && me.member.name);
    $("who").textContent = name || "";
    $("who-role").textContent = roleLabel(me);
    document.title = "党建工作台 · 云上党支部";
  }

  function roleLabel(me) {
    if (me.is_admin) {
      return "系统管理员";
    }
    var grant = (me.roles || [])[0];
    return grant ? grant.org_name + " · " + (ROLE_LABELS[grant.role] || grant.role) : "";
  }

  function isStaff(me) {
    return me.is_admin || (me.roles || []).length > 0;
  }

  /** The committee (a managing role above a branch) may set its stars; the server decides. */
  function canRate(orgId) {
    var me = state.me;
    if (!me) {
      return false;
    }
    if (me.is_admin || me.manage_org_ids === null) {
      return true;
    }
    return (me.manage_org_ids || []).some(function (id) { return id !== orgId; });
  }

  // --- session -------------------------------------------------------------------------------

  function enter() {
    hideNotice();
    return api.getJson("/api/v1/me").then(
      function (me) {
        if (!isStaff(me)) {
          return api.logout().then(function () {
            showLogin("该账号没有查看报表的权限，请使用园区党委或支部书记账号登录。", true);
          });
        }
        showDashboard(me);
        loadAll();
      },
      function (error) {
        if (error.status === 0) {
          $("login-view").hidden = true;
          showNotice(error.message, enter);
        } else if (error.status !== 401) {
          showLogin(error.message, true);
        }
        // a 401 ended the session: onSessionEnded shows the login form
      }
    );
  }

  api.onSessionEnded(function (error) {
    showLogin(error.message || "登录已失效，请重新登录", true);
  });

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var username = $("username").value.trim();
    var password = $("password").value;
    if (!username || !password) {
      showLoginError("请输入用户名和密码");
      (username ? $("password") : $("username")).focus();
      return;
    }
    var button = $("login-submit");
    button.disabled = true;
    button.textContent = "正在登录…";
    $("login-status").hidden = true;
    api.login(username, password).then(
      function () {
        $("password").value = "";
        button.disabled = false;
        button.textContent = "登录";
        return enter();
      },
      function (error) {
        button.disabled = false;
        button.textContent = "登录";
        showLoginError(error.status === 429 ? "尝试次数过多，请稍后再试" : error.message);
        $("password").select();
      }
    );
  });

  function showLoginError(message) {
    var status = $("login-status");
    status.textContent = message;
    status.classList.add("is-error");
    status.hidden = false;
  }

  $("logout").addEventListener("click", function () {
    var button = $("logout");
    button.disabled = true;
    api.logout().then(
      function () {
        button.disabled = false;
        showLogin("已安全退出。");
      },
      function () {
        button.disabled = false;
        showLogin("已在本机退出；服务器暂时无法连接，登录凭证将在到期后失效。", true);
      }
    );
  });

  // --- loading the reports ----------------------------------------------------------------------

  function yearQueries(year) {
    var current = today().year;
    var range = "from=" + year + "-01-01" + (year < current ? "&to=" + year + "-12-31" : "");
    return {
      compliance: REPORTS + "compliance?year=" + year,
      attendance: REPORTS + "attendance?by=activity&" + range,
      study: REPORTS + "study?by=week&" + range,
      stars: REPORTS + "stars?year=" + year,
      members: REPORTS + "members?year=" + year,
    };
  }

  var PANELS = ["compliance", "attendance", "study", "stars", "members"];

  function loadAll() {
    var gen = (state.gen += 1);
    var queries = (state.queries = yearQueries(state.year));
    state.data = {};
    hideNotice();
    PANELS.forEach(function (name) { setPanelState(name, "loading", "正在加载…"); });
    renderKpis();
    var failures = [];
    var requests = {};
    state.failed = {};
    PANELS.forEach(function (name) {
      requests[name] = api.getJson(queries[name]).then(
        function (data) {
          if (gen === state.gen) {
            state.data[name] = data;
          }
          return data;
        },
        function (error) {
          failures.push(error);
          if (gen === state.gen) {
            state.failed[name] = true;
            setPanelState(name, "error", error.message);
            renderKpis();
          }
          return null;
        }
      );
    });
    function when(names, render) {
      Promise.all(names.map(function (n) { return requests[n]; })).then(function (results) {
        if (gen === state.gen && results[0]) {
          render.apply(null, results);
          renderKpis();
        }
      });
    }
    when(["compliance"], renderCompliance);
    when(["attendance", "compliance"], renderAttendance);
    when(["study", "compliance"], renderStudy);
    when(["stars"], renderStars);
    when(["members"], renderMembers);
    Promise.all(PANELS.map(function (n) { return requests[n]; })).then(function () {
      if (gen !== state.gen) {
        return;
      }
      var offline = failures.filter(function (e) { return e.status === 0; })[0];
      if (offline) {
        showNotice(offline.message, loadAll);
      }
      $("updated").textContent = failures.length === PANELS.length ? "数据未能更新"
        : "数据更新于 " + clockFormat.format(new Date());
    });
  }

  function setPanelState(name, kind, message) {
    var node = $(name + "-state");
    node.textContent = message || "";
    node.dataset.kind = kind;
    node.hidden = kind === "ready";
    $(name + "-body").hidden = kind !== "ready";
  }

  function resetDashboard() {
    state.data = {};
    state.selected = null;
    state.complianceModel = state.attendanceSeries = state.studySeries = null;
    [
      "heatmap", "attendance-trend", "study-trend", "attendance-rows", "study-rows", "stars-rows",
      "members-rows", "cell-detail-body",
    ].forEach(function (id) { $(id).replaceChildren(); });
    $("scope-name").textContent = "";
    $("updated").textContent = "";
    renderKpis();
    if ($("stars-dialog").open) {
      $("stars-dialog").close();
    }
  }

  // --- key figures ---------------------------------------------------------------------------

  function renderKpis() {
    var d = state.data;
    var comp = d.compliance;
    var met = 0;
    var missed = 0;
    if (comp) {
      comp.branches.forEach(function (b) {
        b.months.forEach(function (m) {
          m.items.forEach(function (i) {
            if (i.status === "met") { met += 1; }
            if (i.status === "missed") { missed += 1; }
          });
        });
      });
    }
    var people = d.members ? d.members.rows.length : null;
    setKpi("branches", comp ? comp.branches.length : null,
      people !== null ? "共 " + people + " 名党员" : "", "compliance");
    setKpi("compliance", comp ? pct(met + missed ? met / (met + missed) : null) : null,
      comp ? "已到期 " + (met + missed) + " 项，缺 " + missed + " 项" : "", "compliance");
    $("kpi-compliance").classList.toggle("has-gap", missed > 0);
    var totals = d.attendance && d.attendance.totals;
    setKpi("attendance", totals ? pct(totals.rate) : null,
      totals ? "应到 " + totals.expected + " 人次，缺席 " + totals.absent : "", "attendance");
    var study = d.study;
    if (study) {
      var members = 0;
      var participants = 0;
      study.rows.forEach(function (r) { members += r.members; participants += r.participants; });
      setKpi("study", pct(members ? participants / members : null),
        participants + " / " + members + " 名党员参加学习", "study");
    } else {
      setKpi("study", null, "", "study");
    }
    var rows = d.members ? flagged(d.members.rows) : null;
    var urgent = rows && rows.filter(function (r) { return r.absence_flag >= 5; }).length;
    setKpi("flagged", rows ? rows.length : null, rows ? "其中满 5 个月 " + urgent + " 人" : "",
      "members");
    $("kpi-flagged").classList.toggle("has-gap", !!(rows && rows.length));
    var stars = d.stars;
    if (stars && stars.rows.length) {
      var sum = stars.rows.reduce(function (s, r) { return s + r.stars; }, 0);
      var finals = stars.rows.filter(function (r) { return r.final; }).length;
      setKpi("stars", (sum / stars.rows.length).toFixed(1),
        "已评定 " + finals + " / " + stars.rows.length, "stars");
    } else {
      setKpi("stars", stars ? "—" : null, "", "stars");
    }
    if (comp) {
      $("scope-name").textContent = comp.org_name;
      $("scope-year").textContent = comp.year + " 年度";
    }
  }

  function setKpi(name, value, note, source) {
    var missing = (state.failed || {})[source] ? "—" : "…";
    var shown = value === null || value === undefined ? missing : value;
    $("kpi-" + name + "-value").textContent = shown;
    $("kpi-" + name + "-note").textContent = note || "";
  }

  // --- 三会一课: the heat map ----------------------------------------------------------------

  function cellOf(month, notYet) {
    var items = month.items;
    var missing = items.filter(function (i) { return i.status === "missed"; });
    var has = function (s) { return items.some(function (i) { return i.status === s; }); };
    var status;
    if (!items.length) {
      status = "none";
    } else if (notYet) {
      status = "future"; // a month still to come, even if its quarter is under way
    } else if (missing.length) {
      status = "missed";
    } else if (has("open") || (has("met") && has("future"))) {
      status = "open";
    } else if (has("future")) {
      status = "future";
    } else {
      status = "met";
    }
    var names = function (list) {
      return list.map(function (i) { return i.type_label; }).join("、");
    };
    var label = {
      missed: "缺 " + names(missing),
      open: "进行中，待开展 " + names(items.filter(function (i) { return i.status !== "met"; })),
      future: "未到期",
      met: "已落实 " + items.length + " 项",
      none: "本月无要求",
    }[status];
    return {
      month: month.month, status: status, missing: missing.length, label: label, items: items,
    };
  }

  function complianceModel(report) {
    var t = today();
    return {
      months: report.branches.length
        ? report.branches[0].months.map(function (m) { return m.month; })
        : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      current: report.year === t.year ? t.month : null,
      rows: report.branches.map(function (b) {
        return {
          id: b.org_id,
          name: b.org_name,
          branch: b,
          cells: b.months.map(function (m) {
            return cellOf(m, report.year > t.year || (report.year === t.year && m.month > t.month));
          }),
        };
      }),
    };
  }

  // which months of the year are closed: their figures are frozen and will not change
  function showClosed(report) {
    var el = $("compliance-closed");
    var months = (report.closed_periods || []).filter(function (p) { return p.kind === "month"; })
      .map(function (p) { return Number(p.start.slice(5, 7)); });
    var year = (report.closed_periods || []).some(function (p) { return p.kind === "year"; });
    el.hidden = !months.length;
    el.textContent = year ? "全年已关账，数字已冻结，不再变动。"
      : months.length ? "已关账：" + months[0] + "–" + months[months.length - 1] +
        "月（数字已冻结，不再变动）。" : "";
  }

  function renderCompliance(report) {
    showClosed(report);
    var model = complianceModel(report);
    state.complianceModel = model;
    setPanelState("compliance", "ready");
    if (!model.rows.length) {
      setPanelState("compliance", "empty", "该范围内没有党支部");
      return;
    }
    drawHeatmap();
    if (state.selected) {
      var row = model.rows.filter(function (r) { return r.id === state.selected.id; })[0];
      var cell = row && row.cells.filter(function (c) {
        return c.month === state.selected.month;
      })[0];
      if (cell) {
        showCell(row, cell);
        return;
      }
      state.selected = null;
    }
    showOverview(model);
  }

  function drawHeatmap() {
    if (!state.complianceModel || $("compliance-body").hidden) {
      return;
    }
    charts.heatmap($("heatmap"), state.complianceModel, {
      selected: state.selected,
      onSelect: function (row, cell) {
        state.selected = { id: row.id, month: cell.month };
        showCell(row, cell);
      },
    });
  }

  function periodLabel(item, month, year) {
    if (item.period === "month") {
      return month + "月";
    }
    if (item.period === "quarter") {
      var q = Math.floor((month - 1) / 3);
      return QUARTERS[q] + "（" + (q * 3 + 1) + "–" + (q * 3 + 3) + "月）";
    }
    return year + " 全年";
  }

  function showCell(row, cell) {
    var body = $("cell-detail-body");
    var year = state.data.compliance.year;
    $("cell-detail-title").textContent = row.name;
    $("cell-detail-sub").textContent = year + " 年 " + cell.month + " 月";
    var summary = make("p", "detail-summary is-" + cell.status, cell.label);
    var list = make("ul", "detail-items");
    cell.items.slice().sort(function (a, b) {
      return STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
    }).forEach(function (item) {
      var li = make("li", "detail-item is-" + item.status);
      var head = make("div", "detail-item-head");
      head.appendChild(make("span", "status-chip is-" + item.status, STATUS_LABELS[item.status]));
      head.appendChild(make("b", "detail-item-name", item.type_label));
      li.appendChild(head);
      li.appendChild(make("p", "detail-item-meta",
        "考核周期：" + periodLabel(item, cell.month, year) + " · 已开展 " + item.held + " / 应开展 " +
        item.required));
      list.appendChild(li);
    });
    var back = make("button", "link-button", "返回概况");
    back.type = "button";
    back.addEventListener("click", function () {
      state.selected = null;
      drawHeatmap();
      showOverview(state.complianceModel);
    });
    var items = list.children.length ? list : make("p", "muted", "本月无考核要求");
    body.replaceChildren(summary, items, back);
  }

  function showOverview(model) {
    var body = $("cell-detail-body");
    $("cell-detail-title").textContent = "落实概况";
    $("cell-detail-sub").textContent = "点击方格查看当月应开展的会议";
    var gaps = model.rows.map(function (r) {
      return { name: r.name, missed: r.branch.gaps.length };
    }).filter(function (g) {
      return g.missed > 0;
    }).sort(function (a, b) {
      return b.missed - a.missed;
    });
    var missedCells = 0;
    model.rows.forEach(function (r) {
      r.cells.forEach(function (c) { if (c.status === "missed") { missedCells += 1; } });
    });
    var lead = make("p", "detail-lead");
    lead.textContent = gaps.length ? model.rows.length + " 个支部中 " + gaps.length + " 个有缺项，共 " +
      missedCells + " 个月份未落实。" : "";
    var nodes = gaps.length ? [lead] : [];
    if (gaps.length) {
      nodes.push(make("p", "detail-caption", "缺项最多的支部"));
      var list = make("ol", "gap-list");
      gaps.slice(0, 6).forEach(function (g) {
        var li = make("li");
        li.appendChild(make("span", "gap-name", g.name));
        li.appendChild(make("span", "gap-count", "缺 " + g.missed + " 项"));
        list.appendChild(li);
      });
      nodes.push(list);
    } else {
      nodes.push(make("p", "detail-good", "已到期的会议全部按要求开展，没有缺项。"));
    }
    body.replaceChildren.apply(body, nodes);
  }

  // --- attendance per branch and month -------------------------------------------------------

  function monthsShown(year) {
    var t = today();
    var last = year === t.year ? t.month : 12;
    var months = [];
    for (var m = 1; m <= 12; m++) {
      months.push({ month: m, future: m > last });
    }
    return months;
  }

  function branchOrder(compliance, rows) {
    var order = [];
    var seen = {};
    (compliance ? compliance.branches : []).forEach(function (b) {
      order.push({ id: b.org_id, name: b.org_name });
      seen[b.org_id] = true;
    });
    rows.forEach(function (r) {
      if (!seen[r.org_id]) {
        order.push({ id: r.org_id, name: r.org_name });
        seen[r.org_id] = true;
      }
    });
    return order;
  }

  function renderAttendance(report, compliance) {
    var year = state.year;
    var months = monthsShown(year);
    var blank = function () {
      return months.map(function () { return { attended: 0, base: 0, activities: 0 }; });
    };
    var byOrg = {};
    var overall = blank();
    report.rows.forEach(function (r) {
      var when = String(r.starts_at || "");
      if (Number(when.slice(0, 4)) !== year) {
        return;
      }
      var m = Number(when.slice(5, 7)) - 1;
      var attended = r.present + r.late + r.makeup;
      var base = r.expected - r.pending - r.leave;
      [byOrg[r.org_id] || (byOrg[r.org_id] = blank()), overall].forEach(function (slots) {
        slots[m].attended += attended;
        slots[m].base += base;
        slots[m].activities += 1;
      });
    });
    var rate = function (slot) { return slot.base > 0 ? slot.attended / slot.base : null; };
    state.attendanceSeries = overall.map(function (slot, i) {
      return {
        label: (i + 1) + "月",
        value: months[i].future ? null : rate(slot),
        note: slot.activities + " 次活动",
      };
    });

    var tbody = $("attendance-rows");
    tbody.replaceChildren();
    branchOrder(compliance, report.rows).forEach(function (org) {
      var slots = byOrg[org.id] || blank();
      var sum = slots.reduce(function (s, x) {
        return {
          attended: s.attended + x.attended,
          base: s.base + x.base,
          activities: s.activities + x.activities,
        };
      }, { attended: 0, base: 0, activities: 0 });
      var tr = make("tr");
      tr.dataset.org = org.id;
      tr.appendChild(make("th", "org-name", org.name)).scope = "row";
      var chart = make("td", "spark");
      chart.appendChild(charts.bars(slots.map(function (slot, i) {
        return { value: months[i].future ? null : rate(slot), label: (i + 1) + "月" };
      }), { width: 168, height: 28, label: org.name + " 每月出勤率", lowBelow: 0.6 }));
      tr.appendChild(chart);
      tr.appendChild(make("td", "num", String(sum.activities)));
      var total = make("td", "num strong", pct(rate(sum)));
      if (rate(sum) !== null && rate(sum) < 0.6) {
        total.classList.add("is-low");
      }
      tr.appendChild(total);
      tbody.appendChild(tr);
    });
    setPanelState("attendance", "ready");
    redrawTrend("attendance"); // measured once the panel shows
  }

  // --- study participation per branch and week -----------------------------------------------

  function parseDay(iso) {
    var p = iso.split("-");
    return Date.UTC(Number(p[0]), Number(p[1]) - 1, Number(p[2]));
  }

  function renderStudy(report, compliance) {
    var start = parseDay(report.from);
    var end = parseDay(report.to);
    var weekMs = 7 * 86400000;
    var weeks = [];
    for (var t = start; t <= end; t += weekMs) {
      var d = new Date(t);
      weeks.push({
        key: d.toISOString().slice(0, 10),
        label: (d.getUTCMonth() + 1) + "/" + d.getUTCDate(),
      });
    }
    var index = {};
    weeks.forEach(function (w, i) { index[w.key] = i; });
    var totals = weeks.map(function () { return 0; });
    var memberTotal = 0;
    var hours = {};
    (compliance ? compliance.branches : []).forEach(function (b) {
      hours[b.org_id] = b.study_hours;
    });
    var tbody = $("study-rows");
    tbody.replaceChildren();
    report.rows.forEach(function (row) {
      memberTotal += row.members;
      var counts = weeks.map(function () { return 0; });
      row.series.forEach(function (p) {
        if (index[p.start] !== undefined) {
          counts[index[p.start]] = p.members;
          totals[index[p.start]] += p.members;
        }
      });
      var tr = make("tr");
      tr.dataset.org = row.org_id;
      var name = tr.appendChild(make("th", "org-name", row.org_name));
      name.scope = "row";
      name.title = row.org_name;
      var chart = make("td", "spark");
      chart.appendChild(charts.bars(counts.map(function (n, i) {
        return { value: row.members ? n / row.members : null, label: weeks[i].label + " 起一周" };
      }), { width: 150, height: 28, label: row.org_name + " 每周学习参与率" }));
      tr.appendChild(chart);
      tr.appendChild(make("td", "num strong", pct(row.participation_rate)));
      tr.appendChild(make("td", "num", num(row.average_points, 1)));
      tr.appendChild(make("td", "num", pct(row.quiz_accuracy)));
      var h = hours[row.org_id];
      var cell = make("td", "num", h ? num(h.average_hours, 1) : "—");
      if (h) {
        cell.title = h.members_meeting_target + " / " + h.members + " 人达到 " + h.target_hours +
          " 学时";
      }
      tr.appendChild(cell);
      tbody.appendChild(tr);
    });
    state.studySeries = weeks.map(function (w, i) {
      return {
        label: w.label,
        value: memberTotal ? totals[i] / memberTotal : null,
        note: totals[i] + " 人",
      };
    });
    setPanelState("study", report.rows.length ? "ready" : "empty", "该范围内没有党员");
    redrawTrend("study");
  }

  function redrawTrend(name) {
    if (name === "attendance" && state.attendanceSeries && !$("attendance-body").hidden) {
      charts.trend($("attendance-trend"), state.attendanceSeries, {
        label: "全部支部每月出勤率", height: 150, empty: "本年度还没有已结束的活动",
      });
    }
    if (name === "study" && state.studySeries && !$("study-body").hidden) {
      var n = state.studySeries.length;
      charts.trend($("study-trend"), state.studySeries, {
        label: "全部党员每周学习参与率", height: 150, dots: n <= 20,
        tickEvery: Math.max(1, Math.ceil(n / 8)), empty: "本年度还没有学习记录",
      });
    }
  }

  // --- stars -----------------------------------------------------------------------------------

  function starGlyphs(count) {
    var span = make("span", "stars");
    span.setAttribute("aria-label", count + " 星");
    span.appendChild(make("span", "stars-on", "★".repeat(count)));
    span.appendChild(make("span", "stars-off", "★".repeat(Math.max(0, 10 - count))));
    span.lastChild.setAttribute("aria-hidden", "true");
    span.firstChild.setAttribute("aria-hidden", "true");
    return span;
  }

  function renderStars(report) {
    var tbody = $("stars-rows");
    tbody.replaceChildren();
    var weights = report.weights || {};
    $("stars-weights").textContent = "综合得分 = 10 ×（三会一课 " + pct(weights.compliance) +
      " + 出勤 " + pct(weights.attendance) + " + 学习 " + pct(weights.study) + "）";
    report.rows.forEach(function (row) {
      var tr = make("tr");
      tr.dataset.org = row.org_id;
      tr.appendChild(make("th", "org-name", row.org_name)).scope = "row";
      tr.appendChild(make("td", "num", pct(row.compliance)));
      tr.appendChild(make("td", "num", pct(row.attendance)));
      tr.appendChild(make("td", "num", pct(row.study)));
      tr.appendChild(make("td", "num strong", num(row.score, 1)));
      tr.appendChild(make("td", "num", row.computed_stars + " 星"));
      var final = make("td", "final-stars");
      final.appendChild(starGlyphs(row.stars));
      var band = make("span", "star-band star-band-" + bandKey(row.stars),
        row.stars + " 星 · " + row.band);
      final.appendChild(band);
      tr.appendChild(final);
      var reason = make("td", "reason");
      if (row.final) {
        reason.appendChild(make("span", "reason-text", row.reason));
        reason.appendChild(make("span", "reason-meta",
          "委员会评定 · " + String(row.set_at || "").slice(0, 10)));
      } else {
        reason.appendChild(make("span", "reason-meta", "系统计算，尚未评定"));
      }
      tr.appendChild(reason);
      var action = make("td", "action");
      if (canRate(row.org_id)) {
        var button = make("button", "small-button", row.final ? "修改评定" : "评定");
        button.type = "button";
        button.dataset.org = row.org_id;
        button.setAttribute("aria-label", "评定 " + row.org_name + " 的星级");
        button.addEventListener("click", function () { openStars(row, button); });
        action.appendChild(button);
      }
      tr.appendChild(action);
      tbody.appendChild(tr);
    });
    $("stars-table").classList.toggle("no-actions", !report.rows.some(function (r) {
      return canRate(r.org_id);
    }));
    setPanelState("stars", report.rows.length ? "ready" : "empty", "该范围内没有党支部");
  }

  function bandKey(stars) {
    return stars >= 10 ? "best" : stars >= 8 ? "good" : stars >= 6 ? "pass" : "low";
  }

  var starsOpener = null;

  function openStars(row, opener) {
    starsOpener = opener;
    state.starsRow = row;
    $("stars-dialog-title").textContent = "评定星级：" + row.org_name;
    $("stars-dialog-hint").textContent = state.year + " 年度 · 系统计算 " + row.computed_stars +
      " 星（综合得分 " + num(row.score, 1) + "）";
    $("stars-value").value = String(row.stars);
    $("stars-reason").value = row.final ? row.reason : "";
    $("stars-error").hidden = true;
    $("stars-save").disabled = false;
    $("stars-dialog").showModal();
    $("stars-value").focus();
  }

  $("stars-cancel").addEventListener("click", function () { $("stars-dialog").close(); });
  $("stars-dialog").addEventListener("close", function () {
    if (starsOpener && document.body.contains(starsOpener)) {
      starsOpener.focus();
    }
  });

  $("stars-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var row = state.starsRow;
    var stars = Number($("stars-value").value);
    var reason = $("stars-reason").value.trim();
    var error = $("stars-error");
    if (reason.length < 2) {
      error.textContent = "请填写评定理由（至少 2 个字）";
      error.hidden = false;
      $("stars-reason").focus();
      return;
    }
    $("stars-save").disabled = true;
    var year = state.year;
    var body = { year: year, stars: stars, reason: reason };
    api.sendJson("PUT", REPORTS + "stars/" + row.org_id, body).then(
      function (updated) {
        var board = state.data.stars;
        if (board && board.year === year) {
          board.rows = board.rows.map(function (r) {
            return r.org_id === updated.org_id ? updated : r;
          });
          renderStars(board);
          renderKpis();
          var tr = $("stars-rows").querySelector('tr[data-org="' + updated.org_id + '"]');
          if (tr) {
            tr.classList.add("is-updated");
            starsOpener = tr.querySelector("button");
          }
        }
        $("stars-dialog").close();
        toast("已将 " + updated.org_name + " 评定为 " + updated.stars + " 星（" + updated.band + "）",
          "ok");
      },
      function (err) {
        $("stars-save").disabled = false;
        var fields = err.details && err.details.fields;
        var first = fields && Object.keys(fields).map(function (k) { return fields[k][0]; })[0];
        error.textContent = first ? err.message + "：" + first : err.message;
        error.hidden = false;
      }
    );
  });

  // --- the 6-month rule ------------------------------------------------------------------------

  function flagged(rows) {
    return rows.filter(function (r) { return r.absence_flag >= 3; })
      .sort(function (a, b) {
        return b.months_without_attendance - a.months_without_attendance ||
          a.org_name.localeCompare(b.org_name, "zh-CN") || a.name.localeCompare(b.name, "zh-CN");
      });
  }

  function renderMembers(report) {
    var rows = flagged(report.rows);
    var tbody = $("members-rows");
    tbody.replaceChildren();
    rows.forEach(function (r) {
      var tr = make("tr");
      tr.dataset.member = r.member_id;
      tr.appendChild(make("th", "person", r.name)).scope = "row";
      tr.appendChild(make("td", "", r.org_name));
      tr.appendChild(make("td", "", r.status_label));
      var last = r.last_attended_at ? String(r.last_attended_at).slice(0, 10) : "无记录";
      tr.appendChild(make("td", "num", last));
      tr.appendChild(make("td", "num strong", r.months_without_attendance + " 个月"));
      var flag = make("td");
      flag.appendChild(make("span", "flag flag-" + r.absence_flag,
        r.absence_flag === 6 ? "满 6 个月 · 视为自行脱党"
          : r.absence_flag === 5 ? "满 5 个月 · 紧急" : "满 3 个月 · 提醒"));
      tr.appendChild(flag);
      tbody.appendChild(tr);
    });
    $("members-count").textContent = rows.length ? "共 " + rows.length + " 人" : "";
    setPanelState("members", rows.length ? "ready" : "empty",
      "没有连续 3 个月以上未参加组织生活的党员。");
  }

  // --- exports -------------------------------------------------------------------------------

  var EXPORT_NAMES = {
    compliance: "三会一课落实情况",
    attendance: "出勤统计",
    study: "学习参与",
    stars: "星级评定",
    members: "党员组织生活情况",
  };

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-export]");
    if (!button) {
      return;
    }
    var report = button.dataset.export;
    var format = button.dataset.format;
    var query = state.queries[report];
    if (!query) {
      return;
    }
    var url = query + (query.indexOf("?") < 0 ? "?" : "&") + "format=" + format;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    api.download(url, EXPORT_NAMES[report] + "." + format).then(
      function (file) {
        toast("已下载 " + file.name, "ok");
      },
      function (error) {
        toast("导出失败：" + error.message, "error");
      }
    ).then(function () {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });

  // --- controls ------------------------------------------------------------------------------

  (function years() {
    var select = $("year");
    var current = today().year;
    for (var y = current; y >= current - YEARS_BACK; y--) {
      var option = make("option", null, y + " 年");
      option.value = String(y);
      select.appendChild(option);
    }
    select.value = String(state.year);
    select.addEventListener("change", function () {
      state.year = Number(select.value);
      state.selected = null;
      loadAll();
    });
  })();

  $("refresh").addEventListener("click", function () { loadAll(); });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      drawHeatmap();
      redrawTrend("attendance");
      redrawTrend("study");
    }, 150);
  });

  // --- start -----------------------------------------------------------------------------------

  $("login-submit").disabled = false; // the form works only with this script
  if (api.hasSession()) {
    enter();
  } else {
    showLogin("");
  }
})();
