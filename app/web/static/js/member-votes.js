/* The member's votes and surveys (issue 20): the home card, the list (/m/votes), one vote's
 * secret ballot and its result (/m/votes/<id>), one survey (/m/surveys/<id>).
 *
 * Secrecy holds on the phone too: the choice lives only in the form until it is sent, nothing
 * is kept in storage, and afterwards the page shows only "已投票" — which is all the server
 * knows about this member and this vote. The result appears once the secretary closes it. */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }
  var page = " " + document.body.className + " ";
  var main = document.getElementById("main");
  var HOME_CLOSED_DAYS = 3; // a closed vote's result stays on the home card this long
  var POLL_MS = 20000; // an open vote is re-read this often, so the result shows when it closes
  var CHANNEL_DONE = {
    app: "您已在线投票。", paper: "您已交回纸质选票。", written: "您的书面意见已由支部录入。",
  };

  function each(nodes, fn) { Array.prototype.forEach.call(nodes, fn); } // old WebViews: no NodeList.forEach

  function outcome(v) {
    if (v.status !== "closed" || !v.result) { return ""; }
    if (v.kind === "election") { return "选举结束"; }
    return v.result.passed ? "通过" : "未通过";
  }

  function pill(v) {
    if (v.status === "closed") {
      var passed = v.kind === "election" || (v.result && v.result.passed);
      return el("span", "m-pill " + (passed ? "m-pill-present" : "m-pill-absent"), outcome(v));
    }
    if (v.my_channel) { return el("span", "m-pill m-pill-present", "已投票"); }
    if (v.status === "open") {
      var go = el("a", "m-button m-button-small", "去投票");
      go.href = "/m/votes/" + v.id;
      return go;
    }
    return el("span", "m-pill", v.status_label);
  }

  function voteRow(v) {
    var li = el("li", "m-row vote-row");
    li.setAttribute("data-vote", v.id);
    var text = el("div", "m-row-main");
    var title = el("a", "m-row-title vote-link", v.title);
    title.href = "/m/votes/" + v.id;
    text.appendChild(title);
    text.appendChild(el("p", "m-meta", v.kind_label + " · " + v.activity_title));
    li.appendChild(text);
    li.appendChild(pill(v));
    return li;
  }

  function surveyRow(s) {
    var li = el("li", "m-row survey-row");
    li.setAttribute("data-survey", s.id);
    var text = el("div", "m-row-main");
    var title = el("a", "m-row-title vote-link", s.title);
    title.href = "/m/surveys/" + s.id;
    text.appendChild(title);
    text.appendChild(el("p", "m-meta", (s.anonymous ? "匿名问卷" : "实名问卷") + " · " + s.questions.length + " 题"));
    li.appendChild(text);
    if (s.answered) {
      li.appendChild(el("span", "m-pill m-pill-present", "已填写"));
    } else {
      var go = el("a", "m-button m-button-small", "去填写");
      go.href = "/m/surveys/" + s.id;
      li.appendChild(go);
    }
    return li;
  }

  function fill(listId, emptyId, items, row) {
    var list = document.getElementById(listId);
    list.textContent = "";
    items.forEach(function (x) { list.appendChild(row(x)); });
    if (emptyId) { document.getElementById(emptyId).hidden = items.length > 0; }
  }

  function recent(v, days) {
    return v.closed_at && Date.now() - Date.parse(v.closed_at) < days * 86400000;
  }

  function both() {
    return Promise.all([api.call("GET", "/api/mp/v1/votes"), api.call("GET", "/api/mp/v1/surveys")]);
  }

  // --- home: what is open for me, and fresh results ------------------------------------------
  function home() {
    both().then(function (rs) {
      var votes = rs[0].body.filter(function (v) {
        return v.status === "open" || recent(v, HOME_CLOSED_DAYS);
      });
      var surveys = rs[1].body.filter(function (s) { return !s.answered; });
      var list = document.getElementById("democracy-list");
      list.textContent = "";
      votes.forEach(function (v) { list.appendChild(voteRow(v)); });
      surveys.forEach(function (s) { list.appendChild(surveyRow(s)); });
      document.getElementById("democracy-card").hidden = !votes.length && !surveys.length;
    }).catch(function () { /* the home screen's other cards say what went wrong */ });
  }

  // --- the list ---------------------------------------------------------------------------------
  function listPage() {
    api.status("正在加载…");
    both().then(function (rs) {
      api.status("");
      var votes = rs[0].body;
      fill("votes-open", "votes-open-empty", votes.filter(function (v) { return v.status === "open"; }), voteRow);
      fill("votes-closed", "votes-closed-empty", votes.filter(function (v) { return v.status === "closed"; }), voteRow);
      fill("surveys", "surveys-empty", rs[1].body, surveyRow);
    }).catch(api.fail);
  }

  // --- one vote -------------------------------------------------------------------------------
  function choiceInput(type, name, value, label) {
    var box = el("label", "m-choice vote-choice");
    var input = el("input");
    input.type = type;
    input.name = name;
    input.value = value;
    box.appendChild(input);
    box.appendChild(el("span", "", label));
    return box;
  }

  function ballot(v) {
    var form = document.getElementById("ballot-form");
    var choices = document.getElementById("ballot-choices");
    if (form.getAttribute("data-for") === String(v.id)) { form.hidden = false; return; }
    form.setAttribute("data-for", v.id);
    choices.textContent = "";
    if (v.kind === "election") {
      document.getElementById("ballot-legend").textContent =
        "请选择候选人（应选 " + v.seats + " 人，最多选 " + v.seats + " 人）";
      v.candidates.forEach(function (c) {
        choices.appendChild(choiceInput("checkbox", "candidate", c.member_id, c.name));
      });
      choices.appendChild(el("p", "m-hint", "一个也不选，记为弃权。"));
    } else {
      document.getElementById("ballot-legend").textContent =
        v.subject_name ? "对 " + v.subject_name + " 同志：" : "您的意见：";
      [["yes", "赞成"], ["no", "反对"], ["abstain", "弃权"]].forEach(function (c) {
        choices.appendChild(choiceInput("radio", "choice", c[0], c[1]));
      });
    }
    form.hidden = false;
    form.onsubmit = function (ev) {
      ev.preventDefault();
      var body = {};
      var error = document.getElementById("ballot-error");
      error.hidden = true;
      if (v.kind === "election") {
        body.candidate_ids = [];
        each(form.querySelectorAll("input[name=candidate]"), function (i) {
          if (i.checked) { body.candidate_ids.push(+i.value); }
        });
        if (body.candidate_ids.length > v.seats) {
          error.textContent = "最多选 " + v.seats + " 人，您选了 " + body.candidate_ids.length + " 人";
          error.hidden = false;
          return;
        }
      } else {
        var picked = form.querySelector("input[name=choice]:checked");
        if (!picked) {
          error.textContent = "请选择赞成、反对或弃权";
          error.hidden = false;
          return;
        }
        body.choice = picked.value;
      }
      var button = document.getElementById("ballot-submit");
      button.disabled = true;
      api.call("POST", "/api/mp/v1/votes/" + v.id + "/ballot", body).then(function (r) {
        form.reset();
        api.status("投票成功", "ok");
        showVote(r.body);
      }, function (e) {
        if (e.status === 401) { api.fail(e); return; }
        if (e.code === "vote.already_voted") {
          form.reset();
          api.status("已投票：每人只能投一次，您的票已经计入。", "error");
          loadVote();
          return;
        }
        error.textContent = e.message;
        error.hidden = false;
        if (e.code === "vote.not_open") { loadVote(); }
      }).then(function () { button.disabled = false; });
    };
  }

  function result(v) {
    var box = document.getElementById("vote-result");
    var r = v.result;
    if (!r) { box.hidden = true; return; }
    box.hidden = false;
    var out = document.getElementById("result-outcome");
    out.textContent = outcome(v);
    out.className = "vote-outcome" + (v.kind === "election" || r.passed ? " vote-outcome-ok" : " vote-outcome-bad");
    var counts = document.getElementById("result-counts");
    counts.textContent = "";
    var pairs = [["应到", v.expected_voters + " 人"], ["实到", v.present_voters + " 人"], ["收回选票", r.ballots_cast + " 张"]];
    if (v.kind !== "election") {
      pairs = pairs.concat([["赞成", r.yes + " 票"], ["反对", r.no + " 票"], ["弃权", r.abstain + " 票"]]);
    }
    pairs.forEach(function (p) {
      counts.appendChild(el("dt", "", p[0]));
      counts.appendChild(el("dd", "", p[1]));
    });
    var list = document.getElementById("result-candidates");
    list.textContent = "";
    (v.kind === "election" ? v.candidates : []).forEach(function (c) {
      var li = el("li", "m-row");
      li.appendChild(el("span", "m-row-title", c.name));
      li.appendChild(el("span", "m-pill" + (c.elected ? " m-pill-present" : ""), c.votes + " 票" + (c.elected ? " · 当选" : "")));
      list.appendChild(li);
    });
  }

  var poll = null;
  function showVote(v) {
    document.title = v.title + " · 云上党支部";
    document.getElementById("vote-kind").textContent = v.kind_label + " · " + v.status_label;
    document.getElementById("vote-title").textContent = v.title;
    document.getElementById("vote-meeting").textContent = v.activity_title +
      (v.subject_name ? " · 表决对象：" + v.subject_name : "");
    var desc = document.getElementById("vote-desc");
    desc.textContent = v.description || "";
    desc.hidden = !v.description;
    var form = document.getElementById("ballot-form");
    form.hidden = true;
    if (v.status === "open" && !v.my_channel) { ballot(v); }
    var done = document.getElementById("vote-done");
    done.hidden = !v.my_channel;
    if (v.my_channel) {
      document.getElementById("vote-done-text").textContent = (CHANNEL_DONE[v.my_channel] || "") +
        (v.status === "closed" ? "" : "表决结束后在这里公布结果。");
    }
    if (v.status === "draft") { api.status("表决尚未开始，请等待支部书记宣布开始。"); }
    if (v.status === "closed" && !v.my_channel) { api.status("表决已经结束，您没有参加本次投票。"); }
    result(v);
    clearTimeout(poll);
    if (v.status !== "closed") { poll = setTimeout(loadVote, POLL_MS); }
  }

  function loadVote() {
    var id = main.getAttribute("data-vote-id");
    api.call("GET", "/api/v1/votes/" + id).then(function (r) { showVote(r.body); }).catch(api.fail);
  }

  // --- one survey -----------------------------------------------------------------------------
  function surveyDone(text) {
    document.getElementById("survey-form").hidden = true;
    document.getElementById("survey-done").hidden = false;
    if (text) { document.getElementById("survey-done-text").textContent = text; }
  }

  function showSurvey(s) {
    document.getElementById("survey-title").textContent = s.title;
    document.getElementById("survey-meta").textContent =
      (s.anonymous ? "匿名问卷：答卷不记录填写人" : "实名问卷：支部可以看到您的答卷") + " · 每人填写一次";
    if (s.answered) { surveyDone("您已经填写过该问卷。"); return; }
    if (s.status !== "open") { api.status("问卷已经结束", "error"); return; }
    var list = document.getElementById("survey-questions");
    list.textContent = "";
    s.questions.forEach(function (q, i) {
      var li = el("li", "m-question");
      var fieldset = el("fieldset");
      var kind = { single: "单选", multiple: "多选", text: "简答" }[q.kind];
      fieldset.appendChild(el("legend", "m-stem", (i + 1) + ". " + q.text + "（" + kind + "）"));
      if (q.kind === "text") {
        var area = el("textarea", "survey-text");
        area.name = "q" + i;
        area.maxLength = 500;
        area.rows = 3;
        area.setAttribute("aria-label", q.text);
        fieldset.appendChild(area);
      } else {
        q.options.forEach(function (o, k) {
          fieldset.appendChild(choiceInput(q.kind === "multiple" ? "checkbox" : "radio", "q" + i, k, o));
        });
      }
      li.appendChild(fieldset);
      list.appendChild(li);
    });
    var form = document.getElementById("survey-form");
    form.hidden = false;
    form.onchange = function () { document.getElementById("survey-error").hidden = true; };
    form.onsubmit = function (ev) {
      ev.preventDefault();
      var error = document.getElementById("survey-error");
      var missing = [];
      var answers = s.questions.map(function (q, i) {
        if (q.kind === "text") { return form.querySelector("[name=q" + i + "]").value.trim(); }
        var picked = [];
        each(form.querySelectorAll("input[name=q" + i + "]"), function (x) { if (x.checked) { picked.push(+x.value); } });
        if (!picked.length) { missing.push(i + 1); }
        return q.kind === "single" ? picked[0] : picked;
      });
      if (missing.length) {
        error.textContent = "请回答第 " + missing.join("、") + " 题";
        error.hidden = false;
        return;
      }
      error.hidden = true;
      api.call("POST", "/api/mp/v1/surveys/" + s.id + "/answers", { answers: answers }).then(function () {
        surveyDone("");
      }, function (e) {
        if (e.status === 401) { api.fail(e); return; }
        if (e.code === "survey.already_answered") { surveyDone("您已经填写过该问卷。"); return; }
        error.textContent = e.message;
        error.hidden = false;
      });
    };
  }

  if (page.indexOf(" page-home ") >= 0) { home(); }
  if (page.indexOf(" page-votes ") >= 0) { listPage(); }
  if (page.indexOf(" page-vote ") >= 0) { loadVote(); }
  if (page.indexOf(" page-survey ") >= 0) {
    api.call("GET", "/api/v1/surveys/" + main.getAttribute("data-survey-id"))
      .then(function (r) { showSurvey(r.body); }).catch(api.fail);
  }
})();
