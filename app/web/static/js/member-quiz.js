/* The daily quiz (/m/quiz): today's questions, one submission, then the graded review. */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }
  var form = document.getElementById("quiz-form");

  function review(quiz) {
    form.hidden = true;
    var box = document.getElementById("quiz-result");
    box.hidden = false;
    document.getElementById("quiz-score").textContent =
      "答对 " + quiz.correct + " / " + quiz.total + " 题，获得 " + quiz.points + " 分";
    var list = document.getElementById("quiz-review");
    list.textContent = "";
    (quiz.results || []).forEach(function (q) {
      var li = el("li", "m-question " + (q.correct ? "m-right" : "m-wrong"));
      li.appendChild(el("p", "m-stem", q.stem));
      li.appendChild(el("p", "m-meta", (q.correct ? "✓ 回答正确" : "✕ 您选 " + (q.chosen.join("、") || "未答")) +
        " · 正确答案 " + q.answer.join("、")));
      if (q.explanation) { li.appendChild(el("p", "m-hint", q.explanation)); }
      list.appendChild(li);
    });
  }

  function render(quiz) {
    var list = document.getElementById("questions");
    list.textContent = "";
    quiz.questions.forEach(function (q) {
      var li = el("li", "m-question");
      var fieldset = el("fieldset");
      fieldset.appendChild(el("legend", "m-stem", q.stem + "（" + (q.kind_label || "") + "）"));
      var type = q.kind === "multiple" ? "checkbox" : "radio";
      q.choices.forEach(function (c) {
        var label = el("label", "m-choice");
        var input = el("input");
        input.type = type;
        input.name = "q" + q.id;
        input.value = c.key;
        label.appendChild(input);
        label.appendChild(el("span", "", c.key + ". " + c.text));
        fieldset.appendChild(label);
      });
      li.appendChild(fieldset);
      list.appendChild(li);
    });
    form.hidden = false;
    form.onsubmit = function (ev) {
      ev.preventDefault();
      var answers = {};
      var missing = 0;
      quiz.questions.forEach(function (q) {
        var chosen = [];
        var inputs = form.querySelectorAll("input[name=q" + q.id + "]");
        for (var i = 0; i < inputs.length; i++) { if (inputs[i].checked) { chosen.push(inputs[i].value); } }
        if (!chosen.length) { missing += 1; }
        answers[q.id] = chosen;
      });
      var error = document.getElementById("quiz-error");
      if (missing && !form.getAttribute("data-confirmed")) {
        error.textContent = "还有 " + missing + " 题未作答。再点一次“交卷”将直接提交。";
        error.hidden = false;
        form.setAttribute("data-confirmed", "1");
        return;
      }
      error.hidden = true;
      document.getElementById("quiz-submit").disabled = true;
      api.call("POST", "/api/v1/quiz/daily", { answers: answers }).then(function (r) {
        review(r.body);
      }, function (e) {
        document.getElementById("quiz-submit").disabled = false;
        if (e.code === "quiz.already_submitted" && e.details && e.details.result) {
          review(e.details.result);
          return;
        }
        api.fail(e);
      });
    };
  }

  api.status("正在加载…");
  api.call("GET", "/api/v1/quiz/daily").then(function (r) {
    api.status("");
    if (r.body.submitted) { review(r.body); return; }
    if (!r.body.questions.length) { api.status("今天暂无题目，明天再来。"); return; }
    render(r.body);
  }).catch(api.fail);
})();
