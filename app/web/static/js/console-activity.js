/* One activity (#/activities/<id>): publish, edit, cancel with a reason, the screen link, the
 * attendance sheet with every expected attendee (manual marks with a reason, audited), the
 * quorum line of a 党员大会, leave and make-up requests to decide, the meeting record with its
 * photos and PDF, and volunteer hours. The sheet refreshes every few seconds while check-in
 * is open. Everything goes through /api/v1; errors are said next to what was pressed. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("act-detail-view")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var POLL_MS = 5000;
  var state = { id: null, activity: null, gen: 0, timer: null, dialog: null };
  var base = function () { return "/api/v1/activities/" + state.id; };

  function close() {
    state.gen += 1;
    state.id = null;
    clearTimeout(state.timer);
    if ($("act-dialog").open) {
      $("act-dialog").close();
    }
  }

  function open(id) {
    close();
    state.id = id;
    var gen = state.gen;
    $("act-title-h").textContent = "正在加载…";
    ["act-kicker", "act-meta", "act-count"].forEach(function (x) { $(x).textContent = ""; });
    ["act-sheet", "act-requests", "act-files"].forEach(function (x) { $(x).replaceChildren(); });
    $("act-screen-box").hidden = true;
    ui.clearError($("act-actions-error"));
    api.getJson(base()).then(function (activity) {
      if (gen !== state.gen) {
        return;
      }
      drawHead(activity);
      loadSheet();
      loadRequests();
      loadFiles();
    }, function (error) {
      if (gen === state.gen) {
        $("act-title-h").textContent = "无法打开该活动";
        ui.showError($("act-actions-error"), error);
      }
    });
  }

  // --- the head and its actions --------------------------------------------------------------

  function drawHead(a) {
    state.activity = a;
    $("act-kicker").textContent = a.org_name + " · " + a.type_label;
    $("act-title-h").textContent = a.title;
    var status = a.status === "published" ? a.phase_label : a.status_label;
    $("act-meta").textContent = ui.when(a.starts_at) + " – " + ui.clock(a.ends_at) + " · " +
      (a.location || "地点未填") + " · " + status +
      (a.status === "cancelled" && a.cancel_reason ? "（" + a.cancel_reason + "）" : "");
    var live = a.status === "published" && a.phase !== "ended";
    $("act-open-qr").hidden = !live;
    $("act-open-qr").href = "#/qr/" + a.id;
    $("act-screen-link").hidden = !live;
    $("act-publish").hidden = a.status !== "draft";
    $("act-edit").hidden = a.status === "cancelled" || a.phase === "ended";
    $("act-edit").href = "#/activities/" + a.id + "/edit";
    $("act-cancel").hidden = a.status === "cancelled" || a.phase === "ended";
    var started = new Date(a.starts_at) <= new Date();
    var recordable = a.status === "published" && started;
    $("act-record-form").hidden = !recordable;
    $("act-record-note").hidden = recordable;
    $("act-record-note").textContent = a.status === "cancelled" ? "活动已取消。"
      : a.status === "draft" ? "活动发布并开始后可以填写会议记录。" : "活动开始后可以填写会议记录。";
    $("act-summary").value = a.summary || "";
    $("act-decisions").value = (a.decisions || []).join("\n");
    $("act-hours-field").hidden = a.type !== "volunteer";
    $("act-hours").value = a.volunteer_hours === null || a.volunteer_hours === undefined ? ""
      : String(a.volunteer_hours);
    $("act-file").disabled = a.status === "cancelled";
  }

  $("act-publish").addEventListener("click", function () {
    ui.busy($("act-publish"), function () {
      return api.sendJson("POST", base() + "/publish");
    }, $("act-actions-error")).then(function (a) {
      drawHead(a);
      loadSheet();
      ui.toast("活动已发布", "ok");
    }, function () {});
  });

  $("act-screen-link").addEventListener("click", function () {
    ui.busy($("act-screen-link"), function () {
      return api.getJson(base() + "/screen-link");
    }, $("act-actions-error")).then(function (link) {
      $("act-screen-url").value = link.url;
      $("act-screen-open").href = link.url;
      $("act-screen-box").hidden = false;
      $("act-screen-url").select();
    }, function () {});
  });

  $("act-screen-copy").addEventListener("click", function () {
    var url = $("act-screen-url").value;
    var done = function () { ui.toast("已复制大屏链接", "ok"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, function () {
        $("act-screen-url").select();
        ui.toast("请长按或按 Ctrl+C 复制已选中的链接");
      });
    } else {
      $("act-screen-url").select();
      ui.toast(document.execCommand && document.execCommand("copy") ? "已复制大屏链接"
        : "请长按或按 Ctrl+C 复制已选中的链接", "ok");
    }
  });

  // --- one dialog for a reason: cancel the activity, mark a member, refuse a request ---------

  function ask(options) {
    state.dialog = options;
    $("act-dialog-title").textContent = options.title;
    $("act-dialog-hint").textContent = options.hint || "";
    $("act-dialog-status-field").hidden = !options.status;
    if (options.status) {
      $("act-dialog-status").value = options.status;
    }
    $("act-dialog-reason-label").textContent = options.reasonLabel || "理由";
    $("act-dialog-reason").value = "";
    $("act-dialog-reason").placeholder = options.placeholder || "";
    ui.clearError($("act-dialog-error"));
    $("act-dialog-save").textContent = options.confirm || "确定";
    $("act-dialog-save").disabled = false;
    $("act-dialog").showModal();
    (options.status ? $("act-dialog-status") : $("act-dialog-reason")).focus();
  }

  $("act-dialog-cancel").addEventListener("click", function () { $("act-dialog").close(); });
  $("act-dialog-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var options = state.dialog;
    var reason = $("act-dialog-reason").value.trim();
    if (reason.length < (options.minReason || 2)) {
      ui.showError($("act-dialog-error"), "请填写" + (options.reasonLabel || "理由") + "（至少 2 个字）");
      $("act-dialog-reason").focus();
      return;
    }
    ui.busy($("act-dialog-save"), function () {
      return options.send(reason, $("act-dialog-status").value);
    }, $("act-dialog-error")).then(function (result) {
      $("act-dialog").close();
      options.done(result);
    }, function () {});
  });

  $("act-cancel").addEventListener("click", function () {
    ask({
      title: "取消活动",
      hint: "取消后签到码立即失效，参加人员会看到取消原因。",
      reasonLabel: "取消原因",
      placeholder: "如：因台风改期",
      confirm: "确认取消活动",
      send: function (reason) {
        return api.sendJson("POST", base() + "/cancel", { reason: reason });
      },
      done: function (a) {
        drawHead(a);
        ui.toast("活动已取消", "ok");
      },
    });
  });

  // --- the sheet -----------------------------------------------------------------------------

  function loadSheet() {
    var gen = state.gen;
    clearTimeout(state.timer);
    return api.getJson(base() + "/attendance").then(function (sheet) {
      if (gen !== state.gen) {
        return;
      }
      drawSheet(sheet);
      if (sheet.activity && (sheet.activity.phase === "checkin_open")) {
        state.timer = setTimeout(loadSheet, POLL_MS);
      }
    }, function (error) {
      if (gen === state.gen) {
        var node = $("act-sheet-state");
        node.hidden = false;
        node.dataset.kind = "error";
        node.textContent = ui.errorText(error);
      }
    });
  }

  function drawSheet(sheet) {
    $("act-sheet-state").hidden = !!sheet.items.length;
    $("act-sheet-state").dataset.kind = "empty";
    $("act-sheet-state").textContent = "没有应参加的人员。";
    var c = sheet.counts;
    $("act-count").textContent = "应到 " + sheet.expected + " 人 · 已到 " + sheet.attended + " 人" +
      (c.late ? "（迟到 " + c.late + "）" : "") + " · 请假 " + c.leave + " · 缺席 " + c.absent +
      (c.pending ? " · 未签到 " + c.pending : "") + " · 出勤率 " + ui.pct(sheet.rate);
    var q = sheet.quorum;
    $("act-quorum").hidden = !q;
    if (q) {
      $("act-quorum").textContent = (q.quorate ? "✓ 已达到法定人数" : "✗ 未达到法定人数") +
        "：有表决权的正式党员应到 " + q.expected_voters + " 人，实到 " + q.present_voters +
        " 人，须超过半数（至少 " + q.required + " 人）";
      $("act-quorum").classList.toggle("is-short", !q.quorate);
    }
    var list = $("act-sheet");
    list.replaceChildren();
    var manageable = state.activity && state.activity.status === "published";
    sheet.items.forEach(function (row) {
      var li = make("li", "wb-row");
      li.dataset.member = row.member_id;
      li.dataset.status = row.status;
      var who = make("div", "wb-row-main");
      who.appendChild(make("b", "wb-row-name", row.name));
      who.appendChild(make("span", "wb-row-sub", row.org_name + " · " + row.member_status_label +
        (row.checked_in_at ? " · " + ui.clock(row.checked_in_at) : "") +
        (row.reason ? " · " + row.reason : "")));
      li.appendChild(who);
      li.appendChild(make("span", "att-chip is-" + row.status, row.status_label));
      if (manageable) {
        li.appendChild(ui.button("标记", "small-button", function () { mark(row); }));
      }
      list.appendChild(li);
    });
  }

  function mark(row) {
    var suggested = row.status === "pending" || row.status === "present" ? "absent" : "makeup";
    ask({
      title: "标记考勤：" + row.name,
      hint: "当前：" + row.status_label + "。手工标记会记入操作日志（谁、何时、原状态→新状态、理由）。",
      status: suggested,
      reasonLabel: "理由",
      placeholder: "如：无故未参加 / 会后补学已核实",
      confirm: "保存标记",
      send: function (reason, status) {
        return api.sendJson("PUT", base() + "/attendance/" + row.member_id,
          { status: status, reason: reason });
      },
      done: function (saved) {
        ui.toast("已将 " + row.name + " 标记为 " + saved.status_label, "ok");
        loadSheet();
      },
    });
  }

  // --- leave and make-up requests ------------------------------------------------------------

  function loadRequests() {
    var gen = state.gen;
    api.getJson("/api/v1/leave-requests?status=pending&per_page=100&activity_id=" + state.id).then(
      function (page) {
        if (gen !== state.gen) {
          return;
        }
        var list = $("act-requests");
        list.replaceChildren();
        $("act-requests-empty").hidden = page.items.length > 0;
        page.items.forEach(function (r) { list.appendChild(requestRow(r)); });
      },
      function (error) {
        if (gen === state.gen) {
          ui.showError(ui.errorAfter($("act-requests")), error);
        }
      }
    );
  }

  function decide(r, approve, note) {
    return api.sendJson("POST", "/api/v1/leave-requests/" + r.id + "/decision",
      { approve: approve, note: note || "" });
  }

  function requestRow(r) {
    var li = make("li", "wb-row");
    li.dataset.request = r.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", r.member_name + " · " + r.kind_label));
    main.appendChild(make("span", "wb-row-sub", "理由：" + r.reason + " · 提交于 " +
      ui.when(r.created_at)));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    var approve = ui.button("批准", "small-button is-ok");
    approve.addEventListener("click", function () {
      ui.busy(approve, function () { return decide(r, true); }).then(function () {
        ui.toast("已批准 " + r.member_name + " 的" + r.kind_label, "ok");
        loadRequests();
        loadSheet();
      }, function () {});
    });
    var refuse = ui.button("不批准", "small-button", function () {
      ask({
        title: "不批准：" + r.member_name + " 的" + r.kind_label,
        reasonLabel: "说明",
        placeholder: "如：本次会议须本人参加",
        confirm: "确认不批准",
        send: function (note) { return decide(r, false, note); },
        done: function () {
          ui.toast("已告知 " + r.member_name + "：未批准", "ok");
          loadRequests();
        },
      });
    });
    actions.appendChild(approve);
    actions.appendChild(refuse);
    li.appendChild(actions);
    return li;
  }

  // --- the record and its files --------------------------------------------------------------

  $("act-record-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      summary: $("act-summary").value,
      decisions: $("act-decisions").value.split("\n").map(function (s) { return s.trim(); })
        .filter(Boolean),
    };
    if (state.activity.type === "volunteer") {
      var hours = $("act-hours").value;
      body.volunteer_hours = hours === "" ? null : Number(hours);
    }
    ui.busy($("act-record-save"), function () {
      return api.sendJson("PUT", base() + "/record", body);
    }, $("act-record-error")).then(function (a) {
      drawHead(a);
      ui.toast("会议记录已保存", "ok");
    }, function () {});
  });

  function loadFiles() {
    var gen = state.gen;
    api.getJson(base() + "/attachments").then(function (files) {
      if (gen !== state.gen) {
        return;
      }
      var list = $("act-files");
      list.replaceChildren();
      files.forEach(function (f) { list.appendChild(fileRow(f)); });
    }, function (error) {
      if (gen === state.gen) {
        ui.showError($("act-file-error"), error);
      }
    });
  }

  function fileRow(f) {
    var li = make("li", "wb-file");
    li.dataset.attachment = f.id;
    var thumb = make("div", "wb-thumb" + (f.content_type === "application/pdf" ? " is-pdf" : ""));
    if (f.content_type.indexOf("image/") === 0) {
      api.getBlob(f.url).then(ui.dataUrl).then(function (src) {
        var img = make("img");
        img.alt = f.filename;
        img.src = src;
        thumb.appendChild(img);
      }, function () { thumb.textContent = "图片"; });
    } else {
      thumb.textContent = "PDF";
    }
    li.appendChild(thumb);
    var main = make("div", "wb-file-main");
    main.appendChild(make("span", "wb-file-name", f.filename));
    main.appendChild(make("span", "wb-row-sub", ui.size(f.size) + " · " + ui.when(f.created_at)));
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    var get = ui.button("下载", "small-button");
    get.addEventListener("click", function () {
      ui.busy(get, function () { return api.download(f.url, f.filename); }).then(null, function () {});
    });
    var remove = ui.button("删除", "small-button danger");
    remove.addEventListener("click", function () {
      if (!window.confirm("删除附件“" + f.filename + "”？")) {
        return;
      }
      ui.busy(remove, function () { return api.sendJson("DELETE", f.url); }).then(function () {
        li.remove();
        ui.toast("已删除 " + f.filename, "ok");
      }, function () {});
    });
    actions.appendChild(get);
    actions.appendChild(remove);
    li.appendChild(actions);
    return li;
  }

  $("act-file").addEventListener("change", function () {
    var input = $("act-file");
    var file = input.files && input.files[0];
    if (!file) {
      return;
    }
    var error = $("act-file-error");
    ui.clearError(error);
    if (file.size > 4 * 1024 * 1024) {
      ui.showError(error, "“" + file.name + "”有 " + ui.size(file.size) + "，超过 4 MB，请压缩后再上传");
      input.value = "";
      return;
    }
    var form = new FormData();
    form.append("file", file, file.name);
    var label = input.closest(".file-pick").querySelector("span");
    label.textContent = "正在上传…";
    api.upload(base() + "/attachments", form).then(function (saved) {
      $("act-files").appendChild(fileRow(saved));
      ui.toast("已上传 " + saved.filename, "ok");
    }, function (err) {
      ui.showError(error, err);
    }).then(function () {
      label.textContent = "上传照片或 PDF";
      input.value = "";
    });
  });

  window.ConsoleActivity = { open: open, close: close };
})();
