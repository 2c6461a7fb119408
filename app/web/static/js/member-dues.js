/* My dues (/m/dues): what I owe, the months, and my ledger (payments and corrections). */
(function () {
  "use strict";

  var api = window.MemberApi;
  var L = window.MemberLedgers;
  var el = api.el;
  if (!api.requireSession()) { return; }
  var STATUS = { paid: "已交", unpaid: "未交", waived: "免交", no_base: "未核定" };

  function months(rows) {
    var list = document.getElementById("months");
    list.textContent = "";
    rows.forEach(function (m) {
      var li = el("li", "m-row");
      var main = el("div", "m-row-main");
      main.appendChild(el("p", "m-row-title", L.month(m.month)));
      main.appendChild(el("p", "m-meta", m.status === "no_base" ? "支部尚未核定基数" : "应交 " + L.yuan(m.due_fen) + " 元"));
      li.appendChild(main);
      li.appendChild(el("span", "m-pill ledger-pill-" + m.status, STATUS[m.status] || m.status));
      list.appendChild(li);
    });
  }

  function ledger(rows) {
    var list = document.getElementById("ledger");
    list.textContent = "";
    document.getElementById("ledger-empty").hidden = rows.length > 0;
    rows.forEach(function (p) {
      var li = el("li", "m-row");
      var main = el("div", "m-row-main");
      var what = p.kind === "reversal" ? "冲正（" + (p.note || "更正") + "）" : p.method_label;
      main.appendChild(el("p", "m-row-title", L.month(p.month) + " · " + what));
      main.appendChild(el("p", "m-meta", api.when(p.recorded_at) + " · " + p.recorded_by + " 登记"));
      li.appendChild(main);
      li.appendChild(el("span", "ledger-money", L.yuan(p.amount_fen) + " 元"));
      list.appendChild(li);
    });
  }

  api.status("正在加载…");
  api.call("GET", "/api/v1/dues/me").then(function (r) {
    var d = r.body;
    api.status("");
    document.getElementById("owed").textContent = L.yuan(d.owed_fen);
    document.getElementById("owed-months").textContent = d.owed_months.length
      ? "未交月份：" + d.owed_months.map(L.month).join("、")
      : "没有欠交的月份，谢谢您按时交纳！";
    var base = d.this_month || {};
    document.getElementById("base-line").textContent = d.category
      ? d.category_label + " · 本月应交 " + L.yuan(base.due_fen) + " 元"
      : "支部尚未为您核定党费基数，请联系支部书记。";
    months(d.months || []);
    ledger(d.ledger || []);
  }).catch(api.fail);
})();
