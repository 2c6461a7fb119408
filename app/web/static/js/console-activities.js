/* 活动: the list per branch (in progress, upcoming, past; by type and month) and the form that
 * creates or edits one, with the defaults a secretary expects: the title “11月主题党日：…”,
 * the branch's fixed theme-day date (its `theme_day`, else a week from today), the duration by
 * type. One activity (#/activities/<id>) is drawn by console-activity.js. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var A = (window.ConsoleActivities = window.ConsoleActivities || {});
  // minutes a meeting of each type usually takes (the secretary may change it)
  var DURATIONS = {
    theme_day: 120, general_meeting: 90, committee_meeting: 60, group_meeting: 60,
    party_lecture: 90, life_meeting: 180, democratic_review: 120, heart_talk: 30,
    volunteer: 180, training: 120, other: 60,
  };
  var DURATION_CHOICES = [30, 45, 60, 90, 120, 150, 180, 240, 480];
  var DEFAULT_HOUR = "14:30";
  var state = { gen: 0, editing: null, titleTouched: false };

  function typeLabel(type) {
    var pair = ui.ACTIVITY_TYPES.filter(function (p) { return p[0] === type; })[0];
    return pair ? pair[1] : type;
  }
  A.typeLabel = typeLabel;

  function branchPairs(withAll) {
    var pairs = shell.managedBranches().map(function (o) { return [o.id, o.name]; });
    return withAll && pairs.length > 1 ? [["", "全部支部"]].concat(pairs) : pairs;
  }

  // --- the list ------------------------------------------------------------------------------

  function filtersQuery() {
    var q = ["per_page=100"];
    var org = $("act-filter-org").value;
    var type = $("act-filter-type").value;
    var month = $("act-filter-month").value;
    if (org) { q.push("org_id=" + encodeURIComponent(org)); }
    if (type) { q.push("type=" + encodeURIComponent(type)); }
    if (month) {
      var y = Number(month.slice(0, 4));
      var m = Number(month.slice(5, 7));
      var next = m === 12 ? (y + 1) + "-01" : y + "-" + (m < 9 ? "0" : "") + (m + 1);
      q.push("starts_from=" + encodeURIComponent(ui.fromLocalInput(month + "-01T00:00")));
      q.push("starts_before=" + encodeURIComponent(ui.fromLocalInput(next + "-01T00:00")));
    }
    return q.join("&");
  }

  var GROUPS = [
    { key: "now", title: "进行中", phases: { checkin_open: 1, in_progress: 1 } },
    { key: "upcoming", title: "即将开始", phases: { upcoming: 1 } },
    { key: "past", title: "已结束", phases: { ended: 1 } },
  ];

  function card(a) {
    var li = make("li", "act-card" + (a.status === "cancelled" ? " is-cancelled" : ""));
    li.dataset.activity = a.id;
    var head = make("div", "act-card-head");
    head.appendChild(make("span", "type-chip", a.type_label));
    var statusText = a.status === "published" ? a.phase_label : a.status_label;
    head.appendChild(make("span", "phase-chip is-" + (a.status === "published" ? a.phase : a.status),
      statusText));
    li.appendChild(head);
    var title = ui.link(a.title, "#/activities/" + a.id, "act-card-title");
    li.appendChild(title);
    li.appendChild(make("p", "act-card-meta", ui.when(a.starts_at) + " · " +
      (a.location || "地点未填") + " · " + a.org_name));
    return li;
  }

  function loadList() {
    var gen = (state.gen += 1);
    var box = $("act-groups");
    var status = $("act-list-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    api.getJson("/api/v1/activities?" + filtersQuery()).then(
      function (page) {
        if (gen !== state.gen) {
          return;
        }
        box.replaceChildren();
        var items = page.items || [];
        status.hidden = items.length > 0;
        status.dataset.kind = "empty";
        status.textContent = "没有符合条件的活动。点“新建活动”开始。";
        GROUPS.forEach(function (group) {
          var rows = items.filter(function (a) {
            return group.phases[a.phase] && (a.status !== "cancelled" || group.key === "past");
          });
          if (group.key === "upcoming") {
            rows.reverse(); // the nearest first
          }
          if (!rows.length) {
            return;
          }
          var section = make("section", "act-group");
          section.dataset.group = group.key;
          section.appendChild(make("h2", "act-group-title", group.title + "（" + rows.length + "）"));
          var list = make("ul", "act-cards");
          rows.forEach(function (a) { list.appendChild(card(a)); });
          section.appendChild(list);
          box.appendChild(section);
        });
      },
      function (error) {
        if (gen === state.gen) {
          status.hidden = false;
          status.dataset.kind = "error";
          status.textContent = ui.errorText(error);
        }
      }
    );
  }

  ["act-filter-org", "act-filter-type", "act-filter-month"].forEach(function (id) {
    $(id).addEventListener("change", loadList);
  });

  // --- the form ------------------------------------------------------------------------------

  function nextThemeDay(org) {
    var today = ui.todayIso();
    var y = Number(today.slice(0, 4));
    var m = Number(today.slice(5, 7));
    var d = Number(today.slice(8, 10));
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    if (org && org.theme_day) {
      if (d > org.theme_day) {
        m += 1;
        if (m > 12) { m = 1; y += 1; }
      }
      return { value: y + "-" + pad(m) + "-" + pad(org.theme_day) + "T" + DEFAULT_HOUR,
        hint: "本支部固定主题党日：每月 " + org.theme_day + " 日" };
    }
    var week = new Date(Date.UTC(y, m - 1, d + 7));
    return {
      value: week.getUTCFullYear() + "-" + pad(week.getUTCMonth() + 1) + "-" +
        pad(week.getUTCDate()) + "T" + DEFAULT_HOUR,
      hint: "本支部未设固定主题党日，默认一周后；园区党委可在“园区”页为支部设置。",
    };
  }

  function suggestTitle() {
    var start = $("act-start").value;
    var month = start ? Number(start.slice(5, 7)) : Number(ui.todayIso().slice(5, 7));
    return month + "月" + typeLabel($("act-type").value) + "：";
  }

  function applyDefaults(changed) {
    var type = $("act-type").value;
    var org = shell.orgById(Number($("act-org").value));
    if (changed !== "start" && !state.editing) {
      if (type === "theme_day") {
        var day = nextThemeDay(org);
        $("act-start").value = day.value;
        $("act-start-hint").textContent = day.hint;
      } else {
        $("act-start-hint").textContent = "";
      }
    }
    if (changed === "type" || changed === "init") {
      $("act-duration").value = String(DURATIONS[type] || 60);
    }
    if (!state.titleTouched) {
      $("act-title").value = suggestTitle();
    }
  }

  function drawInvites(hostId, chosen) {
    var box = $("act-invite-orgs");
    box.replaceChildren();
    var others = shell.orgs().filter(function (o) {
      return (o.type === "branch" || o.type === "group") && o.id !== hostId;
    });
    $("act-invite-orgs").hidden = !others.length;
    others.forEach(function (o) {
      var label = make("label", "check");
      var box2 = make("input");
      box2.type = "checkbox";
      box2.value = String(o.id);
      box2.checked = (chosen || []).indexOf(o.id) >= 0;
      label.appendChild(box2);
      label.appendChild(make("span", "", o.name));
      box.appendChild(label);
    });
  }

  // --- invited members: found by name in the caller's scope, shown as removable chips --------

  function searchRoot() {
    var me = shell.me();
    var ids = me.read_org_ids || [];
    if (ids.length) {
      return ids[0];
    }
    var top = shell.orgs()[0];
    return top ? top.id : null;
  }

  function addInvitee(id, name) {
    var list = $("act-invite-members");
    if (list.querySelector('[data-member="' + id + '"]')) {
      return;
    }
    var li = make("li", "chip");
    li.dataset.member = id;
    li.appendChild(make("span", "", name));
    li.appendChild(ui.button("移除", "chip-remove", function () { li.remove(); }));
    list.appendChild(li);
  }

  function searchMembers() {
    var q = $("act-invite-q").value.trim();
    var found = $("act-invite-found");
    var root = searchRoot();
    if (!q || !root) {
      found.replaceChildren();
      return;
    }
    api.getJson("/api/v1/orgs/" + root + "/members?per_page=10&q=" + encodeURIComponent(q)).then(
      function (page) {
        found.replaceChildren();
        page.items.forEach(function (m) {
          var li = make("li");
          li.appendChild(ui.button("＋ " + m.name + "（" + m.org_name + "）", "small-button",
            function () {
              addInvitee(m.id, m.name);
              found.replaceChildren();
              $("act-invite-q").value = "";
            }));
          found.appendChild(li);
        });
        if (!page.items.length) {
          found.appendChild(make("li", "muted", "没有找到“" + q + "”"));
        }
      },
      function (error) { ui.showError(ui.errorAfter(found), error); }
    );
  }

  $("act-invite-q").addEventListener("input", function () {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(searchMembers, 300);
  });

  function showForm(activity, query) {
    state.editing = activity || null;
    state.titleTouched = !!activity;
    clearInvitees();
    $("act-form-title").textContent = activity ? "编辑活动" : "新建活动";
    ui.clearError($("act-form-error"));
    ui.fillSelect($("act-org"), branchPairs(false), activity ? activity.org_id : undefined);
    $("act-org").disabled = !!activity;
    ui.fillSelect($("act-type"), ui.ACTIVITY_TYPES, activity ? activity.type : "theme_day");
    ui.fillSelect($("act-duration"), DURATION_CHOICES.map(function (m) {
      return [m, m < 60 ? m + " 分钟" : m % 60 ? Math.floor(m / 60) + " 小时 " + (m % 60) + " 分钟"
        : m / 60 + " 小时"];
    }));
    $("act-save-draft").hidden = !!(activity && activity.status !== "draft");
    $("act-save-publish").textContent = activity && activity.status !== "draft" ? "保存修改"
      : "保存并发布";
    if (activity) {
      $("act-title").value = activity.title;
      $("act-start").value = ui.localInput(activity.starts_at);
      var minutes = Math.round((new Date(activity.ends_at) - new Date(activity.starts_at)) / 60000);
      if (DURATION_CHOICES.indexOf(minutes) < 0) {
        var option = make("option", null, minutes + " 分钟");
        option.value = String(minutes);
        $("act-duration").appendChild(option);
      }
      $("act-duration").value = String(minutes);
      $("act-location").value = activity.location || "";
      $("act-agenda").value = activity.agenda || "";
      $("act-start-hint").textContent = "";
      drawInvites(activity.org_id, activity.invited_org_ids);
      (activity.invited_member_ids || []).forEach(function (id) {
        addInvitee(id, "党员 #" + id);
        api.getJson("/api/v1/members/" + id).then(function (m) {
          var chip = $("act-invite-members").querySelector('[data-member="' + id + '"] span');
          if (chip) {
            chip.textContent = m.name;
          }
        }, function () {});
      });
    } else {
      $("act-location").value = "";
      $("act-agenda").value = "";
      applyDefaults("init");
      drawInvites(Number($("act-org").value), []);
    }
    $("act-form-back").href = activity ? "#/activities/" + activity.id : "#/activities";
    if (window.ConsoleRoomPicker) { // console-rooms.js: the centre's rooms and own bookings
      window.ConsoleRoomPicker.reset(activity, query || {});
    }
  }

  function clearInvitees() {
    $("act-invite-members").replaceChildren();
    $("act-invite-found").replaceChildren();
    $("act-invite-q").value = "";
  }

  $("act-type").addEventListener("change", function () { applyDefaults("type"); });
  $("act-org").addEventListener("change", function () {
    applyDefaults("org");
    drawInvites(Number($("act-org").value), []);
  });
  $("act-start").addEventListener("change", function () { applyDefaults("start"); });
  $("act-title").addEventListener("input", function () { state.titleTouched = true; });

  function formBody() {
    var start = ui.fromLocalInput($("act-start").value);
    var minutes = Number($("act-duration").value);
    var invited = Array.prototype.map.call(
      $("act-invite-orgs").querySelectorAll("input:checked"), function (c) { return Number(c.value); }
    );
    var body = {
      type: $("act-type").value,
      title: $("act-title").value.trim(),
      starts_at: start,
      ends_at: start && new Date(new Date(start).getTime() + minutes * 60000).toISOString(),
      location: $("act-location").value.trim(),
      agenda: $("act-agenda").value,
      invited_org_ids: invited,
      invited_member_ids: Array.prototype.map.call(
        $("act-invite-members").querySelectorAll("li[data-member]"),
        function (li) { return Number(li.dataset.member); }
      ),
    };
    if (!state.editing) {
      body.org_id = Number($("act-org").value);
    }
    if (window.ConsoleRoomPicker) {
      window.ConsoleRoomPicker.addTo(body);
    }
    return body;
  }

  $("act-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var submitter = event.submitter || $("act-save-publish");
    var publish = submitter.dataset.publish === "1";
    var error = $("act-form-error");
    var body = formBody();
    if (!body.title || /[：:]$/.test(body.title)) {
      ui.showError(error, "请在标题的冒号后写上本次活动的主题");
      $("act-title").focus();
      return;
    }
    if (!body.starts_at) {
      ui.showError(error, "请选择开始时间");
      $("act-start").focus();
      return;
    }
    var editing = state.editing;
    ui.busy(submitter, function () {
      if (editing) {
        return api.sendJson("PATCH", "/api/v1/activities/" + editing.id, body);
      }
      body.publish = publish;
      return api.sendJson("POST", "/api/v1/activities", body);
    }, error).then(function (saved) {
      ui.toast(editing ? "已保存修改" : publish ? "活动已发布，参加人员会收到通知" : "已保存为草稿", "ok");
      shell.go("#/activities/" + saved.id);
    }, function () {});
  });

  // --- the page ------------------------------------------------------------------------------

  function show(view) {
    ["act-list-view", "act-form-view", "act-detail-view"].forEach(function (id) {
      $(id).hidden = id !== view;
    });
  }
  A.show = show;

  shell.page("activities", {
    root: $("page-activities"),
    enter: function (parts, query) {
      var first = parts[0];
      if (first === "new") {
        show("act-form-view");
        showForm(null, query);
        $("act-type").focus();
        return;
      }
      if (first && /^\d+$/.test(first)) {
        if (parts[1] === "edit") {
          show("act-form-view");
          api.getJson("/api/v1/activities/" + first).then(showForm, function (error) {
            ui.showError($("act-form-error"), error);
          });
          return;
        }
        show("act-detail-view");
        window.ConsoleActivity.open(Number(first));
        return;
      }
      show("act-list-view");
      if (!$("act-filter-type").options.length) {
        ui.fillSelect($("act-filter-type"), [["", "全部类型"]].concat(ui.ACTIVITY_TYPES));
        ui.fillSelect($("act-filter-org"), branchPairs(true));
        $("act-filter-org").closest(".field").hidden = $("act-filter-org").options.length < 2;
      }
      loadList();
    },
    leave: function () {
      if (window.ConsoleActivity) {
        window.ConsoleActivity.close();
      }
    },
    reset: function () {
      state.gen += 1;
      $("act-groups").replaceChildren();
      $("act-filter-type").replaceChildren();
      $("act-filter-org").replaceChildren();
      if (window.ConsoleActivity) {
        window.ConsoleActivity.close();
      }
    },
  });
})();
