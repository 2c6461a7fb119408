/* 通知公告 (secretaries, committee): post a notice to an org's members, see who read and who
 * confirmed it, and remind those missing — once. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-notices")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var state = { gen: 0 };

  function receipts(n, box) {
    return api.getJson("/api/v1/notices/" + n.id + "/receipts").then(function (r) {
      box.replaceChildren();
      var missing = r.needs_confirmation ? r.not_confirmed : r.not_read;
      box.appendChild(make("p", "wb-row-sub", (r.needs_confirmation ? "未确认：" : "未读：") +
        (missing.length ? missing.map(function (p) { return p.name; }).join("、") : "无")));
      if (missing.length && shell.manages(n.org_id)) {
        var remind = ui.button(r.reminded_at ? "已提醒过" : "提醒他们（只能一次）", "small-button");
        remind.disabled = !!r.reminded_at;
        remind.addEventListener("click", function () {
          ui.busy(remind, function () {
            return api.sendJson("POST", "/api/v1/notices/" + n.id + "/remind");
          }).then(function (res) {
            ui.toast("已提醒 " + res.reminded + " 人", "ok");
            remind.textContent = "已提醒过";
            remind.disabled = true;
          }, function () {});
        });
        box.appendChild(remind);
      }
    });
  }

  function row(n) {
    var li = make("li", "wb-row");
    li.dataset.notice = n.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", (n.pinned ? "【置顶】" : "") + n.title));
    var counts = "已读 " + n.read_count + " / " + n.audience_count;
    if (n.needs_confirmation) {
      counts += " · 已确认 " + n.confirmed_count + " / " + n.audience_count;
    }
    main.appendChild(make("span", "wb-row-sub notice-counts", ui.when(n.publish_at) + " · " + counts));
    var detail = make("div", "notice-receipts");
    detail.hidden = true;
    main.appendChild(detail);
    li.appendChild(main);
    var who = ui.button("查看谁未读", "small-button");
    who.setAttribute("aria-expanded", "false");
    who.addEventListener("click", function () {
      if (!detail.hidden) {
        detail.hidden = true;
        who.setAttribute("aria-expanded", "false");
        return;
      }
      ui.busy(who, function () { return receipts(n, detail); }).then(function () {
        detail.hidden = false;
        who.setAttribute("aria-expanded", "true");
      }, function () {});
    });
    var actions = make("div", "wb-row-actions");
    actions.appendChild(who);
    li.appendChild(actions);
    return li;
  }

  function load() {
    var gen = (state.gen += 1);
    var status = $("notices-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    api.getJson("/api/v1/notices?per_page=50").then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      status.hidden = !!page.items.length;
      status.dataset.kind = "empty";
      status.textContent = "还没有发布通知。";
      var list = $("notices");
      list.replaceChildren();
      page.items.forEach(function (n) { list.appendChild(row(n)); });
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  $("notice-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var title = $("notice-title").value.trim();
    if (!title) {
      ui.showError($("notice-error"), "请填写通知标题");
      $("notice-title").focus();
      return;
    }
    ui.busy($("notice-send"), function () {
      return api.sendJson("POST", "/api/v1/notices", {
        org_id: Number($("notice-org").value),
        title: title,
        body: $("notice-body").value,
        needs_confirmation: $("notice-confirm").checked,
        pinned: $("notice-pin").checked,
      });
    }, $("notice-error")).then(function (n) {
      ui.toast("已发布，" + n.audience_count + " 名党员将收到通知", "ok");
      $("notice-title").value = "";
      $("notice-body").value = "";
      load();
    }, function () {});
  });

  shell.page("notices", {
    root: $("page-notices"),
    enter: function (parts, q, first) {
      if (first) {
        var orgs = shell.orgs().filter(function (o) { return shell.manages(o.id); });
        ui.fillSelect($("notice-org"), orgs.map(function (o) { return [o.id, o.name]; }));
        load();
      }
    },
    reset: function () {
      state.gen += 1;
      $("notices").replaceChildren();
    },
  });
})();
