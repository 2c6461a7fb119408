/* 问卷 and 民主评议党员, the two screens beside 表决 (tabs of one menu item).
 *
 * Surveys: publish one to an org's members (single, multiple choice and short-text questions,
 * anonymous or named), read the counts and the texts, export the answers, close it.
 * Reviews: open a branch's yearly round, grade each member reviewed (the peers' grades and the
 * self-assessment beside), a failing grade's 限期改正 deadline, the summary by grade, close. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-surveys")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var KINDS = [["single", "单选"], ["multiple", "多选"], ["text", "简答"]];

  function markVotesMenu() {
    // the two screens live under the 表决 menu item
    var link = document.querySelector('.main-nav-link[data-page="votes"]');
    if (link) { link.setAttribute("aria-current", "page"); }
  }

  function branches(select) {
    var orgs = shell.managedBranches();
    ui.fillSelect(select, orgs.map(function (o) { return [String(o.id), o.name]; }), select.value || null);
    return orgs.length;
  }

  function stateLine(node, kind, text) {
    node.hidden = !text;
    node.dataset.kind = kind;
    node.textContent = text || "";
  }

  // --- surveys ---------------------------------------------------------------------------------

  function questionBlock() {
    var li = make("li", "wb-card dem-question");
    var kind = make("select", "sv-q-kind");
    ui.fillSelect(kind, KINDS);
    var text = make("input", "sv-q-text");
    text.type = "text";
    text.maxLength = 200;
    var options = make("textarea", "sv-q-options");
    options.rows = 3;
    options.placeholder = "每行一个选项";
    var optionsField = ui.field("选项（每行一个）", options);
    kind.addEventListener("change", function () { optionsField.hidden = kind.value === "text"; });
    var grid = make("div", "wb-grid");
    grid.appendChild(ui.field("题型", kind));
    grid.appendChild(ui.field("题目", text));
    li.appendChild(grid);
    li.appendChild(optionsField);
    var remove = ui.button("删除此题", "small-button", function () { li.remove(); });
    li.appendChild(remove);
    return li;
  }

  function surveyBody() {
    var questions = Array.prototype.map.call(document.querySelectorAll("#sv-questions > li"), function (li) {
      var kind = li.querySelector(".sv-q-kind").value;
      var q = { kind: kind, text: li.querySelector(".sv-q-text").value.trim() };
      if (kind !== "text") {
        q.options = li.querySelector(".sv-q-options").value.split("\n").map(function (x) {
          return x.trim();
        }).filter(Boolean);
      }
      return q;
    });
    return {
      org_id: Number($("sv-org").value),
      title: $("sv-title").value.trim(),
      anonymous: $("sv-anonymous").checked,
      questions: questions,
    };
  }

  function showResults(res) {
    var box = $("sv-results");
    box.hidden = false;
    $("sv-results-title").textContent = "问卷结果：" + res.title;
    $("sv-results-count").textContent = "已有 " + res.answered + " 人填写";
    var list = $("sv-results-list");
    list.replaceChildren();
    res.questions.forEach(function (q) {
      var li = make("li", "dem-result");
      li.appendChild(make("b", null, q.text));
      var ul = make("ul", "dem-counts");
      if (q.kind === "text") {
        (q.texts.length ? q.texts : ["（暂无）"]).forEach(function (t) { ul.appendChild(make("li", null, t)); });
      } else {
        var most = Math.max.apply(null, [1].concat(q.counts));
        q.options.forEach(function (o, k) {
          var row = make("li", "dem-count");
          row.appendChild(make("span", "dem-count-label", o));
          var bar = make("span", "dem-bar");
          var fill = make("span");
          fill.style.width = Math.round((100 * q.counts[k]) / most) + "%";
          bar.appendChild(fill);
          row.appendChild(bar);
          row.appendChild(make("span", "dem-count-n", q.counts[k] + " 人"));
          ul.appendChild(row);
        });
      }
      li.appendChild(ul);
      list.appendChild(li);
    });
  }

  function surveyRow(s) {
    var li = make("li", "wb-row sv-row");
    li.dataset.survey = s.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", s.title));
    main.appendChild(make("span", "wb-row-sub", (s.anonymous ? "匿名" : "实名") + " · " +
      s.questions.length + " 题 · " + (s.status === "open" ? "进行中" : "已结束")));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    var error = make("p", "form-error");
    error.hidden = true;
    var see = ui.button("查看结果", "small-button");
    see.addEventListener("click", function () {
      ui.busy(see, function () { return api.getJson("/api/v1/surveys/" + s.id + "/results"); }, error)
        .then(showResults, function () {});
    });
    actions.appendChild(see);
    var out = ui.button("导出", "small-button");
    out.addEventListener("click", function () {
      ui.busy(out, function () {
        return api.download("/api/v1/surveys/" + s.id + "/export?format=xlsx", "问卷结果.xlsx");
      }, error);
    });
    actions.appendChild(out);
    if (s.status === "open") {
      var close = ui.button("结束问卷", "primary-button");
      close.addEventListener("click", function () {
        ui.busy(close, function () { return api.sendJson("POST", "/api/v1/surveys/" + s.id + "/close", {}); }, error)
          .then(function () { ui.toast("问卷已结束", "ok"); loadSurveys(); }, function () {});
      });
      actions.appendChild(close);
    }
    li.appendChild(actions);
    li.appendChild(error);
    return li;
  }

  var surveyGen = 0;
  function loadSurveys() {
    var gen = (surveyGen += 1);
    stateLine($("sv-state"), "loading", "正在加载…");
    return api.getJson("/api/v1/surveys").then(function (rows) {
      if (gen !== surveyGen) { return; }
      var mine = rows.filter(function (s) { return shell.manages(s.org_id); });
      $("sv-rows").replaceChildren.apply($("sv-rows"), mine.map(surveyRow));
      stateLine($("sv-state"), "empty", mine.length ? "" : "还没有问卷。在下方发布第一份问卷。");
    }, function (error) { stateLine($("sv-state"), "error", ui.errorText(error)); });
  }

  $("sv-form").addEventListener("input", function () { $("sv-form-error").hidden = true; });
  $("sv-add").addEventListener("click", function () { $("sv-questions").appendChild(questionBlock()); });
  $("sv-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = surveyBody();
    var error = $("sv-form-error");
    if (!body.title || !body.questions.length || body.questions.some(function (q) { return !q.text; })) {
      error.textContent = !body.title ? "请填写问卷标题" : "请至少添加一道题，并填写每道题的题目";
      error.hidden = false;
      return;
    }
    ui.busy($("sv-create"), function () { return api.sendJson("POST", "/api/v1/surveys", body); }, error)
      .then(function () {
        $("sv-title").value = "";
        $("sv-questions").replaceChildren(questionBlock());
        ui.toast("问卷已发布，党员可在手机上填写", "ok");
        loadSurveys();
      }, function () {});
  });

  shell.page("surveys", {
    root: $("page-surveys"),
    enter: function (parts, query, first) {
      markVotesMenu();
      if (first) {
        branches($("sv-org"));
        if (!$("sv-questions").children.length) { $("sv-questions").appendChild(questionBlock()); }
        $("sv-results").hidden = true;
        loadSurveys();
      }
    },
    reset: function () { surveyGen += 1; $("sv-rows").replaceChildren(); },
  });

  // --- 民主评议 ----------------------------------------------------------------------------------

  var current = null; // the round on screen

  function summary(round, rows) {
    var counts = {};
    round.grades.forEach(function (g) { counts[g] = 0; });
    var open = 0;
    rows.forEach(function (r) { if (r.grade) { counts[r.grade] += 1; } else { open += 1; } });
    return round.grades.map(function (g) { return g + " " + counts[g] + " 人"; }).join("，") +
      "，未评定 " + open + " 人（共 " + rows.length + " 人）";
  }

  function memberRow(round, r) {
    var li = make("li", "wb-row rv-member");
    li.dataset.member = r.member_id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", r.name + (r.grade ? "：" + r.grade : "")));
    main.appendChild(make("span", "wb-row-sub", "互评：" + r.peer.map(function (p) {
      return p.grade + " " + p.count;
    }).join("，")));
    if (r.self_assessment) { main.appendChild(make("span", "wb-row-sub", "自评：" + r.self_assessment)); }
    if (r.correction_deadline) {
      main.appendChild(make("span", "wb-row-sub", "限期改正至 " + r.correction_deadline +
        (r.outcome ? "，结果：" + r.outcome : "")));
    }
    li.appendChild(main);
    var error = make("p", "form-error");
    error.hidden = true;
    if (round.status === "open") {
      var actions = make("div", "wb-row-actions");
      var grade = make("select", "rv-grade");
      grade.setAttribute("aria-label", r.name + "的评定等次");
      ui.fillSelect(grade, [["", "选择等次"]].concat(round.grades.map(function (g) { return [g, g]; })), r.grade || "");
      actions.appendChild(grade);
      var save = ui.button("评定", "small-button");
      save.addEventListener("click", function () {
        if (!grade.value) { error.textContent = "请选择等次"; error.hidden = false; return; }
        ui.busy(save, function () {
          return api.sendJson("PUT", "/api/v1/reviews/" + round.id + "/decisions/" + r.member_id, { grade: grade.value });
        }, error).then(function (rows) { ui.toast("已评定 " + r.name, "ok"); showRound(round, rows); }, function () {});
      });
      actions.appendChild(save);
      li.appendChild(actions);
    }
    if (r.grade && r.grade === round.grades[round.grades.length - 1]) {
      var form = make("div", "wb-row-actions rv-follow");
      var deadline = make("input", "rv-deadline");
      deadline.type = "date";
      deadline.value = r.correction_deadline || "";
      deadline.setAttribute("aria-label", r.name + "的限期改正期限");
      form.appendChild(ui.field("限期改正至（不超过一年）", deadline));
      var keep = ui.button("保存期限", "small-button");
      keep.addEventListener("click", function () {
        ui.busy(keep, function () {
          return api.sendJson("PUT", "/api/v1/reviews/" + round.id + "/decisions/" + r.member_id + "/follow-up",
            { correction_deadline: deadline.value || null });
        }, error).then(function (rows) { ui.toast("已记录限期改正", "ok"); showRound(round, rows); }, function () {});
      });
      form.appendChild(keep);
      li.appendChild(form);
    }
    li.appendChild(error);
    return li;
  }

  function showRound(round, rows) {
    current = round;
    $("rv-detail").hidden = false;
    $("rv-detail-title").textContent = round.year + " 年度民主评议" + (round.status === "open" ? "（进行中）" : "（已结束）");
    $("rv-summary").textContent = summary(round, rows);
    $("rv-members").replaceChildren.apply($("rv-members"), rows.map(function (r) { return memberRow(round, r); }));
    $("rv-close").hidden = round.status !== "open";
  }

  function openRound(round) {
    return api.getJson("/api/v1/reviews/" + round.id + "/results").then(function (rows) {
      showRound(round, rows);
    }, function (error) { stateLine($("rv-state"), "error", ui.errorText(error)); });
  }

  function roundRow(round) {
    var li = make("li", "wb-row rv-round");
    li.dataset.round = round.id;
    var org = shell.orgById(round.org_id);
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", round.year + " 年度 · " + (org ? org.name : "")));
    main.appendChild(make("span", "wb-row-sub", (round.status === "open" ? "进行中" : "已结束") +
      " · 等次：" + round.grades.join(" / ")));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    actions.appendChild(ui.button("评定与汇总", "small-button", function () { openRound(round); }));
    li.appendChild(actions);
    return li;
  }

  var reviewGen = 0;
  function loadRounds() {
    var gen = (reviewGen += 1);
    stateLine($("rv-state"), "loading", "正在加载…");
    return api.getJson("/api/v1/reviews").then(function (rows) {
      if (gen !== reviewGen) { return rows; }
      var mine = rows.filter(function (r) { return shell.manages(r.org_id); });
      $("rv-rounds").replaceChildren.apply($("rv-rounds"), mine.map(roundRow));
      stateLine($("rv-state"), "empty", mine.length ? "" : "还没有民主评议。每年至少开展一次（通常在第四季度）。");
      return mine;
    }, function (error) { stateLine($("rv-state"), "error", ui.errorText(error)); return []; });
  }

  $("rv-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { org_id: Number($("rv-org").value), year: Number($("rv-year").value) };
    ui.busy($("rv-create"), function () { return api.sendJson("POST", "/api/v1/reviews", body); }, $("rv-form-error"))
      .then(function (round) {
        ui.toast("已开始 " + round.year + " 年度民主评议", "ok");
        loadRounds();
        openRound(round);
      }, function () {});
  });

  $("rv-export").addEventListener("click", function () {
    if (!current) { return; }
    api.download("/api/v1/reviews/" + current.id + "/results?format=xlsx",
      current.year + "年民主评议党员结果.xlsx");
  });

  $("rv-close").addEventListener("click", function () {
    if (!current) { return; }
    var round = current;
    ui.busy($("rv-close"), function () {
      return api.sendJson("POST", "/api/v1/reviews/" + round.id + "/close", {});
    }, $("rv-detail-error")).then(function (closed) {
      ui.toast("民主评议已结束", "ok");
      loadRounds();
      openRound(closed);
    }, function () {});
  });

  shell.page("reviews", {
    root: $("page-reviews"),
    enter: function (parts, query, first) {
      markVotesMenu();
      if (first) {
        branches($("rv-org"));
        if (!$("rv-year").value) { $("rv-year").value = ui.todayIso().slice(0, 4); }
        $("rv-detail").hidden = true;
        loadRounds();
      }
    },
    reset: function () { reviewGen += 1; current = null; $("rv-rounds").replaceChildren(); },
  });
})();
