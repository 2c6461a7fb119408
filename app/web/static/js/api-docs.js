// Starts Swagger UI on /api/docs from the page's data attributes (the CSP forbids inline script).
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui-container");
  var config = { url: box.getAttribute("data-spec-url"), dom_id: "#swagger-ui-container" };
  var extra = JSON.parse(box.getAttribute("data-config") || "{}");
  Object.keys(extra).forEach(function (key) {
    config[key] = extra[key];
  });
  window.ui = window.SwaggerUIBundle(config);
})();
