/* 学习: post a morning brief (晨会5分钟), micro-lesson or article with a Markdown editor and a
 * live preview; `publish_at` defaults to tomorrow 07:00 for a morning brief. The list shows
 * what is scheduled and published, and who read each item. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  var md = window.ConsoleMarkdown;
  if (!api || !ui || !shell || !md || !document.getElementById("page-study")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var MINUTES = { morning_brief: 5, micro_lesson: 10, article: 3 };
  var BRIEF_HOUR = "07:00";
  var state = { gen: 0, previewTimer: null };

  function tomorrow() {
    var t = ui.todayIso();
    var d = new Date(Date.UTC(+t.slice(0, 4), +t.slice(5, 7) - 1, +t.slice(8, 10) + 1));
    return d.toISOString().slice(0, 10);
  }

  function postOrgs() {
    var me = shell.me();
    return shell.orgs().filter(function (o) {
      return me.is_admin || shell.manages(o.id) || (me.roles || []).some(function (g) {
        return g.role === "publicity" && g.org_id === o.id;
      });
    }).map(function (o) {
      return [o.id, o.type === "branch" || o.type === "group" ? o.name : o.name + "（全园区）"];
    });
  }

  /** Whether the caller holds a role on the org or above it (who may see readers, withdraw). */
  function ownsItem(orgId) {
    var me = shell.me();
    if (me.is_admin) {
      return true;
    }
    var held = (me.roles || []).map(function (g) { return g.org_id; });
    var org = shell.orgById(orgId);
    while (org) {
      if (held.indexOf(org.id) >= 0) {
        return true;
      }
      org = org.parent_id ? shell.orgById(org.parent_id) : null;
    }
    return false;
  }

  // --- the list ------------------------------------------------------------------------------

  function loadList() {
    var gen = (state.gen += 1);
    var status = $("study-list-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    $("study-readers-box").hidden = true;
    api.getJson("/api/v1/study-items?per_page=50").then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      var list = $("study-items");
      list.replaceChildren();
      status.hidden = page.items.length > 0;
      status.dataset.kind = "empty";
      status.textContent = "还没有学习内容。点“发布学习内容”开始。";
      page.items.forEach(function (item) { list.appendChild(card(item)); });
    }, function (error) {
      if (gen === state.gen) {
        status.dataset.kind = "error";
        status.textContent = ui.errorText(error);
      }
    });
  }

  function card(item) {
    var li = make("li", "act-card");
    li.dataset.item = item.id;
    var head = make("div", "act-card-head");
    head.appendChild(make("span", "type-chip", item.kind_label));
    head.appendChild(make("span", "phase-chip is-" + (item.status === "scheduled" ? "upcoming"
      : "ended"), item.status === "scheduled" ? "定时 " + ui.when(item.publish_at) : "已发布"));
    li.appendChild(head);
    li.appendChild(make("p", "act-card-title", item.title));
    li.appendChild(make("p", "act-card-meta", item.org_name + " · " + item.minutes + " 分钟" +
      (item.status === "scheduled" ? "" : " · " + ui.when(item.publish_at))));
    if (!ownsItem(item.org_id)) {
      li.appendChild(make("p", "muted", "上级组织发布"));
      return li;
    }
    var actions = make("div", "wb-row-actions");
    var readers = ui.button("阅读情况", "small-button");
    readers.addEventListener("click", function () {
      ui.busy(readers, function () {
        return api.getJson("/api/v1/study-items/" + item.id + "/readers");
      }).then(function (answer) { showReaders(item, answer); }, function () {});
    });
    actions.appendChild(readers);
    var withdraw = ui.button("撤回", "small-button danger");
    withdraw.addEventListener("click", function () {
      if (!window.confirm("撤回“" + item.title + "”？党员将看不到这条内容。")) {
        return;
      }
      ui.busy(withdraw, function () {
        return api.sendJson("DELETE", "/api/v1/study-items/" + item.id);
      }).then(function () {
        li.remove();
        ui.toast("已撤回 " + item.title, "ok");
      }, function () {});
    });
    actions.appendChild(withdraw);
    li.appendChild(actions);
    return li;
  }

  function showReaders(item, answer) {
    $("study-readers-title").textContent = "阅读情况：" + item.title;
    $("study-readers-count").textContent = "应读 " + answer.reached + " 人 · 已读 " + answer.read +
      " 人";
    var list = $("study-readers");
    list.replaceChildren();
    answer.items.forEach(function (r) {
      var li = make("li", "wb-row");
      var main = make("div", "wb-row-main");
      main.appendChild(make("b", "wb-row-name", r.name));
      main.appendChild(make("span", "wb-row-sub", r.org_name +
        (r.completed_at ? " · " + ui.when(r.completed_at) : "")));
      li.appendChild(main);
      li.appendChild(make("span", "att-chip is-" + (r.state === "done" ? "present"
        : r.state === "reading" ? "late" : "pending"), r.state_label));
      list.appendChild(li);
    });
    $("study-readers-box").hidden = false;
    $("study-readers-box").scrollIntoView({ block: "start" });
  }

  // --- the editor ----------------------------------------------------------------------------

  function preview() {
    var box = $("study-preview");
    var title = make("h1", "md-title", $("st-title").value || "（标题）");
    box.replaceChildren(title, md.render($("st-body").value));
  }

  function schedule() {
    var kind = $("study-kind").value;
    $("study-minutes").value = String(MINUTES[kind]);
    if (kind === "morning_brief") {
      $("study-publish").value = tomorrow() + "T" + BRIEF_HOUR;
      $("study-publish-hint").textContent = "晨会5分钟默认明早 7:00 发布，7:30 提醒党员阅读。";
    } else {
      $("study-publish").value = ui.localInput(new Date().toISOString());
      $("study-publish-hint").textContent = "默认立即发布，可改为以后的时间。";
    }
    $("study-save").textContent = kind === "morning_brief" ? "定时发布" : "发布";
  }

  function showForm() {
    ui.fillSelect($("study-org"), postOrgs());
    $("study-kind").value = "morning_brief";
    $("st-title").value = "";
    $("study-summary").value = "";
    $("st-body").value = "";
    ui.clearError($("study-form-error"));
    schedule();
    preview();
  }

  $("study-kind").addEventListener("change", schedule);
  ["st-title", "st-body"].forEach(function (id) {
    $(id).addEventListener("input", function () {
      clearTimeout(state.previewTimer);
      state.previewTimer = setTimeout(preview, 120);
    });
  });

  $("study-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var error = $("study-form-error");
    var body = {
      kind: $("study-kind").value,
      org_id: Number($("study-org").value),
      title: $("st-title").value.trim(),
      summary: $("study-summary").value.trim(),
      body: $("st-body").value,
      publish_at: ui.fromLocalInput($("study-publish").value),
      minutes: Number($("study-minutes").value) || null,
    };
    if (!body.title) {
      ui.showError(error, "请填写标题");
      $("st-title").focus();
      return;
    }
    if (!body.body.trim()) {
      ui.showError(error, "请填写正文");
      $("st-body").focus();
      return;
    }
    ui.busy($("study-save"), function () {
      return api.sendJson("POST", "/api/v1/study-items", body);
    }, error).then(function (item) {
      ui.toast(item.status === "scheduled" ? "已定时：" + ui.when(item.publish_at) + " 发布"
        : "已发布", "ok");
      shell.go("#/study");
    }, function () {});
  });

  shell.page("study", {
    root: $("page-study"),
    enter: function (parts) {
      var editing = parts[0] === "new";
      $("study-list-view").hidden = editing;
      $("study-form-view").hidden = !editing;
      if (editing) {
        showForm();
        $("st-title").focus();
      } else {
        loadList();
      }
    },
    reset: function () {
      state.gen += 1;
      $("study-items").replaceChildren();
      $("study-readers").replaceChildren();
    },
  });
})();
