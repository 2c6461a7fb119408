/* 发展党员: applicants of the caller's branches with their stage, a new application, and the
 * next step of one applicant on its day (talk, 积极分子 with 培养联系人, half-year assessments,
 * 发展对象, political review, training, 入党介绍人, public notice, admission by the 党员大会's
 * vote, approval, pledge, extension, 转正, cancellation). The server checks every rule and
 * says what is missing; the page shows it next to the button. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-recruitment")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var state = { gen: 0, current: null, peopleOrg: null };
  var NEXT = {
    applicant: [["talk", "与申请人谈话（一个月内）"], ["activist", "确定为入党积极分子"], ["cancel", "终止"]],
    activist: [["assessment", "半年考察"], ["candidate", "列为发展对象"], ["cancel", "终止"]],
    candidate: [["review", "政治审查"], ["training", "集中培训"], ["introducers", "确定入党介绍人"],
      ["notice", "公示"], ["admit", "支部大会接收为预备党员"], ["assessment", "考察"], ["cancel", "终止"]],
    probationary: [["approve", "上级党组织审批"], ["pledge", "入党宣誓"], ["extend", "延长预备期"],
      ["confirm", "按期转正"], ["cancel", "取消预备党员资格"]],
  };
  var PEOPLE_LABEL = { activist: "培养联系人（一至两名正式党员）", introducers: "入党介绍人（两名正式党员）" };

  function facts(a) {
    var bits = ["申请 " + a.applied_on];
    [["talk_on", "谈话"], ["activist_on", "积极分子"], ["candidate_on", "发展对象"],
      ["admitted_on", "接收预备党员"], ["approved_on", "审批"], ["confirmed_on", "转正"]]
      .forEach(function (p) {
        if (a[p[0]]) {
          bits.push(p[1] + " " + a[p[0]]);
        }
      });
    if (a.assessments && a.assessments.length) {
      bits.push("考察 " + a.assessments.length + " 次");
    }
    return bits.join(" · ");
  }

  function row(a) {
    var li = make("li", "wb-row rec-row");
    li.dataset.applicant = a.id;
    var main = make("div", "wb-row-main");
    main.appendChild(make("b", "wb-row-name", a.name + "（" + a.stage_label + "）"));
    main.appendChild(make("span", "wb-row-sub", facts(a)));
    li.appendChild(main);
    if (NEXT[a.stage]) {
      var actions = make("div", "wb-row-actions");
      actions.appendChild(ui.button("记录下一步", "small-button", function () { pick(a); }));
      li.appendChild(actions);
    }
    return li;
  }

  function load() {
    var gen = (state.gen += 1);
    var status = $("rec-state");
    status.hidden = false;
    status.dataset.kind = "loading";
    status.textContent = "正在加载…";
    return api.getJson("/api/v1/applicants").then(function (rows) {
      if (gen !== state.gen) {
        return;
      }
      var list = $("rec-rows");
      list.replaceChildren();
      rows.forEach(function (a) { list.appendChild(row(a)); });
      status.hidden = rows.length > 0;
      status.dataset.kind = "empty";
      status.textContent = "还没有入党申请人。";
    }, function (error) {
      status.dataset.kind = "error";
      status.textContent = ui.errorText(error);
    });
  }

  function showFields() {
    var kind = $("rec-step-kind").value;
    Array.prototype.forEach.call(document.querySelectorAll("#rec-step-form [data-for]"), function (f) {
      f.hidden = f.dataset.for.split(" ").indexOf(kind) < 0;
    });
    $("rec-people-label").textContent = PEOPLE_LABEL[kind] || "党员";
    if (kind === "admit" || kind === "confirm") {
      loadVotes(kind === "admit" ? "admission" : "confirmation");
    }
  }

  function loadVotes(kind) {
    var a = state.current;
    var select = $("rec-vote");
    ui.fillSelect(select, [["", "正在查找表决结果…"]]);
    api.getJson("/api/v1/activities?type=general_meeting&per_page=20&org_id=" + a.org_id)
      .then(function (page) {
        return Promise.all(page.items.map(function (m) {
          return api.getJson("/api/v1/votes?activity_id=" + m.id).then(function (votes) {
            return votes.filter(function (v) {
              return v.kind === kind && v.subject_member_id === a.member_id && v.result && v.result.passed;
            });
          });
        }));
      })
      .then(function (lists) {
        var votes = [].concat.apply([], lists);
        ui.fillSelect(select, votes.length ? votes.map(function (v) {
          return [String(v.id), v.activity_title + "：" + v.title + "（通过）"];
        }) : [["", "没有通过的表决：请先在“表决”中组织支部党员大会表决"]]);
      }, function () {});
  }

  function pick(a, quiet) {
    state.current = a;
    $("rec-step").hidden = false;
    $("rec-step-title").textContent = "记录下一步：" + a.name + "（" + a.stage_label + "）";
    $("rec-step-facts").textContent = facts(a);
    ui.fillSelect($("rec-step-kind"), NEXT[a.stage] || []);
    $("rec-step-on").value = ui.todayIso();
    if (state.peopleOrg !== a.org_id) {
      // once per branch: a late answer must not clear what the secretary has picked
      state.peopleOrg = a.org_id;
      api.getJson("/api/v1/orgs/" + a.org_id + "/members?per_page=100").then(function (page) {
        ui.fillSelect($("rec-people"), page.items.filter(function (m) {
          return m.status === "full";
        }).map(function (m) { return [String(m.id), m.name]; }));
      }, function () { state.peopleOrg = null; });
    }
    showFields();
    if (!quiet) {
      $("rec-step").scrollIntoView({ block: "start" });
    }
  }

  $("rec-step-kind").addEventListener("change", showFields);

  $("rec-step-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var kind = $("rec-step-kind").value;
    var body = { step: kind, on: $("rec-step-on").value };
    var people = Array.prototype.map.call($("rec-people").selectedOptions, function (o) {
      return Number(o.value);
    });
    if (kind === "activist") {
      body.contact_ids = people;
    } else if (kind === "introducers") {
      body.introducer_ids = people;
    } else if (kind === "training") {
      body.training_days = $("rec-days").value ? Number($("rec-days").value) : null;
      body.training_hours = $("rec-hours").value ? Number($("rec-hours").value) : null;
    } else if (kind === "admit" || kind === "confirm") {
      body.vote_id = $("rec-vote").value ? Number($("rec-vote").value) : null;
    } else if (kind === "extend") {
      body.until = $("rec-until").value || null;
    }
    ui.busy($("rec-step-save"), function () {
      return api.sendJson("POST", "/api/v1/applicants/" + state.current.id + "/steps", body);
    }, $("rec-step-error")).then(function (saved) {
      pick(saved, true);
      ui.toast("已记录：" + saved.name + " 现为" + saved.stage_label, "ok");
      load();
    }, function () {});
  });

  $("rec-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ui.busy($("rec-create"), function () {
      return api.sendJson("POST", "/api/v1/applicants", {
        org_id: Number($("rec-org").value),
        name: $("rec-name").value.trim(),
        birth_date: $("rec-birth").value,
        applied_on: $("rec-applied").value,
        job_category: $("rec-job").value,
      });
    }, $("rec-form-error")).then(function () {
      $("rec-name").value = "";
      ui.toast("已登记入党申请", "ok");
      load();
    }, function () {});
  });

  shell.page("recruitment", {
    root: $("page-recruitment"),
    enter: function (parts, query, first) {
      if (first) {
        ui.fillSelect($("rec-org"), shell.managedBranches().map(function (o) {
          return [String(o.id), o.name];
        }));
        load();
      }
    },
    reset: function () {
      state.gen += 1;
      state.current = null;
      state.peopleOrg = null;
      $("rec-rows").replaceChildren();
      $("rec-step").hidden = true;
    },
  });
})();
