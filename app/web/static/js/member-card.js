/* My 亮身份 card (/m/card): branch, 党龄, posts held, and the QR others scan to check it. */
(function () {
  "use strict";

  var api = window.MemberApi;
  var el = api.el;
  if (!api.requireSession()) { return; }

  api.status("正在加载…");
  api.call("GET", "/api/v1/me/card").then(function (r) {
    var c = r.body;
    api.status("");
    document.getElementById("card-name").textContent = c.name;
    document.getElementById("card-org").textContent = c.org_name + " · " + c.status_label;
    document.getElementById("card-years").textContent = c.party_years === null
      ? "" : "党龄 " + c.party_years + " 年（" + c.joined_on + " 入党）";
    var list = document.getElementById("card-posts");
    list.textContent = "";
    if (!c.posts.length) {
      list.appendChild(el("li", "m-meta", "目前没有认领岗位，可在支部的先锋岗中认领。"));
    }
    c.posts.forEach(function (p) {
      var li = el("li");
      li.appendChild(el("strong", "", p.kind_label + " "));
      li.appendChild(document.createTextNode(p.name + (p.place ? "（" + p.place + "）" : "")));
      if (p.commitment) { li.appendChild(el("p", "m-meta", "承诺：" + p.commitment)); }
      list.appendChild(li);
    });
    return api.call("GET", "/api/v1/me/card.svg");
  }).then(function (r) {
    var img = document.getElementById("card-qr");
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(r.body);
    img.hidden = false;
  }).catch(api.fail);
})();
