/* 党员大会表决: pick a 党员大会, prepare a vote (a motion, an admission, a confirmation, or a
 * committee election with more candidates than seats),
 * enter absentees' written opinions before it opens, open it (the server checks the quorum),
 * close it and read the count; export the record. Members vote from their phones. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-votes")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var state = { gen: 0, meetings: [], votes: [], members: [] };

  function meeting() {
    var id = Number($("vote-meeting").value);
    return state.meetings.filter(function (m) { return m.id === id; })[0] || null;
  }

  function loadMeetings() {
    var gen = (state.gen += 1);
    return api.getJson("/api/v1/activities?type=general_meeting&per_page=50").then(function (page) {
      if (gen !== state.gen) {
        return;
      }
      state.meetings = page.items;
      ui.fillSelect($("vote-meeting"), page.items.map(function (a) {
        return [String(a.id), ui.when(a.starts_at) + " " + a.title];
      }));
      if (!page.items.length) {
        var status = $("vote-state");
        status.hidden = false;
        status.dataset.kind = "empty";
        status.textContent = "还没有支部党员大会。请先在“活动”中发布一次支部党员大会。";
        $("vote-new").hidden = true;
        $("vote-written").hidden = true;
        return;
      }
      loadVotes();
    });
  }

  function loadMembers(orgId) {
    return api.getJson("/api/v1/orgs/" + orgId + "/members?per_page=100").then(function (page) {
      state.members = page.items;
      var people = page.items.map(function (m) { return [String(m.id), m.name]; });
      // keep what the secretary already picked (this answer may come after her choice)
      ui.fillSelect($("vote-subject"), people, $("vote-subject").value || null);
      var full = page.items.filter(function (m) {
        return m.status === "full";
      }).map(function (m) { return [String(m.id), m.name]; });
      ui.fillSelect($("vote-written-member"), full, $("vote-written-member").value || null);
      var picked = Array.prototype.map.call($("vote-candidates").selectedOptions, function (o) {
        return o.value;
      });
      ui.fillSelect($("vote-candidates"), full);
      Array.prototype.forEach.call($("vote-candidates").options, function (o) {
        o.selected = picked.indexOf(o.value) >= 0;
      });
    }, function () {});
  }

  function resultText(vote) {
    var r = vote.result;
    if (!r) {
      return vote.status === "open" ? "投票中，结束后公布结果" : "未开始";
    }
    if (vote.kind === "election") {
      return "应到 " + vote.expected_voters + " 人，实到 " + vote.present_voters + " 人，收回 " +
        r.ballots_cast + " 张选票：" + vote.candidates.map(function (c) {
          return c.name + " " + c.votes + " 票" + (c.elected ? "（当选）" : "");
        }).join("，") + (r.passed ? "" : " —— 尚有名额未选出");
    }
    return "应到 " + vote.expected_voters + " 人，实到 " + vote.present_voters + " 人，收回 " +
      r.ballots_cast + " 票：赞成 " + r.yes + "，反对 " + r.no + "，弃权 " + r.abstain + " —— " +
      (r.passed ? "通过" : "未通过");
  }

  var CHOICES = [["yes", "赞成"], ["no", "反对"], ["abstain", "弃权"]];

  /** A labelled checkbox for a member, added to `parent`; returns the box. */
  function checkBox(parent, memberId, name) {
    var label = make("label", "check");
    var box = make("input");
    box.type = "checkbox";
    box.value = memberId;
    label.appendChild(box);
    label.appendChild(make("span", "", name));
    parent.appendChild(label);
    return box;
  }

  /** The tellers' entry: who handed a paper ballot in (present electors who have not voted) and
   * the ballots — counts per choice for a motion, one paper at a time for an election (its
   * marked candidates; none marked is a blank ballot). The server checks the counts match. */
  function paperForm(vote, li, error) {
    return api.getJson("/api/v1/votes/" + vote.id + "/electors").then(function (electors) {
      var form = make("form", "wb-form vote-paper");
      form.noValidate = true;
      var who = make("fieldset", "wb-fieldset vote-paper-who");
      who.appendChild(make("legend", "field-label", "交回纸质选票的党员（到会且未投票）"));
      var whoChecks = make("div", "wb-checks");
      who.appendChild(whoChecks);
      var boxes = electors.filter(function (e) { return e.present && !e.channel; }).map(function (e) {
        return checkBox(whoChecks, e.member_id, e.name);
      });
      if (!boxes.length) {
        who.appendChild(make("p", "muted", "到会党员都已投票。"));
      }
      form.appendChild(who);
      var papers = [];
      var counts = {};
      var tally = make("p", "vote-paper-tally");
      function handedIn() { return boxes.filter(function (b) { return b.checked; }).length; }
      function entered() {
        return vote.kind === "election" ? papers.length : CHOICES.reduce(function (n, c) {
          return n + (Number(counts[c[0]].value) || 0);
        }, 0);
      }
      function refresh() {
        tally.textContent = "交回 " + handedIn() + " 人，已录入 " + entered() + " 张" +
          (handedIn() === entered() ? "" : "（两者须相等）");
      }
      boxes.forEach(function (b) { b.addEventListener("change", refresh); });
      if (vote.kind === "election") {
        var marks = make("fieldset", "wb-fieldset vote-paper-marks");
        marks.appendChild(make("legend", "field-label", "逐张录入：勾选这张选票上画圈的候选人（最多 " + vote.seats + " 人，不画为弃权）"));
        var markChecks = make("div", "wb-checks");
        marks.appendChild(markChecks);
        var candidateBoxes = vote.candidates.map(function (c) {
          return checkBox(markChecks, c.member_id, c.name);
        });
        var list = make("ol", "vote-paper-list");
        var add = ui.button("记下这张选票", "small-button", function () {
          var marked = candidateBoxes.filter(function (b) { return b.checked; });
          if (marked.length > vote.seats) {
            ui.showError(error, "这张选票画了 " + marked.length + " 人，超过应选 " + vote.seats + " 人");
            return;
          }
          ui.clearError(error);
          papers.push({ candidate_ids: marked.map(function (b) { return Number(b.value); }) });
          list.appendChild(make("li", "", marked.length ? marked.map(function (b) {
            return b.parentNode.textContent.trim();
          }).join("、") : "弃权（未画圈）"));
          candidateBoxes.forEach(function (b) { b.checked = false; });
          refresh();
        });
        var undo = ui.button("撤销上一张", "small-button", function () {
          if (papers.length) { papers.pop(); list.removeChild(list.lastChild); refresh(); }
        });
        var buttons = make("div", "wb-actions");
        buttons.appendChild(add);
        buttons.appendChild(undo);
        marks.appendChild(buttons);
        marks.appendChild(list);
        form.appendChild(marks);
      } else {
        CHOICES.forEach(function (c) {
          counts[c[0]] = ui.input("number", "paper-" + c[0] + "-" + vote.id, "0", { min: 0, max: 500 });
          counts[c[0]].addEventListener("input", refresh);
          form.appendChild(ui.field(c[1] + "（张）", counts[c[0]]));
        });
      }
      form.appendChild(tally);
      var save = ui.button("提交纸质选票", "primary-button", null);
      save.type = "submit";
      form.appendChild(save);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var ballots = papers.slice();
        if (vote.kind !== "election") {
          CHOICES.forEach(function (c) {
            for (var i = 0; i < (Number(counts[c[0]].value) || 0); i += 1) { ballots.push({ choice: c[0] }); }
          });
        }
        var ids = boxes.filter(function (b) { return b.checked; }).map(function (b) { return Number(b.value); });
        if (!ids.length) {
          ui.showError(error, "请勾选交回纸质选票的党员");
          return;
        }
        ui.busy(save, function () {
          return api.sendJson("POST", "/api/v1/votes/" + vote.id + "/paper", { member_ids: ids, ballots: ballots });
        }, error).then(function () {
          ui.toast("已录入 " + ballots.length + " 张纸质选票", "ok");
          loadVotes();
        }, function () {});
      });
      li.appendChild(form);
      refresh();
    });
  }

  var COMMITTEE_ROLES = [["secretary", "书记"], ["deputy_secretary", "副书记"], ["organizer", "组织委员"],
    ["publicity", "宣传委员"], ["discipline", "纪检委员"]];

  /** The elected members' roles and the term's first day: the outgoing committee's roles end
   * that day (kept as history) and the new ones begin. */
  function committeeForm(vote, li, error) {
    var form = make("form", "wb-form vote-committee");
    form.noValidate = true;
    var picks = vote.candidates.filter(function (c) { return c.elected; }).map(function (c) {
      var select = make("select", "vote-role");
      select.appendChild(new Option("请选择分工", ""));
      COMMITTEE_ROLES.forEach(function (r) { select.appendChild(new Option(r[1], r[0])); });
      select.dataset.member = c.member_id;
      select.setAttribute("aria-label", c.name + " 的分工");
      form.appendChild(ui.field(c.name + " 的分工", select));
      return select;
    });
    var start = ui.input("date", "term-start-" + vote.id, ui.todayIso(), { required: true });
    form.appendChild(ui.field("任期开始日期", start));
    var save = ui.button("确认分工并就任", "primary-button", null);
    save.type = "submit";
    form.appendChild(save);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var roles = picks.map(function (p) { return { member_id: Number(p.dataset.member), role: p.value }; });
      if (roles.some(function (r) { return !r.role; })) {
        ui.showError(error, "请为每位当选委员选择分工");
        return;
      }
      if (!roles.some(function (r) { return r.role === "secretary"; }) &&
          !window.confirm("未指定书记，仍要就任吗？")) {
        return;
      }
      ui.busy(save, function () {
        return api.sendJson("POST", "/api/v1/votes/" + vote.id + "/committee",
          { term_start: start.value, roles: roles });
      }, error).then(function (saved) {
        ui.toast("新一届支委会已就任，任期 " + saved.term_starts_on + " 至 " + saved.term_ends_on, "ok");
        loadVotes();
      }, function () {});
    });
    li.appendChild(form);
  }

  function row(vote) {
    var li = make("li", "wb-row vote-row");
    li.dataset.vote = vote.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", vote.title));
    main.appendChild(make("span", "wb-row-sub", vote.kind_label + " · " + vote.status_label +
      (vote.subject_name ? " · 对象：" + vote.subject_name : "") +
      (vote.kind === "election" ? " · 应选 " + vote.seats + " 人，候选人 " +
        vote.candidates.map(function (c) { return c.name; }).join("、") : "")));
    var result = make("span", "wb-row-sub vote-result", resultText(vote));
    if (vote.result) {
      result.classList.add(vote.result.passed ? "is-ok" : "is-bad");
    }
    main.appendChild(result);
    li.appendChild(main);
    var actions = make("div", "wb-row-actions");
    var error = make("p", "form-error");
    error.hidden = true;
    error.setAttribute("role", "alert");
    function act(label, path, message) {
      var btn = ui.button(label, "primary-button");
      btn.addEventListener("click", function () {
        ui.busy(btn, function () { return api.sendJson("POST", path, {}); }, error)
          .then(function () { ui.toast(message, "ok"); loadVotes(); }, function () {});
      });
      actions.appendChild(btn);
    }
    if (vote.status === "draft") {
      act("开始表决", "/api/v1/votes/" + vote.id + "/open", "表决已开始，请党员在手机上投票");
    } else if (vote.status === "open") {
      var paper = ui.button("录入纸质选票", "small-button");
      paper.addEventListener("click", function () {
        paper.disabled = true;
        paperForm(vote, li, error).catch(function (e) { paper.disabled = false; ui.showError(error, e); });
      });
      actions.appendChild(paper);
      act("结束并计票", "/api/v1/votes/" + vote.id + "/close", "已计票");
    } else {
      if (vote.kind === "election" && vote.term_starts_on) {
        main.appendChild(make("span", "wb-row-sub vote-term",
          "新一届支委会任期 " + vote.term_starts_on + " 至 " + vote.term_ends_on));
      } else if (vote.kind === "election" && vote.candidates.some(function (c) { return c.elected; })) {
        var seat = ui.button("产生新一届支委会", "primary-button");
        seat.addEventListener("click", function () {
          seat.disabled = true;
          committeeForm(vote, li, error);
        });
        actions.appendChild(seat);
      }
      var out = ui.button("导出结果", "small-button");
      out.addEventListener("click", function () {
        ui.busy(out, function () {
          return api.download("/api/v1/votes/" + vote.id + "/export?format=xlsx", "表决结果.xlsx");
        }, error);
      });
      actions.appendChild(out);
    }
    li.appendChild(actions);
    li.appendChild(error);
    return li;
  }

  function loadVotes() {
    var m = meeting();
    if (!m) {
      return null;
    }
    var gen = (state.gen += 1);
    var status = $("vote-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    $("vote-new").hidden = false;
    loadMembers(m.org_id);
    return api.getJson("/api/v1/votes?activity_id=" + m.id).then(function (votes) {
      if (gen !== state.gen) {
        return;
      }
      state.votes = votes;
      var list = $("vote-rows");
      list.replaceChildren();
      votes.forEach(function (v) { list.appendChild(row(v)); });
      status.hidden = votes.length > 0;
      status.dataset.kind = "empty";
      status.textContent = "这次会议还没有表决事项。";
      var drafts = votes.filter(function (v) { return v.status === "draft" && v.kind !== "election"; });
      $("vote-written").hidden = drafts.length === 0;
      ui.fillSelect($("vote-written-vote"), drafts.map(function (v) { return [String(v.id), v.title]; }));
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  $("vote-meeting").addEventListener("change", loadVotes);
  function autoTitle() {
    var kind = $("vote-kind").value;
    var election = kind === "election";
    $("vote-subject-field").hidden = kind === "motion" || election;
    $("vote-seats-field").hidden = !election;
    $("vote-candidates-field").hidden = !election;
    $("vote-election-hint").hidden = !election;
    if (!$("vote-title").value || $("vote-title").dataset.auto === "1") {
      var subject = $("vote-subject").selectedOptions[0];
      $("vote-title").value = kind === "motion" ? "" : election ? "选举产生新一届支部委员会" :
        (kind === "admission" ? "接收" : "同意") + (subject ? subject.textContent : "") +
        (kind === "admission" ? "同志为中共预备党员" : "同志按期转为中共正式党员");
      $("vote-title").dataset.auto = "1";
    }
  }
  $("vote-kind").addEventListener("change", autoTitle);
  $("vote-subject").addEventListener("change", autoTitle);
  $("vote-title").addEventListener("input", function () { $("vote-title").dataset.auto = "0"; });

  $("vote-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var m = meeting();
    var kind = $("vote-kind").value;
    var body = { activity_id: m.id, kind: kind, title: $("vote-title").value.trim() };
    if (kind === "election") {
      body.seats = Number($("vote-seats").value);
      body.candidate_ids = Array.prototype.map.call($("vote-candidates").selectedOptions, function (o) {
        return Number(o.value);
      });
    } else if (kind !== "motion") {
      body.subject_member_id = Number($("vote-subject").value);
    }
    ui.busy($("vote-create"), function () {
      return api.sendJson("POST", "/api/v1/votes", body);
    }, $("vote-form-error")).then(function () {
      $("vote-title").value = "";
      ui.toast("已建立表决事项", "ok");
      loadVotes();
    }, function () {});
  });

  $("vote-written-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("vote-written-vote").value;
    ui.busy($("vote-written-save"), function () {
      return api.sendJson("POST", "/api/v1/votes/" + id + "/written-opinions", {
        member_id: Number($("vote-written-member").value),
        choice: $("vote-written-choice").value,
      });
    }, $("vote-written-error")).then(function () {
      ui.toast("书面意见已录入", "ok");
    }, function () {});
  });

  shell.page("votes", {
    root: $("page-votes"),
    enter: function (parts, query, first) {
      if (first) {
        loadMeetings();
      }
    },
    reset: function () {
      state.gen += 1;
      $("vote-rows").replaceChildren();
    },
  });
})();
