/* The console's 概览 page (reports): the 三会一课 heat map and key figures; the tables
 * (attendance, study, stars, the 6-month rule) and exports are in console-reports-tables.js.
 * Both share window.ConsoleReports. The page holds no data; text is set with textContent. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  var charts = window.ConsoleCharts;
  var root = document.getElementById("console");
  if (!root || !api || !charts || !shell) {
    return;
  }
  var R = (window.ConsoleReports = window.ConsoleReports || {});
  var TZ = ui.TZ;
  var YEARS_BACK = Number(root.dataset.yearsBack) || 4;
  var REPORTS = "/api/v1/reports/";
  var STATUS_LABELS = { met: "已落实", missed: "未落实", open: "进行中", future: "未到期" };
  var STATUS_ORDER = { missed: 0, open: 1, future: 2, met: 3 };
  var QUARTERS = ["第一季度", "第二季度", "第三季度", "第四季度"];

  var $ = ui.$;
  var make = ui.make;
  var pct = ui.pct;

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

  /** The committee (a managing role above a branch) may set its stars; the server decides. */
  function canRate(orgId) {
    var me = shell.me();
    if (!me) {
      return false;
    }
    if (me.is_admin || me.manage_org_ids === null) {
      return true;
    }
    return (me.manage_org_ids || []).some(function (id) { return id !== orgId; });
  }

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

  // issue 22: with DATABASE_REPLICA_URL the reports read a replica; say how fresh it is
  function showFreshness(data) {
    var el = $("freshness");
    var lag = data && data.lag_seconds;
    if (!data || data.replica === "absent") {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    if (data.source !== "replica") {
      el.textContent = "只读副本暂不可用，报表直接读自主库（数据为最新）";
    } else if (!lag) {
      el.textContent = "报表读自只读副本，数据与主库同步";
    } else {
      el.textContent = "报表读自只读副本：数据截至 " + String(data.replay_at).slice(11, 16) +
        "（约 " + Math.round(lag) + " 秒前）";
    }
  }

  function loadAll() {
    var gen = (state.gen += 1);
    var queries = (state.queries = yearQueries(state.year));
    state.data = {};
    shell.hideNotice();
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
    // asked once the panels are in (so an expired token is renewed once, not twice), and
    // only when they all loaded: a failure has already said what is wrong
    Promise.all(PANELS.map(function (n) { return requests[n]; })).then(function () {
      if (failures.length || gen !== state.gen) { return; }
      api.getJson(REPORTS + "freshness").then(showFreshness, function () { showFreshness(null); });
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
    when(["attendance", "compliance"], R.renderAttendance);
    when(["study", "compliance"], R.renderStudy);
    when(["stars"], R.renderStars);
    when(["members"], R.renderMembers);
    Promise.all(PANELS.map(function (n) { return requests[n]; })).then(function () {
      if (gen !== state.gen) {
        return;
      }
      var offline = failures.filter(function (e) { return e.status === 0; })[0];
      if (offline) {
        shell.showNotice(offline.message, loadAll);
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
    var rows = d.members && R.flagged ? R.flagged(d.members.rows) : null;
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
      R.redrawTrend("attendance");
      R.redrawTrend("study");
    }, 150);
  });


  Object.assign(R, {
    state: state,
    REPORTS: REPORTS,
    num: num,
    today: today,
    canRate: canRate,
    setPanelState: setPanelState,
    renderKpis: renderKpis,
    loadAll: loadAll,
  });

  shell.page("reports", {
    root: $("dashboard"),
    enter: function (parts, query, first) {
      if (first && !state.loaded) {
        state.loaded = true;
        loadAll();
      } else if (first) {
        setTimeout(function () {
          drawHeatmap();
          R.redrawTrend("attendance");
          R.redrawTrend("study");
        }, 0);
      }
    },
    reset: function () {
      state.loaded = false;
      state.gen += 1; // answers still on their way are dropped
      resetDashboard();
    },
  });
})();