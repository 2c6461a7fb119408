/* The committee console's charts: SVG elements drawn here, no library, no build step.
 *
 *   heatmap(container, model, options)  branches × months, one focusable cell each
 *   trend(container, series, options)    one line with its points (a rate over time)
 *   bars(values, options)                a small bar chart for a table cell
 *
 * Every label is set with textContent; every cell has an aria-label and a <title>. */
(function () {
  "use strict";

  // The SVG namespace as the HTML parser itself assigns it (no URL literal in our files).
  var SVG_NS = (function () {
    var probe = document.createElement("div");
    probe.innerHTML = "<svg></svg>";
    return probe.firstChild.namespaceURI;
  })();

  function el(tag, attrs, parent) {
    var node = document.createElementNS(SVG_NS, tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (attrs[key] !== null && attrs[key] !== undefined) {
          node.setAttribute(key, String(attrs[key]));
        }
      });
    }
    if (parent) {
      parent.appendChild(node);
    }
    return node;
  }

  function text(parent, x, y, value, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = value;
    return node;
  }

  function title(parent, value) {
    var node = el("title", null, parent);
    node.textContent = value;
    return node;
  }

  function canvas(container, width, height, label) {
    var root = el("svg", {
      width: width,
      height: height,
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": label,
      focusable: "false",
    });
    container.replaceChildren(root);
    return root;
  }

  /** Cut a label to what fits in `width` pixels (CJK ≈ 1 em, Latin ≈ 0.6 em). */
  function fit(label, width, size) {
    var used = 0;
    for (var i = 0; i < label.length; i++) {
      used += (label.charCodeAt(i) > 255 ? 1 : 0.6) * size;
      if (used > width) {
        return label.slice(0, Math.max(1, i - 1)) + "…";
      }
    }
    return label;
  }

  // --- the 三会一课 heat map -------------------------------------------------------------------

  var CELL_TEXT = { met: "✓", open: "进行中", future: "", none: "—" };

  /**
   * model: { months: [1..12], current: month or null, rows: [{ id, name, cells: [{ month,
   *   status: met|missed|open|future|none, missing: n, label }] }] }
   * options: { onSelect(row, cell, node), selected: {id, month} }
   */
  function heatmap(container, model, options) {
    var width = Math.max(320, container.clientWidth);
    var labelW = Math.min(230, Math.max(96, Math.round(width * 0.22)));
    var headH = 30;
    var gap = 4;
    var cols = model.months.length;
    var cellW = Math.max(22, Math.floor((width - labelW - gap * cols) / cols));
    var cellH = cellW < 44 ? 30 : 36;
    var height = headH + model.rows.length * (cellH + gap);
    width = labelW + cols * (cellW + gap);
    var root = el("svg", {
      width: width,
      height: height,
      viewBox: "0 0 " + width + " " + height,
      class: "heatmap-svg",
      role: "group",
      "aria-label": "三会一课落实热力图：" + model.rows.length + " 个支部 × " + cols + " 个月",
    });
    var small = cellW < 52;

    model.months.forEach(function (month, i) {
      var x = labelW + i * (cellW + gap) + cellW / 2;
      var head = text(root, x, 19, month + "月", {
        class: "heat-month" + (month === model.current ? " is-current" : ""),
        "text-anchor": "middle",
      });
      if (month === model.current) {
        head.setAttribute("aria-label", month + "月（本月）");
        el("rect", { x: x - 12, y: 25, width: 24, height: 3, rx: 1.5, class: "heat-now" }, root);
      }
    });

    var cells = [];
    model.rows.forEach(function (row, r) {
      var y = headH + r * (cellH + gap);
      var label = text(root, 0, y + cellH / 2 + 5, fit(row.name, labelW - 14, 14), {
        class: "heat-label",
      });
      title(label, row.name);
      row.cells.forEach(function (cell, c) {
        var x = labelW + c * (cellW + gap);
        var g = el(
          "g",
          {
            class: "heat-cell",
            tabindex: r === 0 && c === 0 ? 0 : -1,
            role: "button",
            "data-status": cell.status,
            "data-level": cell.status === "missed" ? Math.min(3, cell.missing) : null,
            "data-org": row.id,
            "data-month": cell.month,
            "data-row": r,
            "data-col": c,
            "aria-label": row.name + " " + cell.month + "月：" + cell.label,
            "aria-pressed": "false",
          },
          root
        );
        el("rect", { x: x, y: y, width: cellW, height: cellH, rx: 6 }, g);
        var word = cell.status === "missed" ? (small ? String(cell.missing) : "缺 " + cell.missing)
          : small && cell.status === "open" ? "…" : CELL_TEXT[cell.status] || "";
        if (word) {
          text(g, x + cellW / 2, y + cellH / 2 + 5, word, { "text-anchor": "middle" });
        }
        title(g, row.name + " · " + cell.month + "月：" + cell.label);
        g._row = row;
        g._cell = cell;
        cells.push(g);
      });
    });
    container.replaceChildren(root);

    function select(g) {
      cells.forEach(function (other) {
        var on = other === g;
        other.classList.toggle("is-selected", on);
        other.setAttribute("aria-pressed", on ? "true" : "false");
      });
      options.onSelect(g._row, g._cell, g);
    }

    function focusCell(g) {
      cells.forEach(function (other) { other.setAttribute("tabindex", other === g ? 0 : -1); });
      g.focus();
    }

    root.addEventListener("click", function (event) {
      var g = event.target.closest(".heat-cell");
      if (g) {
        focusCell(g);
        select(g);
      }
    });
    root.addEventListener("keydown", function (event) {
      var g = event.target.closest(".heat-cell");
      if (!g) {
        return;
      }
      var r = Number(g.dataset.row);
      var c = Number(g.dataset.col);
      var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        select(g);
      } else if (moves[event.key]) {
        event.preventDefault();
        var nr = Math.min(model.rows.length - 1, Math.max(0, r + moves[event.key][0]));
        var nc = Math.min(cols - 1, Math.max(0, c + moves[event.key][1]));
        focusCell(cells[nr * cols + nc]);
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        focusCell(cells[r * cols + (event.key === "Home" ? 0 : cols - 1)]);
      }
    });

    if (options.selected) {
      var again = cells.filter(function (g) {
        return Number(g.dataset.org) === options.selected.id &&
          Number(g.dataset.month) === options.selected.month;
      })[0];
      if (again) {
        again.classList.add("is-selected");
        again.setAttribute("aria-pressed", "true");
        cells.forEach(function (other) {
          other.setAttribute("tabindex", other === again ? 0 : -1);
        });
      }
    }
    return root;
  }

  // --- a trend line ---------------------------------------------------------------------------

  /**
   * series: [{ label, value (0..1 or null), note }]
   * options: { label, height, ticks: [labels to show by index] }
   */
  function trend(container, series, options) {
    var width = Math.max(280, container.clientWidth);
    var height = options.height || 150;
    var pad = { left: 40, right: 14, top: 14, bottom: 26 };
    var root = canvas(container, width, height, options.label);
    root.setAttribute("class", "trend-svg");
    var plotW = width - pad.left - pad.right;
    var plotH = height - pad.top - pad.bottom;
    var n = series.length;
    var step = n > 1 ? plotW / (n - 1) : 0;
    function x(i) { return pad.left + (n > 1 ? i * step : plotW / 2); }
    function y(v) { return pad.top + plotH * (1 - v); }

    [0, 0.5, 1].forEach(function (v) {
      el("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "grid" }, root);
      text(root, pad.left - 8, y(v) + 4, Math.round(v * 100) + "%", {
        class: "axis", "text-anchor": "end",
      });
    });
    var every = options.tickEvery || 1;
    series.forEach(function (point, i) {
      if (i % every === 0 || i === n - 1) {
        text(root, x(i), height - 7, point.label, { class: "axis", "text-anchor": "middle" });
      }
    });

    // the line breaks where there is no value (a month without activities)
    var runs = [];
    var run = [];
    series.forEach(function (point, i) {
      if (point.value === null || point.value === undefined) {
        if (run.length) { runs.push(run); }
        run = [];
      } else {
        run.push([x(i), y(point.value)]);
      }
    });
    if (run.length) { runs.push(run); }
    runs.forEach(function (points) {
      if (points.length > 1) {
        var area = "M" + points[0][0] + "," + y(0) + " " + points.map(function (p) {
          return "L" + p[0].toFixed(1) + "," + p[1].toFixed(1);
        }).join(" ") + " L" + points[points.length - 1][0] + "," + y(0) + " Z";
        el("path", { d: area, class: "area" }, root);
        el("polyline", {
          points: points.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); })
            .join(" "),
          class: "line",
        }, root);
      }
    });
    var dots = options.dots !== false;
    series.forEach(function (point, i) {
      if (point.value === null || point.value === undefined) {
        return;
      }
      if (dots) {
        var dot = el("circle", { cx: x(i), cy: y(point.value), r: 3.5, class: "dot" }, root);
        title(dot, point.label + "：" + Math.round(point.value * 100) + "%" +
          (point.note ? "（" + point.note + "）" : ""));
      }
    });
    if (!runs.length) {
      text(root, pad.left + plotW / 2, pad.top + plotH / 2, options.empty || "暂无数据", {
        class: "empty-note", "text-anchor": "middle",
      });
    }
    return root;
  }

  // --- small bars for a table row ------------------------------------------------------------

  /**
   * values: [{ value (0..1 or null), label }]
   * options: { width, height, label, highlight: index }
   */
  function bars(values, options) {
    var width = options.width || 180;
    var height = options.height || 30;
    var n = values.length;
    var gap = n > 24 ? 1 : 3;
    var barW = Math.max(1.5, (width - gap * (n - 1)) / n);
    var root = el("svg", {
      width: width,
      height: height,
      viewBox: "0 0 " + width + " " + height,
      class: "bars-svg",
      role: "img",
      "aria-label": options.label,
    });
    el("line", { x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5, class: "base" }, root);
    values.forEach(function (point, i) {
      var x = i * (barW + gap);
      if (point.value === null || point.value === undefined) {
        el("rect", { x: x, y: height - 2, width: barW, height: 2, class: "bar-none" }, root);
        return;
      }
      var h = Math.max(2, (height - 2) * point.value);
      var bar = el("rect", {
        x: x,
        y: height - h,
        width: barW,
        height: h,
        rx: barW > 4 ? 1.5 : 0,
        class: "bar" + (point.value < (options.lowBelow || 0) ? " bar-low" : ""),
      }, root);
      title(bar, point.label + "：" + Math.round(point.value * 100) + "%");
    });
    return root;
  }

  window.ConsoleCharts = { heatmap: heatmap, trend: trend, bars: bars };
})();
