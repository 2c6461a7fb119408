/* 批量导入党员: download the template, pick the branch and a CSV or Excel file, and import.
 * The server checks every row first and imports all or none; its per-row errors are shown
 * next to the rows (a CSV is read here too, so each failing row shows what it holds).
 * Then the imported members' invite cards are one click away. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("imp-form")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var FIELD_NAMES = {
    name: "姓名", phone: "手机号", status: "身份", org: "所属组织", org_id: "所属组织",
    joined_on: "入党日期", gender: "性别",
  };

  /** Rows of a CSV text (quotes, doubled quotes and newlines inside quotes). */
  function parseCsv(text) {
    var rows = [];
    var row = [];
    var cell = "";
    var quoted = false;
    for (var i = 0; i < text.length; i++) {
      var ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          cell += '"';
          i += 1;
        } else if (ch === '"') {
          quoted = false;
        } else {
          cell += ch;
        }
      } else if (ch === '"') {
        quoted = true;
      } else if (ch === ",") {
        row.push(cell);
        cell = "";
      } else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[i + 1] === "\n") {
          i += 1;
        }
        row.push(cell);
        rows.push(row);
        row = [];
        cell = "";
      } else {
        cell += ch;
      }
    }
    if (cell || row.length) {
      row.push(cell);
      rows.push(row);
    }
    return rows;
  }

  function readCsv(file) {
    if (!/\.csv$/i.test(file.name)) {
      return Promise.resolve(null);
    }
    return file.arrayBuffer().then(function (buffer) {
      var text;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(buffer);
      } catch (e) {
        try {
          text = new TextDecoder("gb18030").decode(buffer);
        } catch (e2) {
          return null;
        }
      }
      return parseCsv(text.replace(/^\ufeff/, ""));
    }, function () { return null; });
  }

  function showProblems(details, table) {
    var errors = (details && details.errors) || [];
    var head = $("imp-head");
    var body = $("imp-rows");
    head.replaceChildren();
    body.replaceChildren();
    var header = table ? table[0] : null;
    var tr = make("tr");
    tr.appendChild(make("th", "", "行号"));
    if (header) {
      header.forEach(function (h) { tr.appendChild(make("th", "", h)); });
    }
    tr.appendChild(make("th", "", "错误"));
    head.appendChild(tr);
    errors.forEach(function (e) {
      var row = make("tr", "imp-bad");
      row.dataset.row = e.row;
      row.appendChild(make("th", "num", "第 " + e.row + " 行")).scope = "row";
      if (header) {
        var cells = (table[e.row - 1] || []);
        header.forEach(function (h, i) { row.appendChild(make("td", "", cells[i] || "")); });
      }
      var text = Object.keys(e.errors || {}).map(function (key) {
        var messages = e.errors[key];
        return (FIELD_NAMES[key] || key) + "：" + (Array.isArray(messages) ? messages.join("；")
          : JSON.stringify(messages));
      }).join("；");
      row.appendChild(make("td", "imp-msg", text));
      body.appendChild(row);
    });
    $("imp-problems-title").textContent = "共有 " + errors.length + " 行有错误，未导入任何数据。" +
      "请在文件中改正这些行后重新选择文件导入。";
    $("imp-problems").hidden = !errors.length;
    if (errors.length) {
      $("imp-problems").scrollIntoView({ block: "start" });
    }
  }

  $("imp-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var file = $("imp-file").files && $("imp-file").files[0];
    var error = $("imp-error");
    $("imp-done").hidden = true;
    $("imp-problems").hidden = true;
    if (!file) {
      ui.showError(error, "请先选择 CSV 或 Excel 文件");
      $("imp-file").focus();
      return;
    }
    var form = new FormData();
    form.append("file", file, file.name);
    if ($("imp-org").value) {
      form.append("org_id", $("imp-org").value);
    }
    ui.busy($("imp-submit"), function () {
      return api.upload("/api/v1/members/import", form).catch(function (err) {
        if (err.code === "import.invalid_rows") {
          return readCsv(file).then(function (table) {
            showProblems(err.details, table);
            throw err;
          });
        }
        throw err;
      });
    }, error).then(function (result) {
      $("imp-done-title").textContent = "已导入 " + result.imported + " 名党员";
      $("imp-cards").href = "#/members/cards?ids=" + result.member_ids.join(",");
      $("imp-done").hidden = false;
      $("imp-file").value = "";
      ui.toast("已导入 " + result.imported + " 名党员", "ok");
    }, function () {});
  });

  function template(format, btn) {
    ui.busy(btn, function () {
      return api.download("/api/v1/members/import-template?format=" + format,
        "党员导入模板." + format);
    }).then(function (file) { ui.toast("已下载 " + file.name, "ok"); }, function () {});
  }
  $("imp-template-xlsx").addEventListener("click", function () {
    template("xlsx", $("imp-template-xlsx"));
  });
  $("imp-template-csv").addEventListener("click", function () {
    template("csv", $("imp-template-csv"));
  });

  window.ConsoleImport = {
    open: function (orgId) {
      ui.fillSelect($("imp-org"), shell.managedBranches().map(function (o) {
        return [o.id, o.name];
      }), orgId);
      ui.clearError($("imp-error"));
      $("imp-problems").hidden = true;
      $("imp-done").hidden = true;
    },
  };
})();
