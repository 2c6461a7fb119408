/* Notices: the list (/m/notices) and one notice (/m/notices/<id>) with the confirm button.
 * Opening a notice marks it read on the server; confirming is once (a repeat keeps the time). */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }
  var main = document.getElementById("main");
  var noticeId = main && main.getAttribute("data-notice-id");

  function listPage() {
    api.status("正在加载…");
    api.call("GET", "/api/v1/notices/mine?per_page=50").then(function (r) {
      api.status("");
      var list = document.getElementById("notices");
      list.textContent = "";
      var items = r.body.items || [];
      document.getElementById("notices-empty").hidden = items.length > 0;
      var badge = document.getElementById("unconfirmed");
      badge.hidden = !r.body.unconfirmed;
      badge.textContent = r.body.unconfirmed + " 条待确认";
      items.forEach(function (n) {
        var li = el("li", "m-row");
        var a = el("a", "m-row-main ledger-notice-link");
        a.href = "/m/notices/" + n.id;
        a.appendChild(el("p", "m-row-title", (n.pinned ? "【置顶】" : "") + n.title));
        a.appendChild(el("p", "m-meta", api.when(n.publish_at) + " · " + n.created_by));
        li.appendChild(a);
        var state = n.needs_confirmation
          ? (n.confirmed_at ? ["已确认", "paid"] : ["待确认", "unpaid"])
          : (n.read_at ? ["已读", "paid"] : ["未读", "unpaid"]);
        li.appendChild(el("span", "m-pill ledger-pill-" + state[1], state[0]));
        list.appendChild(li);
      });
    }).catch(api.fail);
  }

  function show(n) {
    document.title = n.title + " · 云上党支部";
    document.getElementById("notice-title").textContent = n.title;
    document.getElementById("notice-meta").textContent = api.when(n.publish_at) + " · " + n.created_by;
    // body_html is the server's rendering of Markdown with raw HTML switched off
    document.getElementById("notice-body").innerHTML = n.body_html || "";
    var files = document.getElementById("notice-files");
    files.textContent = "";
    (n.attachments || []).forEach(function (f) {
      var li = el("li");
      var a = el("a", "m-button", "附件：" + f.name);
      a.href = f.url;
      a.rel = "noopener";
      li.appendChild(a);
      files.appendChild(li);
    });
    var card = document.getElementById("confirm-card");
    card.hidden = !n.needs_confirmation;
    var button = document.getElementById("confirm");
    if (n.confirmed_at) {
      document.getElementById("confirm-text").textContent = "您已于 " + api.when(n.confirmed_at) + " 确认阅读。";
      button.hidden = true;
    }
  }

  function detailPage() {
    api.status("正在加载…");
    api.call("GET", "/api/v1/notices/" + noticeId).then(function (r) {
      api.status("");
      show(r.body);
    }).catch(api.fail);
    document.getElementById("confirm").addEventListener("click", function () {
      var button = this;
      button.disabled = true;
      api.call("POST", "/api/v1/notices/" + noticeId + "/confirm").then(function (r) {
        api.status("已确认，谢谢！", "ok");
        show(r.body);
      }).catch(function (e) {
        button.disabled = false;
        api.fail(e);
      });
    });
  }

  if (noticeId) { detailPage(); } else { listPage(); }
})();
