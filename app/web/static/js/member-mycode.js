/* My personal rotating code (/m/my-code): a large QR the secretary scans, renewed the moment it
 * rotates, so it never shows a stale code. */
(function () {
  "use strict";

  var api = window.MemberApi;
  if (!api.requireSession()) { return; }
  var img = document.getElementById("my-qr");
  var timer = null;

  function load() {
    clearTimeout(timer);
    api.call("GET", "/api/v1/me/code").then(function (r) {
      var code = r.body;
      document.getElementById("my-expiry").textContent =
        "本码 " + api.clock(code.expires_at) + " 自动更新";
      return api.call("GET", "/api/v1/me/code.svg").then(function (svg) {
        img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg.body);
        img.hidden = false;
        img.setAttribute("data-code", code.code);
        api.status("");
        var wait = Math.max(1, code.refresh_in_seconds) * 1000 + 200;
        timer = setTimeout(load, wait);
      });
    }).catch(function (e) {
      img.hidden = true; // a code that may be stale must not stay on screen
      api.fail(e);
      timer = setTimeout(load, 5000);
    });
  }

  api.call("GET", "/api/v1/me").then(function (r) {
    var m = r.body.member || {};
    document.getElementById("my-name").textContent = (m.name || "") + " · " + (m.org_name || "");
  }, function () {});
  load();
})();
