/* The console's 概览 tables: attendance and study per branch, the stars (with the committee's
 * final rating), the members flagged by the 6-month rule, and the CSV / Excel exports.
 * Shares window.ConsoleReports with console-reports.js (loaded first). */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var charts = window.ConsoleCharts;
  var R = window.ConsoleReports;
  if (!R || !R.state) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var pct = ui.pct;
  var toast = ui.toast;
  var num = R.num;
  var today = R.today;
  var state = R.state;
  var REPORTS = R.REPORTS;
  var canRate = R.canRate;
  var setPanelState = R.setPanelState;
  var renderKpis = R.renderKpis;

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


  Object.assign(R, {
    renderAttendance: renderAttendance,
    renderStudy: renderStudy,
    renderStars: renderStars,
    renderMembers: renderMembers,
    redrawTrend: redrawTrend,
    flagged: flagged,
  });
})();