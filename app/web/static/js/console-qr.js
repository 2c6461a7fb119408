/* The full-screen check-in view (#/qr/<id>) for the secretary's phone or a projector: the
 * rotating QR (fetched with the token as SVG, shown through a data: URL), the 6-digit code,
 * when it changes, and the live count with the latest arrivals. It follows the server's
 * `refresh_in_seconds`, so the code on screen is never stale. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  var shell = window.ConsoleShell;
  if (!api || !ui || !shell || !document.getElementById("page-qr")) {
    return;
  }
  var $ = ui.$;
  var make = ui.make;
  var LIVE_MS = 3000;
  var state = { id: null, gen: 0, codeTimer: null, liveTimer: null, tick: null, expires: 0 };

  function stop() {
    state.gen += 1;
    if (document.fullscreenElement && document.exitFullscreen) {
      document.exitFullscreen().catch(function () {});
    }
    clearTimeout(state.codeTimer);
    clearTimeout(state.liveTimer);
    clearInterval(state.tick);
    document.body.classList.remove("is-qr");
  }

  function fail(error) {
    ui.showError($("qr-error"), error);
  }

  function loadCode() {
    var gen = state.gen;
    var base = "/api/v1/activities/" + state.id;
    Promise.all([api.getJson(base + "/checkin-code"), api.getBlob(base + "/checkin-code.svg")])
      .then(function (answers) {
        if (gen !== state.gen) {
          return null;
        }
        var code = answers[0];
        $("qr-code").textContent = code.code;
        state.expires = Date.now() + code.refresh_in_seconds * 1000;
        ui.clearError($("qr-error"));
        state.codeTimer = setTimeout(loadCode, Math.max(1000, code.refresh_in_seconds * 1000));
        return ui.dataUrl(new Blob([answers[1]], { type: "image/svg+xml" })).then(function (src) {
          if (gen === state.gen) {
            $("qr-image").src = src;
            $("qr-image").hidden = false;
          }
        });
      })
      .catch(function (error) {
        if (gen !== state.gen) {
          return;
        }
        fail(error);
        $("qr-image").hidden = true;
        $("qr-code").textContent = "------";
        // the window has not opened yet or has closed: try again later, not in a tight loop
        state.codeTimer = setTimeout(loadCode, error.status === 0 ? 5000 : 30000);
      });
  }

  function loadLive() {
    var gen = state.gen;
    api.getJson("/api/v1/activities/" + state.id + "/live").then(function (live) {
      if (gen !== state.gen) {
        return;
      }
      $("qr-title").textContent = live.title;
      $("qr-attended").textContent = String(live.checked_in);
      $("qr-expected").textContent = String(live.expected);
      var list = $("qr-latest");
      list.replaceChildren();
      (live.latest || []).slice(0, 6).forEach(function (a) {
        var li = make("li", "qr-arrival");
        li.appendChild(make("span", "", a.name));
        li.appendChild(make("span", "qr-arrival-time", ui.clock(a.checked_in_at) + " " +
          a.status_label));
        list.appendChild(li);
      });
      state.liveTimer = setTimeout(loadLive, LIVE_MS);
    }, function (error) {
      if (gen === state.gen) {
        fail(error);
        state.liveTimer = setTimeout(loadLive, LIVE_MS * 3);
      }
    });
  }

  function countdown() {
    var left = Math.max(0, Math.ceil((state.expires - Date.now()) / 1000));
    $("qr-refresh").textContent = state.expires ? "二维码和签到码每隔几秒自动更换，" + left + " 秒后更新"
      : "";
  }

  // a projector: the whole screen for the code (the browser's own full screen, Esc leaves it)
  $("qr-fullscreen").hidden = !document.fullscreenEnabled;
  $("qr-fullscreen").addEventListener("click", function () {
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(function () {});
    } else {
      $("page-qr").requestFullscreen().catch(function () {
        ui.toast("浏览器不允许全屏，可按 F11", "error");
      });
    }
  });
  document.addEventListener("fullscreenchange", function () {
    $("qr-fullscreen").textContent = document.fullscreenElement ? "退出全屏" : "投影全屏";
  });

  shell.page("qr", {
    root: $("page-qr"),
    enter: function (parts) {
      stop();
      state.id = Number(parts[0]);
      if (!state.id) {
        shell.go("#/activities");
        return;
      }
      document.body.classList.add("is-qr");
      $("qr-exit").href = "#/activities/" + state.id;
      $("qr-title").textContent = "正在加载…";
      $("qr-image").hidden = true;
      ui.clearError($("qr-error"));
      loadCode();
      loadLive();
      state.tick = setInterval(countdown, 1000);
    },
    leave: stop,
    reset: stop,
  });
})();
