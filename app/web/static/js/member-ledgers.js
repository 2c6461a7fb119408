/* Helpers the member's ledger pages share (window.MemberLedgers): money in fen shown as 元,
 * months as "2026年3月", and the home screen's ledger card (notices to confirm, dues owed). */
(function () {
  "use strict";

  var api = window.MemberApi;

  /** 1234 fen → "12.34" (integers only: amounts are never floats). */
  function yuan(fen) {
    var n = Math.abs(fen || 0);
    var cents = n % 100;
    return (fen < 0 ? "-" : "") + Math.floor(n / 100) + "." + (cents < 10 ? "0" : "") + cents;
  }

  /** "2026-03" → "2026年3月". */
  function month(text) {
    var m = /^(\d{4})-(\d{2})/.exec(text || "");
    return m ? m[1] + "年" + (+m[2]) + "月" : "";
  }

  /** Fill the home screen's ledger card from /api/mp/v1/home's `ledgers`. */
  function home(ledgers) {
    var card = document.getElementById("ledger-card");
    if (!card || !ledgers) { return; }
    var todo = [];
    if (ledgers.notices_unconfirmed) {
      todo.push({ href: "/m/notices", text: ledgers.notices_unconfirmed + " 条通知待确认" });
    }
    if (ledgers.owed_fen) {
      todo.push({ href: "/m/dues", text: "党费待交 " + yuan(ledgers.owed_fen) + " 元（" + ledgers.owed_months + " 个月）" });
    }
    var list = document.getElementById("ledger-todo");
    list.textContent = "";
    todo.forEach(function (t) {
      var li = api.el("li");
      var a = api.el("a", "m-button", t.text);
      a.href = t.href;
      li.appendChild(a);
      list.appendChild(li);
    });
    card.hidden = todo.length === 0;
  }

  window.MemberLedgers = { yuan: yuan, month: month, home: home };
})();
