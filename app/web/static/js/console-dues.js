/* 党费 (secretaries, committee): a branch's month sheet — who owes what, who has paid — with
 * the 未交名单 beside it. Tick the members who handed in their dues and record them in one go;
 * the list shrinks. Exports go through the same API (CSV / Excel). */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-dues")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var state = { gen: 0, sheet: null };
  var STATUS = { paid: "已交", unpaid: "未交", waived: "免交", no_base: "未核定基数" };

  /** 1234 fen → "12.34" (integers only). */
  function yuan(fen) {
    if (fen === null || fen === undefined) {
      return "—";
    }
    var n = Math.abs(fen);
    return (fen < 0 ? "-" : "") + Math.floor(n / 100) + "." + String(n % 100 + 100).slice(1);
  }

  function query(format) {
    var q = "?org_id=" + encodeURIComponent($("dues-org").value) +
      "&month=" + encodeURIComponent($("dues-month").value);
    return format ? q + "&format=" + format : q;
  }

  function facts(sheet) {
    var box = $("dues-facts");
    box.replaceChildren();
    [
      ["交费党员", sheet.members + " 人"],
      ["已交", sheet.paid + " 人 · " + yuan(sheet.paid_fen) + " 元"],
      ["未交", sheet.unpaid + " 人 · " + yuan(sheet.unpaid_fen) + " 元"],
    ].forEach(function (pair) {
      var div = make("div");
      div.appendChild(make("dt", "", pair[0]));
      div.appendChild(make("dd", "", pair[1]));
      box.appendChild(div);
    });
  }

  function cell(tr, label, text, className) {
    var td = make("td", className || "", text);
    td.dataset.label = label; // a phone shows each row as a card with these labels
    tr.appendChild(td);
    return td;
  }

  function rows(sheet) {
    var body = $("dues-rows");
    body.replaceChildren();
    sheet.rows.forEach(function (r) {
      var tr = make("tr");
      tr.dataset.member = r.member_id;
      var pick = cell(tr, "选择", "");
      if (r.status === "unpaid") {
        var box = make("input");
        box.type = "checkbox";
        box.value = String(r.member_id);
        box.setAttribute("aria-label", "登记 " + r.name + " 已交");
        box.addEventListener("change", updatePay);
        pick.appendChild(box);
      }
      var name = make("th", "org-name", r.name);
      name.scope = "row";
      tr.appendChild(name);
      cell(tr, "类别", r.category_label || "—");
      cell(tr, "应交（元）", yuan(r.due_fen), "num");
      cell(tr, "状态", STATUS[r.status] || r.status, "dues-status dues-" + r.status);
      cell(tr, "连续未交", r.unpaid_streak ? r.unpaid_streak + " 个月" : "—", "num");
      body.appendChild(tr);
    });
    var list = $("dues-unpaid");
    list.replaceChildren();
    var unpaid = sheet.rows.filter(function (r) { return r.status === "unpaid"; });
    $("dues-unpaid-count").textContent = unpaid.length + " 人";
    unpaid.forEach(function (r) {
      var li = make("li", "wb-row");
      li.dataset.member = r.member_id;
      li.appendChild(make("b", "wb-row-name", r.name));
      li.appendChild(make("span", "wb-row-sub", r.org_name + " · 应交 " + yuan(r.due_fen) + " 元" +
        (r.unpaid_streak >= 3 ? " · 已连续 " + r.unpaid_streak + " 个月未交" : "")));
      list.appendChild(li);
    });
    if (!unpaid.length) {
      list.appendChild(make("li", "muted", "本月全部交齐。"));
    }
    updatePay();
  }

  function picked() {
    return Array.prototype.map.call(
      document.querySelectorAll("#dues-rows input[type=checkbox]:checked"),
      function (box) { return Number(box.value); }
    );
  }

  function updatePay() {
    var n = picked().length;
    $("dues-pay").disabled = n === 0;
    $("dues-pay").textContent = n ? "登记所选 " + n + " 名党员已交" : "登记所选党员已交";
  }

  function load() {
    if (!$("dues-org").value || !$("dues-month").value) {
      return;
    }
    var gen = (state.gen += 1);
    var status = $("dues-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    api.getJson("/api/v1/dues/sheet" + query()).then(function (sheet) {
      if (gen !== state.gen) {
        return;
      }
      status.hidden = true;
      state.sheet = sheet;
      facts(sheet);
      rows(sheet);
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  function year() {
    api.getJson("/api/v1/dues/report").then(function (report) {
      var body = $("dues-year");
      body.replaceChildren();
      report.rows.concat([Object.assign({ org_name: "合计" }, report.totals)]).forEach(function (r) {
        var tr = make("tr");
        var th = make("th", "org-name", r.org_name);
        th.scope = "row";
        tr.appendChild(th);
        cell(tr, "交费党员", String(r.members), "num");
        cell(tr, "应交（元）", yuan(r.due_fen), "num");
        cell(tr, "实交（元）", yuan(r.paid_fen), "num");
        cell(tr, "欠交（元）", yuan(r.arrears_fen), "num" + (r.arrears_fen ? " dues-unpaid" : ""));
        cell(tr, "上缴（元）", yuan(r.handed_over_fen), "num");
        body.appendChild(tr);
      });
    }, function (error) { ui.showError(ui.errorAfter($("dues-year").closest("table")), error); });
  }

  function pay() {
    var ids = picked();
    var key = "sheet-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
    ui.busy($("dues-pay"), function () {
      return api.sendJson("POST", "/api/v1/dues/payments/bulk", {
        org_id: Number($("dues-org").value),
        month: $("dues-month").value,
        member_ids: ids,
        method: $("dues-method").value,
        idempotency_key: key,
      });
    }, $("dues-error")).then(function (result) {
      ui.toast("已登记 " + result.payments.length + " 名党员的党费", "ok");
      load();
      year();
    }, function () {});
  }

  $("dues-org").addEventListener("change", load);
  $("dues-month").addEventListener("change", load);
  $("dues-pay").addEventListener("click", pay);
  $("dues-unpaid-csv").addEventListener("click", function () {
    api.download("/api/v1/dues/unpaid" + query("csv"), "未交名单.csv");
  });
  $("dues-year-xlsx").addEventListener("click", function () {
    api.download("/api/v1/dues/report?format=xlsx", "党费收缴情况.xlsx");
  });
  $("dues-sheet-xlsx").addEventListener("click", function () {
    api.download("/api/v1/dues/sheet" + query("xlsx"), "党费收缴表.xlsx");
  });

  shell.page("dues", {
    root: $("page-dues"),
    enter: function (parts, q, first) {
      if (first) {
        var branches = shell.managedBranches().filter(function (o) { return o.type === "branch"; });
        ui.fillSelect($("dues-org"), branches.map(function (o) { return [o.id, o.name]; }));
        if (!$("dues-month").value) {
          $("dues-month").value = ui.todayIso().slice(0, 7);
        }
        load();
        year();
      }
    },
    reset: function () {
      state.gen += 1;
      ["dues-rows", "dues-unpaid", "dues-facts", "dues-year"].forEach(function (id) { $(id).replaceChildren(); });
    },
  });
})();
