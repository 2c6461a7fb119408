/* The study reader (/m/study/<id>): the body (Markdown rendered and sanitised by the server),
 * and the reading session. The page only says "start" and "complete": the server measures the
 * dwell with its own clock, so the bar here is a guide, never the judge. */
(function () {
  "use strict";

  var api = window.MemberApi;
  if (!api.requireSession()) { return; }
  var id = document.getElementById("main").getAttribute("data-item-id");
  var state = document.getElementById("reading-state");
  var bar = document.getElementById("reading-bar");
  var button = document.getElementById("complete");
  var required = 60;
  var startedAt = null;
  var ticker = null;

  function tick() {
    var elapsed = startedAt ? (Date.now() - startedAt) / 1000 : 0;
    var left = Math.max(0, Math.ceil(required - elapsed));
    bar.style.width = Math.min(100, Math.round((100 * elapsed) / Math.max(1, required))) + "%";
    state.textContent = left > 0 ? "再读 " + left + " 秒即可得分" : "已读满，点“完成阅读”领取积分";
  }

  function done(points) {
    clearInterval(ticker);
    bar.style.width = "100%";
    state.textContent = points > 0 ? "阅读完成，获得 " + points + " 分！" : "已读完 ✓";
    button.hidden = true;
  }

  function start() {
    return api.call("POST", "/api/v1/study-items/" + id + "/start").then(function (r) {
      var reading = r.body;
      if (reading.counted) { done(0); return; }
      required = reading.required_seconds || required;
      var already = reading.dwell_seconds || 0;
      startedAt = Date.now() - already * 1000;
      clearInterval(ticker);
      ticker = setInterval(tick, 1000);
      tick();
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    api.call("POST", "/api/v1/study-items/" + id + "/complete").then(function (r) {
      button.disabled = false;
      var reading = r.body;
      if (reading.counted) {
        done(reading.points_awarded || 0);
      } else {
        // the server's clock says not yet: trust it and keep counting
        startedAt = Date.now() - (reading.dwell_seconds || 0) * 1000;
        required = reading.required_seconds || required;
        state.textContent = "还需阅读 " + reading.remaining_seconds + " 秒";
      }
    }, function (e) { button.disabled = false; api.fail(e); });
  });

  api.status("正在加载…");
  api.call("GET", "/api/v1/study-items/" + id).then(function (r) {
    var item = r.body;
    document.title = item.title + " · 云上党支部";
    document.getElementById("item-kind").textContent = item.kind_label || "";
    document.getElementById("item-title").textContent = item.title;
    document.getElementById("item-meta").textContent =
      (item.org_name || "") + " · " + api.when(item.publish_at) + " · 约 " + (item.minutes || 1) + " 分钟";
    // body_html is the server's sanitised rendering (allow-listed tags, http(s) links only)
    document.getElementById("item-body").innerHTML = item.body_html || "";
    document.getElementById("article").hidden = false;
    document.getElementById("reading").hidden = false;
    api.status("");
    var p = item.progress || {};
    if (p.state === "done") { done(0); return null; }
    return start();
  }).catch(api.fail);
})();
