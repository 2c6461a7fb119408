/* 活动室 (党群服务中心, 一室多用): a week per room — a day list on a phone, seven columns on a
 * desk — booking a slot, the committee's approvals and room set-up, the usage export; and the
 * room picker of the activity form (window.ConsoleRoomPicker), which books the room for the
 * activity or holds it in a slot booked beforehand, and fills the location. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-rooms")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var DAY_NAMES = ["一", "二", "三", "四", "五", "六", "日"];
  var state = { gen: 0, rooms: [], roomId: null, week: null };

  // --- days in the park's zone ---------------------------------------------------------------

  function addDays(day, n) {
    var d = new Date(day + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function isoWeekday(day) {
    return ((new Date(day + "T12:00:00Z").getUTCDay() + 6) % 7) + 1;
  }

  function mondayOf(day) {
    return addDays(day, 1 - isoWeekday(day));
  }

  function localDay(iso) {
    var p = ui.parts(iso);
    return p.year + "-" + p.month + "-" + p.day;
  }

  function dayLabel(day) {
    return "周" + DAY_NAMES[isoWeekday(day) - 1] + " " + Number(day.slice(5, 7)) + "月" +
      Number(day.slice(8, 10)) + "日";
  }

  function room() {
    return state.rooms.filter(function (r) { return r.id === state.roomId; })[0] || null;
  }

  /** Whether org `orgId` lies under `rootId` (the caller's org list may stop below the park). */
  function under(orgId, rootId) {
    var id = orgId;
    while (id) {
      if (id === rootId) {
        return true;
      }
      var org = shell.orgById(id);
      id = org ? org.parent_id : null;
    }
    return false;
  }

  function loadRooms() {
    return api.getJson("/api/v1/rooms?per_page=100").then(function (page) {
      state.rooms = page.items;
      return page.items;
    });
  }

  // --- the week ------------------------------------------------------------------------------

  function slot(b) {
    var li = make("li", "rooms-slot is-" + b.status);
    li.dataset.booking = b.id;
    li.appendChild(make("b", "rooms-slot-time", ui.clock(b.starts_at) + "–" + ui.clock(b.ends_at)));
    li.appendChild(make("span", "rooms-slot-title", b.title));
    li.appendChild(make("span", "rooms-slot-org", b.org_name + " · " + b.attendance + "人"));
    if (b.status === "pending") {
      li.appendChild(make("span", "rooms-slot-status", b.status_label));
    }
    var actions = make("span", "rooms-slot-actions");
    if (b.activity_id) {
      actions.appendChild(ui.link("查看活动", "#/activities/" + b.activity_id, "small-button"));
    } else if (shell.manages(b.org_id)) {
      actions.appendChild(ui.link("创建活动", "#/activities/new?booking=" + b.id, "small-button"));
    }
    if (b.can_cancel) {
      actions.appendChild(ui.button("取消预约", "small-button", function (event) {
        var btn = event.currentTarget;
        if (!window.confirm("确定取消这个预约吗？")) {
          return;
        }
        ui.busy(btn, function () {
          return api.sendJson("POST", "/api/v1/bookings/" + b.id + "/cancel", { reason: "书记取消" });
        }).then(function () {
          ui.toast("已取消预约", "ok");
          loadWeek();
        }, function () {});
      }));
    }
    li.appendChild(actions);
    return li;
  }

  function drawWeek(items) {
    var r = room();
    var list = $("rooms-week");
    list.replaceChildren();
    var today = ui.todayIso();
    for (var i = 0; i < 7; i += 1) {
      var day = addDays(state.week, i);
      var li = make("li", "rooms-day" + (day === today ? " is-today" : ""));
      li.dataset.day = day;
      li.appendChild(make("h3", "rooms-day-name", dayLabel(day)));
      var open = r.open_weekdays.indexOf(isoWeekday(day)) >= 0;
      var slots = items.filter(function (b) { return localDay(b.starts_at) === day; });
      var ul = make("ul", "rooms-slots");
      slots.forEach(function (b) { ul.appendChild(slot(b)); });
      li.appendChild(ul);
      if (!slots.length) {
        li.appendChild(make("p", "rooms-day-free", open ? "空闲" : "不开放"));
      }
      list.appendChild(li);
    }
  }

  function loadWeek() {
    var r = room();
    var gen = (state.gen += 1);
    var status = $("rooms-state");
    $("rooms-week-label").textContent = dayLabel(state.week) + " – " + dayLabel(addDays(state.week, 6));
    if (!r) {
      status.hidden = false;
      status.dataset.kind = "empty";
      status.textContent = "园区还没有设置活动室。";
      $("rooms-week").replaceChildren();
      $("rooms-facts").textContent = "";
      return Promise.resolve();
    }
    $("rooms-facts").textContent = (r.location_label || r.name) + " · 容纳 " + r.capacity + " 人 · " +
      r.hours_label + (r.equipment.length ? " · 设备：" + r.equipment.join("、") : "") +
      (r.needs_approval ? " · 预约需审批" : "");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    var q = new URLSearchParams({
      room_id: r.id,
      starts_from: ui.fromLocalInput(state.week + "T00:00"),
      starts_before: ui.fromLocalInput(addDays(state.week, 7) + "T00:00"),
      per_page: 100,
    });
    return api.getJson("/api/v1/bookings?" + q).then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      status.hidden = true;
      drawWeek(page.items);
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  /** Show the week of `monday`; the booking form's day moves into it unless `keepDay`. */
  function setWeek(monday, keepDay) {
    state.week = monday;
    if (!keepDay) {
      var first = monday < ui.todayIso() ? ui.todayIso() : monday;
      $("rooms-date").value = first <= addDays(monday, 6) ? first : monday;
    }
    loadWeek();
  }

  $("rooms-prev").addEventListener("click", function () { setWeek(addDays(state.week, -7)); });
  $("rooms-next").addEventListener("click", function () { setWeek(addDays(state.week, 7)); });
  $("rooms-this").addEventListener("click", function () { setWeek(mondayOf(ui.todayIso())); });
  $("rooms-room").addEventListener("change", function () {
    state.roomId = Number($("rooms-room").value);
    fillOrgs();
    loadWeek();
  });

  // --- booking a slot ------------------------------------------------------------------------

  function fillOrgs() {
    var r = room();
    var orgs = shell.orgs().filter(function (o) {
      return r && shell.manages(o.id) && under(o.id, r.org_id);
    });
    ui.fillSelect($("rooms-org"), orgs.map(function (o) { return [o.id, o.name]; }));
    $("rooms-book-form").hidden = !orgs.length;
  }

  $("rooms-book-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var error = $("rooms-book-error");
    var title = $("rooms-title").value.trim();
    var day = $("rooms-date").value;
    if (!title) {
      ui.showError(error, "请填写用途，如：主题党日");
      $("rooms-title").focus();
      return;
    }
    if (!day || !$("rooms-start").value || !$("rooms-end").value) {
      ui.showError(error, "请选择日期和起止时间");
      return;
    }
    ui.busy($("rooms-book"), function () {
      return api.sendJson("POST", "/api/v1/bookings", {
        room_id: state.roomId,
        org_id: Number($("rooms-org").value),
        title: title,
        attendance: Number($("rooms-attendance").value) || 1,
        starts_at: ui.fromLocalInput(day + "T" + $("rooms-start").value),
        ends_at: ui.fromLocalInput(day + "T" + $("rooms-end").value),
      });
    }, error).then(function (b) {
      ui.toast(b.status === "pending" ? "已提交，等待园区党委审批" : "预约成功", "ok");
      var done = $("rooms-booked");
      done.replaceChildren(
        make("span", null, "已预约 " + b.room_name + " " + ui.when(b.starts_at) + "–" +
          ui.clock(b.ends_at) + "（" + b.status_label + "）。"),
        ui.link("在这个时段创建活动", "#/activities/new?booking=" + b.id, "primary-button")
      );
      done.hidden = false;
      $("rooms-title").value = "";
      setWeek(mondayOf(day), true);
      loadPending();
    }, function () {});
  });

  // --- the committee: approvals, set-up, usage -----------------------------------------------

  function loadPending() {
    var mine = state.rooms.some(function (r) { return shell.manages(r.org_id); });
    $("rooms-pending-card").hidden = !mine;
    if (!mine) {
      return;
    }
    api.getJson("/api/v1/bookings?status=pending&per_page=100").then(function (page) {
      var list = $("rooms-pending");
      list.replaceChildren();
      $("rooms-pending-count").textContent = page.total ? page.total + " 条" : "无";
      page.items.forEach(function (b) {
        var li = make("li", "wb-row");
        li.dataset.booking = b.id;
        var main = make("div", "wb-row-main");
        main.appendChild(make("b", "wb-row-name", b.room_name + " · " + b.title));
        main.appendChild(make("span", "wb-row-sub", ui.when(b.starts_at) + "–" + ui.clock(b.ends_at) +
          " · " + b.org_name + " · " + b.attendance + "人"));
        li.appendChild(main);
        var actions = make("div", "wb-row-actions");
        [["approve", "通过", "primary-button"], ["reject", "驳回", "ghost-button"]].forEach(function (d) {
          if (!b.can_decide) {
            return;
          }
          actions.appendChild(ui.button(d[1], d[2], function (event) {
            ui.busy(event.currentTarget, function () {
              return api.sendJson("POST", "/api/v1/bookings/" + b.id + "/decision", { decision: d[0] });
            }).then(function () {
              ui.toast(d[0] === "approve" ? "已通过" : "已驳回", "ok");
              loadPending();
              loadWeek();
            }, function () {});
          }));
        });
        li.appendChild(actions);
        list.appendChild(li);
      });
    }, function (error) {
      $("rooms-pending-count").textContent = ui.errorText(error);
    });
  }

  function monthRange() {
    var today = ui.todayIso();
    var first = today.slice(0, 8) + "01";
    var next = addDays(first, 32).slice(0, 8) + "01";
    return { from: first, to: addDays(next, -1) };
  }

  ["xlsx", "csv"].forEach(function (fmt) {
    $("rooms-usage-" + fmt).addEventListener("click", function (event) {
      var range = monthRange();
      var q = new URLSearchParams({ from: range.from, to: range.to, format: fmt });
      ui.busy(event.currentTarget, function () {
        return api.download("/api/v1/rooms/usage?" + q, "rooms-usage." + fmt);
      }).then(function () {}, function () {});
    });
  });

  function setupAdmin() {
    var parks = shell.orgs().filter(function (o) {
      return (o.type === "general_committee" || o.type === "work_committee") && shell.manages(o.id);
    });
    $("rooms-admin-card").hidden = !parks.length && !state.rooms.some(function (r) {
      return shell.manages(r.org_id);
    });
    $("rooms-new-form").hidden = !parks.length;
    ui.fillSelect($("rooms-new-org"), parks.map(function (o) { return [o.id, o.name]; }));
    var days = $("rooms-new-days");
    days.replaceChildren();
    DAY_NAMES.forEach(function (name, i) {
      var label = make("label", "check");
      var box = make("input");
      box.type = "checkbox";
      box.value = String(i + 1);
      box.checked = i < 5;
      label.appendChild(box);
      label.appendChild(make("span", null, "周" + name));
      days.appendChild(label);
    });
  }

  $("rooms-new-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var error = $("rooms-new-error");
    var weekdays = Array.prototype.map.call(
      $("rooms-new-days").querySelectorAll("input:checked"), function (c) { return Number(c.value); }
    );
    if (!$("rooms-new-name").value.trim()) {
      ui.showError(error, "请填写活动室名称");
      return;
    }
    if (!weekdays.length) {
      ui.showError(error, "请至少选择一个开放日");
      return;
    }
    ui.busy($("rooms-new-save"), function () {
      return api.sendJson("POST", "/api/v1/rooms", {
        org_id: Number($("rooms-new-org").value),
        name: $("rooms-new-name").value.trim(),
        place: $("rooms-new-place").value.trim(),
        capacity: Number($("rooms-new-capacity").value) || 1,
        equipment: $("rooms-new-equipment").value.split(/[、,，\s]+/).filter(Boolean),
        open_weekdays: weekdays,
        opens_at: $("rooms-new-opens").value,
        closes_at: $("rooms-new-closes").value,
        needs_approval: $("rooms-new-approval").checked,
      });
    }, error).then(function (r) {
      ui.toast("已新建活动室：" + r.name, "ok");
      $("rooms-new-name").value = "";
      enterPage(r.id);
    }, function () {});
  });

  function enterPage(selectId) {
    var status = $("rooms-state");
    ui.clearError($("rooms-book-error"));
    $("rooms-booked").hidden = true;
    loadRooms().then(function (rooms) {
      ui.fillSelect($("rooms-room"), rooms.map(function (r) { return [r.id, r.name]; }),
        selectId || state.roomId || (rooms[0] && rooms[0].id));
      state.roomId = rooms.length ? Number($("rooms-room").value) : null;
      fillOrgs();
      setupAdmin();
      setWeek(state.week || mondayOf(ui.todayIso()));
      loadPending();
    }, function (error) {
      status.hidden = false;
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  shell.page("rooms", {
    root: $("page-rooms"),
    enter: function (parts, q, first) {
      if (first) {
        enterPage(null);
      }
    },
    reset: function () {
      state.gen += 1;
      state.rooms = [];
      state.roomId = null;
      state.week = null;
      $("rooms-week").replaceChildren();
      $("rooms-booked").hidden = true;
    },
  });

  // --- the activity form's room picker -------------------------------------------------------

  var picker = { activity: null, rooms: [], bookings: {} };

  function pickerChanged() {
    var value = $("act-room").value;
    var loc = $("act-location");
    var hint = $("act-room-hint");
    var chosen = null;
    if (value.indexOf("room:") === 0) {
      chosen = picker.rooms.filter(function (r) { return "room:" + r.id === value; })[0];
      hint.textContent = "将按活动时间预约" + (chosen && chosen.needs_approval ? "（需园区党委审批）" : "") +
        "，地点自动填写。";
    } else if (value.indexOf("booking:") === 0) {
      var b = picker.bookings[value];
      chosen = b && picker.rooms.filter(function (r) { return r.id === b.room_id; })[0];
      hint.textContent = "活动时间须在预约时段之内。";
    } else if (value === "keep") {
      hint.textContent = "保持已预约的活动室；改时间时预约随之调整。";
      loc.readOnly = true;
      return;
    } else {
      hint.textContent = "选择活动室将按活动时间预约，地点自动填写。";
    }
    loc.readOnly = !!chosen;
    if (chosen) {
      loc.value = chosen.location_label;
    }
  }

  function useBooking(b) {
    var org = $("act-org");
    if (Number(org.value) !== b.org_id && org.querySelector('option[value="' + b.org_id + '"]')) {
      org.value = String(b.org_id);
      org.dispatchEvent(new Event("change"));
    }
    $("act-start").value = ui.localInput(b.starts_at);
    $("act-start").dispatchEvent(new Event("change"));
    var minutes = String(Math.round((new Date(b.ends_at) - new Date(b.starts_at)) / 60000));
    var duration = $("act-duration");
    if (!duration.querySelector('option[value="' + minutes + '"]')) {
      var option = make("option", null, minutes + " 分钟");
      option.value = minutes;
      duration.appendChild(option);
    }
    duration.value = minutes;
  }

  window.ConsoleRoomPicker = {
    /** Fill the picker: the park's rooms, and the caller's own slots not yet used. */
    reset: function (activity, query) {
      picker.activity = activity;
      var select = $("act-room");
      var box = select.closest("label");
      ui.fillSelect(select, [["", "不预约活动室（手填地点）"]]);
      $("act-location").readOnly = false;
      if (activity && activity.room_booking) {
        var rb = activity.room_booking;
        var keep = make("option", null, "保持：" + rb.room_name + "（" +
          (rb.status === "pending" ? "待审批" : "已预约") + "）");
        keep.value = "keep";
        select.appendChild(keep);
        select.value = "keep";
      }
      var since = new Date().toISOString();
      Promise.all([
        loadRooms(),
        api.getJson("/api/v1/bookings?per_page=100&starts_from=" + encodeURIComponent(since)),
      ]).then(function (got) {
        picker.rooms = got[0];
        box.hidden = !picker.rooms.length;
        picker.rooms.forEach(function (r) {
          var o = make("option", null, "预约 " + r.name + "（" + r.capacity + "人" +
            (r.needs_approval ? "，需审批" : "") + "）");
          o.value = "room:" + r.id;
          select.appendChild(o);
        });
        picker.bookings = {};
        got[1].items.forEach(function (b) {
          if (b.activity_id || !shell.manages(b.org_id)) {
            return;
          }
          var key = "booking:" + b.id;
          picker.bookings[key] = b;
          var o = make("option", null, "已预约：" + b.room_name + " " + ui.when(b.starts_at) + "–" +
            ui.clock(b.ends_at));
          o.value = key;
          select.appendChild(o);
        });
        var wanted = query.booking && picker.bookings["booking:" + query.booking];
        if (wanted) {
          select.value = "booking:" + wanted.id;
          useBooking(wanted);
        }
        pickerChanged();
      }, function () {
        box.hidden = true; // no rooms for this caller: the plain location field stays
      });
    },
    /** Put the choice into the activity's request body. */
    addTo: function (body) {
      var value = $("act-room").value;
      if (value.indexOf("room:") === 0) {
        body.room_id = Number(value.slice(5));
      } else if (value.indexOf("booking:") === 0) {
        body.room_booking_id = Number(value.slice(8));
      } else if (!value && picker.activity && picker.activity.room_booking) {
        body.room_id = null; // give the room back
      }
    },
  };
  $("act-room").addEventListener("change", pickerChanged);
})();
