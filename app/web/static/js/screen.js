/* The check-in screen (签到大屏): polls its state, swaps the QR the moment its window ends,
 * ticks the clock and countdowns locally, and says so when the server cannot be reached.
 * No framework, no build step; names are written with textContent only. */
(function () {
  "use strict";

  var root = document.getElementById("screen");
  if (!root) {
    return;
  }
  var STATE_URL = root.dataset.stateUrl;
  var POLL_MS = Number(root.dataset.pollMs) || 2500;
  var IDLE_POLL_MS = 10000; // closed, cancelled, unpublished: nothing moves fast
  var TIMEOUT_MS = 8000;
  var STALE_AFTER_MS = 800; // a QR past its window by this much leaves the screen
  var TZ = root.dataset.tz || "Asia/Shanghai";

  function $(id) {
    return document.getElementById(id);
  }

  var clockFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  var timeFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: TZ, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  var state = null; // the last good answer
  var receivedAt = 0; // performance.now() when it came
  var skewMs = 0; // server clock minus this machine's clock
  var lastOkWall = null;
  var failures = 0;
  var stopped = false;
  var timer = null;
  var pendingOpen = false;
  var shown = { window: null, endsAt: 0 }; // the QR on screen and when (perf time) it ends
  var loading = null; // the window whose image is loading
  var seenArrivals = null;

  var qr = $("qr");
  var qrWait = $("qr-wait");

  // --- polling ---------------------------------------------------------------------------

  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped) {
      timer = setTimeout(poll, Math.max(150, ms));
    }
  }

  function poll() {
    clearTimeout(timer);
    if (stopped) {
      return;
    }
    var controller = new AbortController();
    var abort = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    var url = STATE_URL + (pendingOpen ? "&pending=1" : "");
    fetch(url, {
      cache: "no-store",
      credentials: "omit",
      headers: { Accept: "application/json" },
      signal: controller.signal,
    })
      .then(function (res) {
        return res.json().then(
          function (body) { return { res: res, body: body }; },
          function () { return { res: res, body: null }; }
        );
      })
      .then(function (answer) {
        clearTimeout(abort);
        var status = answer.res.status;
        if (answer.res.ok && answer.body) {
          onState(answer.body);
        } else if ((status === 403 || status === 404 || status === 410) && answer.body &&
                   answer.body.error) {
          onGone(status, answer.body.error);
        } else {
          onFailure();
        }
      })
      .catch(function () {
        clearTimeout(abort);
        onFailure();
      });
  }

  function onState(s) {
    failures = 0;
    state = s;
    receivedAt = performance.now();
    var serverNow = Date.parse(s.now);
    if (!isNaN(serverNow)) {
      skewMs = serverNow - Date.now();
    }
    lastOkWall = Date.now() + skewMs;
    $("notice").hidden = true;
    render(s);
    var next = POLL_MS;
    if (s.phase === "open") {
      next = Math.min(next, s.closes_in * 1000 + 200);
      if (s.code) {
        next = Math.min(next, s.code.refresh_in * 1000 + 120);
      }
    } else if (s.phase === "before") {
      next = Math.min(next, s.opens_in * 1000 + 200);
    } else {
      next = IDLE_POLL_MS;
    }
    schedule(next);
  }

  function onFailure() {
    failures += 1;
    var since = lastOkWall ? "，数据更新于 " + clockFormat.format(lastOkWall) : "";
    showNotice("网络连接中断，正在重试…" + since);
    schedule(Math.min(POLL_MS * failures, 10000));
  }

  function onGone(status, error) {
    stopped = true;
    clearTimeout(timer);
    if (state && state.phase === "closed") {
      $("link-note").hidden = false; // keep the final counts on screen
      return;
    }
    var headings = { 403: "链接无效", 404: "活动不存在", 410: "链接已过期" };
    $("gone-heading").textContent = headings[status] || "无法显示";
    $("gone-message").textContent = error.message || "";
    clearQr("");
    setPhase("gone");
  }

  function showNotice(text) {
    var notice = $("notice");
    notice.textContent = text;
    notice.hidden = false;
  }

  // --- rendering ---------------------------------------------------------------------------

  function setPhase(phase) {
    root.dataset.phase = phase;
    var parts = root.querySelectorAll("[data-show]");
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].dataset.show.split(" ").indexOf(phase) < 0;
    }
  }

  function setText(id, value) {
    var el = $(id);
    var text = value === null || value === undefined ? "–" : String(value);
    if (el.textContent !== text) {
      el.textContent = text;
    }
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "—" : Math.round(rate * 100) + "%";
  }

  function render(s) {
    setPhase(s.phase);
    var a = s.activity;
    setText("title", a.title);
    setText("type-label", a.type_label);
    setText("org-name", a.org_name);
    setText("when", a.when);
    setText("location", a.location);
    $("location-item").hidden = !a.location;

    var c = s.counts;
    var closed = s.phase === "closed";
    setText("count-expected", c.expected);
    setText("count-checked-in", c.checked_in);
    setText("count-late", c.late);
    setText("count-leave", c.leave);
    setText("count-pending", s.pending ? s.pending.total : null);
    setText("pending-label", closed ? "缺席" : "未签到");
    setText("rate-value", percent(c.rate));
    $("rate-fill").style.width = c.rate ? Math.min(100, c.rate * 100) + "%" : "0";

    setText("window-label", timeFormat.format(new Date(s.opens_at)) + " – " +
      timeFormat.format(new Date(s.closes_at)));
    setText("final-rate", percent(c.rate));
    if (closed) {
      renderSummary([
        ["应到", c.expected], ["实到", c.checked_in], ["迟到", c.late], ["请假", c.leave],
        ["缺席", s.pending ? s.pending.total : 0],
      ]);
      setText("closed-at", "签到已于 " + timeFormat.format(new Date(s.closes_at)) + " 结束");
    }
    setText("cancel-reason", a.cancel_reason ? "原因：" + a.cancel_reason : "");

    if (s.phase === "open" && s.code) {
      showCode(s.code);
    } else {
      clearQr("正在获取签到码…");
    }
    renderArrivals(s.latest);
    renderToggle(closed);
    if (pendingOpen && s.pending && s.pending.names) {
      renderPending(s.pending);
    }
    tick();
  }

  function renderSummary(pairs) {
    var items = pairs.map(function (pair) {
      var span = document.createElement("span");
      span.textContent = pair[0] + " " + pair[1] + " 人";
      return span;
    });
    var summary = $("final-summary");
    summary.replaceChildren.apply(summary, items);
  }

  function showCode(code) {
    if (code.window === shown.window || code.window === loading) {
      return;
    }
    loading = code.window;
    var endsAt = receivedAt + code.refresh_in * 1000;
    var image = new Image();
    image.onload = function () {
      if (loading !== code.window) {
        return; // a newer window arrived meanwhile
      }
      loading = null;
      qr.src = image.src;
      qr.hidden = false;
      qrWait.hidden = true;
      qr.dataset.window = String(code.window);
      setText("code-a", code.code.slice(0, 3));
      setText("code-b", code.code.slice(3));
      shown = { window: code.window, endsAt: endsAt, rotate: code.rotate_seconds };
    };
    image.onerror = function () {
      if (loading === code.window) {
        loading = null; // the next poll asks again
      }
    };
    image.src = code.image_url;
  }

  function clearQr(message) {
    shown = { window: null, endsAt: 0 };
    loading = null;
    if (!qr.hidden) {
      qr.hidden = true;
      qr.removeAttribute("src");
      delete qr.dataset.window;
    }
    qrWait.textContent = message;
    qrWait.hidden = false;
    setText("code-a", "···");
    setText("code-b", "···");
  }

  function renderArrivals(latest) {
    var list = $("arrivals");
    var fresh = {};
    var keys = latest.map(function (r) { return r.name + "|" + r.checked_in_at; });
    if (seenArrivals !== null) {
      keys.forEach(function (k) { if (!seenArrivals[k]) { fresh[k] = true; } });
    }
    var same = list.children.length === keys.length && keys.every(function (k, i) {
      return list.children[i].dataset.key === k;
    });
    if (!same) {
      var items = latest.map(function (row, i) {
        var li = document.createElement("li");
        li.dataset.key = keys[i];
        if (fresh[keys[i]]) {
          li.className = "fresh";
        }
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = row.name;
        li.appendChild(name);
        if (row.status === "late") {
          var tag = document.createElement("span");
          tag.className = "tag";
          tag.textContent = row.status_label;
          li.appendChild(tag);
        }
        var time = document.createElement("time");
        time.dateTime = row.checked_in_at;
        time.textContent = timeFormat.format(new Date(row.checked_in_at));
        li.appendChild(time);
        return li;
      });
      list.replaceChildren.apply(list, items);
    }
    seenArrivals = {};
    keys.forEach(function (k) { seenArrivals[k] = true; });
    $("arrivals-empty").hidden = pendingOpen || latest.length > 0;
  }

  function renderToggle(closed) {
    var noun = closed ? "缺席名单" : "未签到名单";
    var button = $("toggle-pending");
    setText("toggle-pending", pendingOpen ? "返回最新签到" : noun);
    button.setAttribute("aria-pressed", pendingOpen ? "true" : "false");
    setText("list-title", pendingOpen ? noun : "最新签到");
    $("arrivals").hidden = pendingOpen;
    $("pending").hidden = !pendingOpen;
    if (!pendingOpen) {
      $("arrivals-empty").hidden = !!(state && state.latest.length);
    } else {
      $("arrivals-empty").hidden = true;
    }
  }

  function renderPending(pending) {
    var items = pending.names.map(function (n) {
      var li = document.createElement("li");
      li.textContent = n;
      return li;
    });
    var list = $("pending-names");
    list.replaceChildren.apply(list, items);
    $("pending-empty").hidden = pending.total > 0;
    var more = pending.total - pending.names.length;
    $("pending-more").hidden = more <= 0;
    setText("pending-more", "另有 " + more + " 人未列出");
  }

  // --- local clocks ----------------------------------------------------------------------

  function duration(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    var days = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    var clock = (h || days ? two(h) + ":" : "") + two(m) + ":" + two(sec);
    return days ? days + " 天 " + clock : clock;
  }

  function tick() {
    var now = performance.now();
    setText("clock", clockFormat.format(Date.now() + skewMs));
    if (!state) {
      return;
    }
    var elapsed = (now - receivedAt) / 1000;
    if (state.phase === "before") {
      var left = duration(state.opens_in - elapsed);
      setText("countdown", left);
      $("countdown").classList.toggle("long", left.length > 8);
    }
    if (shown.window !== null) {
      var remaining = (shown.endsAt - now) / 1000;
      if (remaining * 1000 < -STALE_AFTER_MS) {
        clearQr("正在更新签到码…"); // never leave an expired code up
      } else {
        var share = Math.max(0, Math.min(1, remaining / (shown.rotate || 15)));
        $("refresh-fill").style.width = share * 100 + "%";
        setText("refresh-text", Math.max(0, Math.ceil(remaining)) + " 秒后更新，截图转发无效");
      }
    }
  }

  $("toggle-pending").addEventListener("click", function () {
    pendingOpen = !pendingOpen;
    renderToggle(state ? state.phase === "closed" : false);
    if (pendingOpen) {
      setText("pending-more", "");
      $("pending-names").replaceChildren();
      poll();
    }
  });

  // a highlighted arrival is highlighted once, not again each time the list is shown
  $("arrivals").addEventListener("animationend", function (event) {
    event.target.classList.remove("fresh");
  });

  setPhase(root.dataset.phase);
  setInterval(tick, 250);
  tick();
  poll();
})();
