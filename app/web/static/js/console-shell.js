/* The console shell: login and logout, who the caller is, the role-aware menu and the router.
 *
 * Pages register with ConsoleShell.page(name, {enter(params), leave(), reset()}); the address
 * (#/activities/12, #/members …) picks the page, so the browser's back button and a reload
 * keep the place. A secretary sees their branch, the committee its park, the admin everything:
 * the menu shows only what the caller's roles reach — the API decides in the end. */
(function () {
  "use strict";

  var api = window.ConsoleApi;
  var ui = window.ConsoleUI;
  if (!api || !ui || !document.getElementById("console")) {
    return;
  }
  var $ = ui.$;
  var pages = {};
  var state = { me: null, orgs: [], current: null, gen: 0 };
  var MENU = [
    { page: "reports", href: "#/", label: "概览", who: "all" },
    { page: "activities", href: "#/activities", label: "活动", who: "manager" },
    { page: "study", href: "#/study", label: "学习", who: "poster" },
    { page: "questions", href: "#/questions", label: "题库", who: "poster" },
    { page: "members", href: "#/members", label: "党员", who: "manager" },
    { page: "votes", href: "#/votes", label: "表决", who: "manager" },
    { page: "recruitment", href: "#/recruitment", label: "发展党员", who: "manager" },
    { page: "park", href: "#/park", label: "园区", who: "committee" },
    // the park's ledgers (issue 19)
    { page: "dues", href: "#/dues", label: "党费", who: "manager" },
    { page: "notices", href: "#/notices", label: "通知", who: "manager" },
    { page: "posts", href: "#/posts", label: "先锋岗", who: "manager" },
    { page: "ledger", href: "#/ledger", label: "企业台账", who: "committee" },
    // requests (issue 21)
    { page: "requests", href: "#/requests", label: "诉求建言", who: "manager" },
    // 组织关系转接 and 流动党员 (issue 21)
    { page: "transfers", href: "#/transfers", label: "组织关系", who: "manager" },
    { page: "rooms", href: "#/rooms", label: "活动室", who: "manager" },
  ];
  var BRANCH_TYPES = { branch: true, group: true };

  // --- who the caller is ---------------------------------------------------------------------

  function isStaff(me) {
    return me.is_admin || (me.roles || []).length > 0;
  }

  function orgById(id) {
    return state.orgs.filter(function (o) { return o.id === id; })[0] || null;
  }

  /** Whether `orgId` lies in a subtree the caller manages (the server checks again). */
  function manages(orgId) {
    var me = state.me;
    if (!me) {
      return false;
    }
    if (me.is_admin || me.manage_org_ids === null) {
      return true;
    }
    var roots = me.manage_org_ids || [];
    var org = orgById(orgId);
    while (org) {
      if (roots.indexOf(org.id) >= 0) {
        return true;
      }
      org = org.parent_id ? orgById(org.parent_id) : null;
    }
    return roots.indexOf(orgId) >= 0;
  }

  function can(who) {
    var me = state.me;
    if (!me) {
      return false;
    }
    if (who === "all" || me.is_admin) {
      return true;
    }
    var grants = me.roles || [];
    if (who === "manager") {
      return grants.some(function (g) { return g.manages; });
    }
    if (who === "poster") {
      return grants.some(function (g) { return g.manages || g.role === "publicity"; });
    }
    if (who === "committee") {
      return grants.some(function (g) {
        var org = orgById(g.org_id);
        return g.manages && org && !BRANCH_TYPES[org.type];
      });
    }
    return false;
  }

  /** Branches and groups the caller manages (for pickers), in tree order. */
  function managedBranches() {
    return state.orgs.filter(function (o) { return BRANCH_TYPES[o.type] && manages(o.id); });
  }

  function roleLabel(me) {
    if (me.is_admin) {
      return "系统管理员";
    }
    var grant = (me.roles || [])[0];
    return grant ? grant.org_name + " · " + (ui.ROLE_LABELS[grant.role] || grant.role) : "";
  }

  // --- login and logout ----------------------------------------------------------------------

  function showNotice(message, retry) {
    $("notice-text").textContent = message;
    $("notice-retry").hidden = !retry;
    $("notice-retry").onclick = retry ? function () { hideNotice(); retry(); } : null;
    $("notice").hidden = false;
  }

  function hideNotice() {
    $("notice").hidden = true;
  }

  function showLogin(message, isError) {
    state.me = null;
    state.gen += 1;
    Object.keys(pages).forEach(function (name) {
      if (pages[name].reset) {
        pages[name].reset();
      }
    });
    state.current = null;
    document.title = "登录 · 党建工作台 · 云上党支部";
    $("session").hidden = true;
    $("workbench").hidden = true;
    $("login-view").hidden = false;
    var status = $("login-status");
    status.textContent = message || "";
    status.hidden = !message;
    status.classList.toggle("is-error", !!isError);
    $("password").value = "";
    $("login-submit").disabled = false;
    $("login-submit").textContent = "登录";
    $("username").focus();
  }

  function drawMenu() {
    var nav = $("main-nav");
    nav.replaceChildren();
    MENU.forEach(function (item) {
      if (can(item.who) && pages[item.page]) {
        var a = ui.link(item.label, item.href, "main-nav-link");
        a.dataset.page = item.page;
        nav.appendChild(a);
      }
    });
  }

  function enter() {
    hideNotice();
    var gen = state.gen;
    return Promise.all([
      api.getJson("/api/v1/me"),
      api.getJson("/api/v1/orgs?per_page=100").catch(function () { return { items: [] }; }),
    ]).then(
      function (answers) {
        var me = answers[0];
        if (gen !== state.gen) {
          return null;
        }
        if (!isStaff(me)) {
          return api.logout().then(function () {
            showLogin("该账号没有查看报表的权限，请使用园区党委或支部书记账号登录。", true);
          });
        }
        state.me = me;
        state.orgs = answers[1].items || [];
        $("login-view").hidden = true;
        $("workbench").hidden = false;
        $("session").hidden = false;
        var user = me.user || {};
        $("who").textContent = user.display_name || user.username || (me.member && me.member.name) || "";
        $("who-role").textContent = roleLabel(me);
        document.title = "党建工作台 · 云上党支部";
        drawMenu();
        route();
        return null;
      },
      function (error) {
        if (error.status === 0) {
          $("login-view").hidden = true;
          showNotice(error.message, enter);
        } else if (error.status !== 401) {
          showLogin(error.message, true);
        }
      }
    );
  }

  api.onSessionEnded(function (error) {
    showLogin(error.message || "登录已失效，请重新登录", true);
  });

  function showLoginError(message) {
    var status = $("login-status");
    status.textContent = message;
    status.classList.add("is-error");
    status.hidden = false;
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var username = $("username").value.trim();
    var password = $("password").value;
    if (!username || !password) {
      showLoginError("请输入用户名和密码");
      (username ? $("password") : $("username")).focus();
      return;
    }
    var btn = $("login-submit");
    btn.disabled = true;
    btn.textContent = "正在登录…";
    $("login-status").hidden = true;
    api.login(username, password).then(
      function () {
        $("password").value = "";
        btn.disabled = false;
        btn.textContent = "登录";
        return enter();
      },
      function (error) {
        btn.disabled = false;
        btn.textContent = "登录";
        showLoginError(error.status === 429 ? "尝试次数过多，请稍后再试" : error.message);
        $("password").select();
      }
    );
  });

  $("logout").addEventListener("click", function () {
    var btn = $("logout");
    btn.disabled = true;
    api.logout().then(
      function () {
        btn.disabled = false;
        showLogin("已安全退出。");
      },
      function () {
        btn.disabled = false;
        showLogin("已在本机退出；服务器暂时无法连接，登录凭证将在到期后失效。", true);
      }
    );
  });

  // --- the router ----------------------------------------------------------------------------

  /** "#/activities/12/qr?x=1" → { page: "activities", parts: ["12", "qr"], query: {x: "1"} } */
  function parse(hash) {
    var raw = (hash || "").replace(/^#\/?/, "");
    var q = raw.indexOf("?");
    var query = {};
    if (q >= 0) {
      new URLSearchParams(raw.slice(q + 1)).forEach(function (v, k) { query[k] = v; });
      raw = raw.slice(0, q);
    }
    var segments = raw.split("/").filter(Boolean);
    return { page: segments[0] || "reports", parts: segments.slice(1), query: query };
  }

  function route() {
    if (!state.me) {
      return;
    }
    var target = parse(location.hash);
    var item = MENU.filter(function (m) { return m.page === target.page; })[0];
    if (!pages[target.page] || (item && !can(item.who))) {
      target = { page: "reports", parts: [], query: {} };
    }
    if (state.current && state.current !== target.page && pages[state.current].leave) {
      pages[state.current].leave();
    }
    Object.keys(pages).forEach(function (name) {
      pages[name].root.hidden = name !== target.page;
    });
    Array.prototype.forEach.call(document.querySelectorAll(".main-nav-link"), function (a) {
      if (a.dataset.page === target.page) {
        a.setAttribute("aria-current", "page");
      } else {
        a.removeAttribute("aria-current");
      }
    });
    var first = state.current !== target.page;
    state.current = target.page;
    pages[target.page].enter(target.parts, target.query, first);
    if (first) {
      window.scrollTo(0, 0);
    }
  }

  window.addEventListener("hashchange", route);

  window.ConsoleShell = {
    page: function (name, spec) { pages[name] = spec; },
    me: function () { return state.me; },
    orgs: function () { return state.orgs; },
    orgById: orgById,
    manages: manages,
    can: can,
    managedBranches: managedBranches,
    go: function (hash) {
      if (location.hash === hash) {
        route();
      } else {
        location.hash = hash;
      }
    },
    refresh: route,
    showNotice: showNotice,
    hideNotice: hideNotice,
  };

  // pages register synchronously in their own deferred scripts, which run before this event
  document.addEventListener("DOMContentLoaded", function () {
    $("login-submit").disabled = false; // the form works only with the scripts
    if (api.hasSession()) {
      enter();
    } else {
      showLogin("");
    }
  });
})();
