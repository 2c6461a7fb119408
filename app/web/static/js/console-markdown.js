/* A small, safe Markdown renderer for the study editor's live preview: it builds DOM nodes and
 * sets every text with textContent, so nothing typed can become markup. It covers what the
 * posting rules allow (the server refuses raw HTML and non-http links): headings, paragraphs,
 * **bold**, *italic*, `code`, lists, quotes, horizontal rules and http(s) links.
 * ConsoleMarkdown.render(text) → a DocumentFragment. */
(function () {
  "use strict";

  var INLINE = /(\*\*([^*]+)\*\*|\*([^*]+)\*|`([^`]+)`|\[([^\]]+)\]\(\s*(https?:\/\/[^\s)]+)\s*\))/;

  function inline(parent, text) {
    var rest = text;
    while (rest) {
      var m = INLINE.exec(rest);
      if (!m) {
        parent.appendChild(document.createTextNode(rest));
        return;
      }
      if (m.index) {
        parent.appendChild(document.createTextNode(rest.slice(0, m.index)));
      }
      var node;
      if (m[2] !== undefined) {
        node = document.createElement("strong");
        inline(node, m[2]);
      } else if (m[3] !== undefined) {
        node = document.createElement("em");
        inline(node, m[3]);
      } else if (m[4] !== undefined) {
        node = document.createElement("code");
        node.textContent = m[4];
      } else {
        node = document.createElement("a");
        node.textContent = m[5];
        node.href = m[6];
        node.rel = "noopener noreferrer";
        node.target = "_blank";
      }
      parent.appendChild(node);
      rest = rest.slice(m.index + m[0].length);
    }
  }

  function render(text) {
    var out = document.createDocumentFragment();
    var lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
    var para = [];
    var list = null;
    var quote = null;

    function flush() {
      if (para.length) {
        var p = document.createElement("p");
        para.forEach(function (line, i) {
          if (i) {
            p.appendChild(document.createElement("br"));
          }
          inline(p, line);
        });
        out.appendChild(p);
        para = [];
      }
      list = null;
      quote = null;
    }

    lines.forEach(function (raw) {
      var line = raw.replace(/\s+$/, "");
      var m;
      if (!line.trim()) {
        flush();
      } else if ((m = /^(#{1,4})\s+(.*)$/.exec(line))) {
        flush();
        var h = document.createElement("h" + Math.min(6, m[1].length + 1));
        inline(h, m[2]);
        out.appendChild(h);
      } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
        flush();
        out.appendChild(document.createElement("hr"));
      } else if ((m = /^\s*([-*+]|\d+[.、])\s+(.*)$/.exec(line))) {
        var ordered = /\d/.test(m[1]);
        if (para.length) {
          flush();
        }
        if (!list || (list.tagName === "OL") !== ordered) {
          list = document.createElement(ordered ? "ol" : "ul");
          out.appendChild(list);
        }
        var li = document.createElement("li");
        inline(li, m[2]);
        list.appendChild(li);
      } else if ((m = /^>\s?(.*)$/.exec(line))) {
        if (!quote) {
          flush();
          quote = document.createElement("blockquote");
          out.appendChild(quote);
        }
        var q = document.createElement("p");
        inline(q, m[1]);
        quote.appendChild(q);
      } else {
        list = null;
        quote = null;
        para.push(line);
      }
    });
    flush();
    return out;
  }

  window.ConsoleMarkdown = { render: render };
})();
