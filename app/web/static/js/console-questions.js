/* 题库: the questions the caller may manage (search, in use or retired), edit one in a dialog,
 * retire or restore it, and import an Excel file (a downloadable template; the server's
 * per-row errors are listed by row, nothing is imported until every row is right). */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-questions")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var KEYS = "ABCDEFGH";
  var COLUMNS = {
    kind: "题型", stem: "题目", options: "选项", answer: "答案", explanation: "解析", tags: "标签",
  };
  var state = { gen: 0, editing: null, timer: null };

  function load() {
    var gen = (state.gen += 1);
    var q = $("q-q").value.trim();
    var active = $("q-active").value;
    var url = "/api/v1/quiz/questions?per_page=100" + (q ? "&q=" + encodeURIComponent(q) : "") +
      (active ? "&active=" + active : "");
    var status = $("q-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    api.getJson(url).then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      var list = $("q-rows");
      list.replaceChildren();
      status.hidden = page.items.length > 0;
      status.dataset.kind = "empty";
      status.textContent = "没有符合条件的题目。";
      page.items.forEach(function (question) { list.appendChild(row(question)); });
      if (page.total > page.items.length) {
        status.hidden = false;
        status.textContent = "共 " + page.total + " 题，显示前 " + page.items.length + " 题，请用搜索缩小范围。";
      }
    }, function (error) {
      if (gen === state.gen) {
        status.dataset.kind = "error";
        status.textContent = ui.errorText(error);
      }
    });
  }

  function row(question) {
    var li = make("li", "wb-row q-row" + (question.active ? "" : " is-retired"));
    li.dataset.question = question.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", question.stem));
    var options = (question.choices || []).map(function (c) { return c.key + ". " + c.text; });
    main.appendChild(make("span", "wb-row-sub", question.kind_label + " · " + options.join("  ") +
      " · 答案 " + (question.answer || []).join("")));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    actions.appendChild(ui.button("编辑", "small-button", function () { edit(question); }));
    var toggle = ui.button(question.active ? "停用" : "恢复使用", "small-button" +
      (question.active ? " danger" : ""));
    toggle.addEventListener("click", function () {
      ui.busy(toggle, function () {
        return api.sendJson("PATCH", "/api/v1/quiz/questions/" + question.id,
          { active: !question.active });
      }).then(function (saved) {
        ui.toast(saved.active ? "已恢复使用" : "已停用，该题不再出现在每日答题中", "ok");
        load();
      }, function () {});
    });
    actions.appendChild(toggle);
    li.appendChild(actions);
    return li;
  }

  function edit(question) {
    state.editing = question;
    $("q-stem").value = question.stem;
    $("q-options").value = question.kind === "true_false" ? "" : (question.options || []).join("\n");
    $("q-options").disabled = question.kind === "true_false";
    $("q-answer").value = (question.answer || []).join("");
    $("q-explanation").value = question.explanation || "";
    ui.clearError($("q-form-error"));
    $("q-dialog").showModal();
    $("q-stem").focus();
  }

  $("q-cancel").addEventListener("click", function () { $("q-dialog").close(); });
  $("q-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var question = state.editing;
    var body = {
      stem: $("q-stem").value.trim(),
      explanation: $("q-explanation").value.trim(),
      answer: $("q-answer").value.toUpperCase().replace(/[^A-H]/g, "").split(""),
    };
    if (question.kind !== "true_false") {
      body.options = $("q-options").value.split("\n").map(function (s) { return s.trim(); })
        .filter(Boolean);
      var bad = body.answer.filter(function (k) { return KEYS.indexOf(k) >= body.options.length; });
      if (bad.length) {
        ui.showError($("q-form-error"), "答案 " + bad.join("") + " 没有对应的选项");
        return;
      }
    }
    ui.busy($("q-save"), function () {
      return api.sendJson("PATCH", "/api/v1/quiz/questions/" + question.id, body);
    }, $("q-form-error")).then(function () {
      $("q-dialog").close();
      ui.toast("题目已保存", "ok");
      load();
    }, function () {});
  });

  $("q-import-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var file = $("q-file").files && $("q-file").files[0];
    var list = $("q-import-rows");
    list.replaceChildren();
    if (!file) {
      ui.showError($("q-import-error"), "请先选择 Excel 文件");
      return;
    }
    var form = new FormData();
    form.append("file", file, file.name);
    form.append("org_id", $("q-org").value);
    ui.busy($("q-import"), function () {
      return api.upload("/api/v1/quiz/questions/import", form);
    }, $("q-import-error")).then(function (result) {
      ui.toast("已导入 " + result.imported + " 道题", "ok");
      $("q-file").value = "";
      load();
    }, function (error) {
      ((error.details && error.details.errors) || []).forEach(function (e) {
        var li = make("li", "wb-row imp-bad");
        li.dataset.row = e.row;
        li.appendChild(make("b", "wb-row-name", "第 " + e.row + " 行"));
        li.appendChild(make("span", "imp-msg", Object.keys(e.errors || {}).map(function (k) {
          return (COLUMNS[k] || k) + "：" + [].concat(e.errors[k]).join("；");
        }).join("；")));
        list.appendChild(li);
      });
    });
  });

  $("q-template").addEventListener("click", function () {
    ui.busy($("q-template"), function () {
      return api.download("/api/v1/quiz/questions/import-template?format=xlsx", "题库导入模板.xlsx");
    }).then(function (file) { ui.toast("已下载 " + file.name, "ok"); }, function () {});
  });

  $("q-active").addEventListener("change", load);
  $("q-q").addEventListener("input", function () {
    clearTimeout(state.timer);
    state.timer = setTimeout(load, 300);
  });
  $("q-filters").addEventListener("submit", function (event) {
    event.preventDefault();
    load();
  });

  shell.page("questions", {
    root: $("page-questions"),
    enter: function (parts, query, first) {
      if (first) {
        var me = shell.me();
        ui.fillSelect($("q-org"), shell.orgs().filter(function (o) {
          return me.is_admin || shell.manages(o.id);
        }).map(function (o) { return [o.id, o.name]; }));
        load();
      }
    },
    reset: function () {
      state.gen += 1;
      $("q-rows").replaceChildren();
      if ($("q-dialog").open) {
        $("q-dialog").close();
      }
    },
  });
})();
