/* The console's shared helpers: building nodes, formatting in the park's time zone, labels,
 * and the one way an API error is said — its Chinese message (and the fields it names) shown
 * right where the user acted. Text is always set with textContent. */
(function () {
  "use strict";

  var root = document.getElementById("console");
  var TZ = (root && root.dataset.tz) || "Asia/Shanghai";

  function $(id) {
    return document.getElementById(id);
  }

  function make(tag, className, textValue) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (textValue !== undefined && textValue !== null) {
      node.textContent = textValue;
    }
    return node;
  }

  function button(label, className, onClick) {
    var node = make("button", className || "small-button", label);
    node.type = "button";
    if (onClick) {
      node.addEventListener("click", onClick);
    }
    return node;
  }

  function link(label, href, className) {
    var node = make("a", className || "", label);
    node.href = href;
    return node;
  }

  // --- labels --------------------------------------------------------------------------------

  var ROLE_LABELS = {
    secretary: "书记",
    deputy_secretary: "副书记",
    organizer: "组织委员",
    publicity: "宣传委员",
    discipline: "纪检委员",
    instructor: "党建指导员",
  };
  var ACTIVITY_TYPES = [
    ["theme_day", "主题党日"],
    ["general_meeting", "支部党员大会"],
    ["committee_meeting", "支委会"],
    ["group_meeting", "党小组会"],
    ["party_lecture", "党课"],
    ["life_meeting", "组织生活会"],
    ["democratic_review", "民主评议党员"],
    ["heart_talk", "谈心谈话"],
    ["volunteer", "志愿服务"],
    ["training", "培训"],
    ["other", "其他活动"],
  ];
  var FIELD_LABELS = {
    title: "标题", type: "类型", starts_at: "开始时间", ends_at: "结束时间", location: "地点",
    agenda: "议程", org_id: "组织", reason: "理由", summary: "内容", body: "正文",
    publish_at: "发布时间", name: "姓名", phone: "手机号", status: "身份", joined_on: "入党日期",
    gender: "性别", file: "文件", stem: "题目", options: "选项", answer: "答案", kind: "类型",
    decisions: "决议", volunteer_hours: "志愿时长", minutes: "时长", org: "所属组织",
    invited_org_ids: "邀请组织", invited_member_ids: "邀请党员", note: "备注",
  };

  // --- time ----------------------------------------------------------------------------------

  var dayFormat = new Intl.DateTimeFormat("en-CA", {
    timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
  });
  var partsFormat = new Intl.DateTimeFormat("en-CA", {
    timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23",
  });
  var WEEKDAYS = ["日", "一", "二", "三", "四", "五", "六"];

  function parts(value) {
    var p = {};
    partsFormat.formatToParts(value instanceof Date ? value : new Date(value)).forEach(
      function (x) { p[x.type] = x.value; }
    );
    return p;
  }

  /** "2026-11-30" today in the park's time zone. */
  function todayIso() {
    return dayFormat.format(new Date());
  }

  /** "11月30日（周一）14:30" for an ISO instant. */
  function when(iso) {
    if (!iso) {
      return "—";
    }
    var p = parts(iso);
    var weekday = new Date(p.year + "-" + p.month + "-" + p.day + "T12:00:00Z").getUTCDay();
    return Number(p.month) + "月" + Number(p.day) + "日（周" + WEEKDAYS[weekday] + "）" +
      p.hour + ":" + p.minute;
  }

  function clock(iso) {
    var p = parts(iso);
    return p.hour + ":" + p.minute;
  }

  /** The value of an <input type="datetime-local"> for an instant, in the park's zone. */
  function localInput(iso) {
    var p = parts(iso);
    return p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute;
  }

  /** An ISO instant with the park's offset from a datetime-local value (Asia/Shanghai: +08:00,
   *  no daylight saving; other zones are computed from the browser's own rules). */
  function fromLocalInput(value) {
    if (!value) {
      return null;
    }
    var guess = new Date(value + ":00Z");
    var shown = parts(guess);
    var shownUtc = Date.UTC(+shown.year, +shown.month - 1, +shown.day, +shown.hour, +shown.minute);
    var offsetMin = Math.round((shownUtc - guess.getTime()) / 60000);
    var sign = offsetMin >= 0 ? "+" : "-";
    var abs = Math.abs(offsetMin);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return value + ":00" + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function pct(value) {
    if (value === null || value === undefined || isNaN(value)) {
      return "—";
    }
    return Math.round(value * 100) + "%";
  }

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB"
      : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  // --- errors said where the user acted ------------------------------------------------------

  function fieldMessages(error) {
    var fields = error && error.details && error.details.fields;
    if (!fields || typeof fields !== "object") {
      return [];
    }
    var out = [];
    Object.keys(fields).forEach(function (key) {
      var value = fields[key];
      var text = Array.isArray(value) ? value.join("；")
        : typeof value === "object" ? JSON.stringify(value) : String(value);
      out.push((FIELD_LABELS[key] || key) + "：" + text);
    });
    return out;
  }

  /** The sentence for an ApiError: its Chinese message, then the fields it names. */
  function errorText(error) {
    if (!error) {
      return "";
    }
    var fields = fieldMessages(error);
    var message = error.message || "操作失败，请重试";
    if (error.status === 429) {
      message = "操作过于频繁，请稍后再试";
    }
    return fields.length ? message + "（" + fields.join("；") + "）" : message;
  }

  /** Show an error in `node` (a .form-error next to the button or form that failed). */
  function showError(node, error) {
    if (!node) {
      return;
    }
    node.textContent = typeof error === "string" ? error : errorText(error);
    node.hidden = false;
    node.classList.add("is-shown");
  }

  function clearError(node) {
    if (node) {
      node.textContent = "";
      node.hidden = true;
    }
  }

  /** A .form-error placed right after `anchor`, reused on later failures. */
  function errorAfter(anchor) {
    var next = anchor.nextElementSibling;
    if (next && next.classList.contains("form-error")) {
      return next;
    }
    var node = make("p", "form-error");
    node.setAttribute("role", "alert");
    node.hidden = true;
    anchor.insertAdjacentElement("afterend", node);
    return node;
  }

  /** Run `work()` (a promise) with `btn` disabled; on failure say why next to it. */
  function busy(btn, work, errorNode) {
    var target = errorNode || errorAfter(btn);
    clearError(target);
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
    return work().then(
      function (value) {
        btn.disabled = false;
        btn.removeAttribute("aria-busy");
        return value;
      },
      function (error) {
        btn.disabled = false;
        btn.removeAttribute("aria-busy");
        showError(target, error);
        throw error;
      }
    );
  }

  var toastTimer = null;
  function toast(message, kind) {
    var node = $("toast");
    node.textContent = message;
    node.className = "toast" + (kind ? " toast-" + kind : "");
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { node.hidden = true; }, 5000);
  }

  /** A select filled with [value, label] pairs. */
  function fillSelect(select, pairs, selected) {
    select.replaceChildren();
    pairs.forEach(function (pair) {
      var option = make("option", null, pair[1]);
      option.value = String(pair[0]);
      select.appendChild(option);
    });
    if (selected !== undefined && selected !== null) {
      select.value = String(selected);
    }
  }

  /** A labelled field: <label class="field"><span>label</span>control</label>. */
  function field(label, control, hint) {
    var wrap = make("label", "field");
    wrap.appendChild(make("span", "field-label", label));
    wrap.appendChild(control);
    if (hint) {
      wrap.appendChild(make("span", "field-hint", hint));
    }
    return wrap;
  }

  function input(type, name, value, attrs) {
    var node = make(type === "textarea" ? "textarea" : "input");
    if (type !== "textarea") {
      node.type = type;
    }
    node.name = name;
    node.id = "f-" + name;
    if (value !== undefined && value !== null) {
      node.value = value;
    }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  /** A blob as a data: URL (the pages' CSP allows data: images, not blob:). */
  function dataUrl(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(new Error("read")); };
      reader.readAsDataURL(blob);
    });
  }

  /** An SVG string as an <img> (through a data: URL; the markup is never put in the page). */
  function svgImage(svg, alt, className) {
    var img = make("img", className || "");
    img.alt = alt || "";
    img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(svg)));
    return img;
  }

  window.ConsoleUI = {
    TZ: TZ,
    $: $,
    make: make,
    button: button,
    link: link,
    field: field,
    input: input,
    fillSelect: fillSelect,
    ROLE_LABELS: ROLE_LABELS,
    ACTIVITY_TYPES: ACTIVITY_TYPES,
    todayIso: todayIso,
    when: when,
    clock: clock,
    localInput: localInput,
    fromLocalInput: fromLocalInput,
    parts: parts,
    pct: pct,
    size: size,
    errorText: errorText,
    showError: showError,
    clearError: clearError,
    errorAfter: errorAfter,
    busy: busy,
    toast: toast,
    dataUrl: dataUrl,
    svgImage: svgImage,
  };
})();
