"""Markdown bodies → safe HTML for the member pages (and any client that wants HTML).

markdown-it-py parses CommonMark (+ tables) with raw HTML off, so `<script>` arrives as text;
nh3 (the Rust `ammonia` sanitiser) then keeps only an allow-list of tags and attributes and
only http(s)/mailto links — a second wall in case a parser rule ever lets markup through.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code",
        "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr",
        "th", "td",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_html(text: str | None) -> str:
    """Sanitised HTML of a Markdown text (empty for none)."""
    if not text:
        return ""
    return _rendered(text)


@lru_cache(maxsize=256)
def _rendered(text: str) -> str:
    # a pure function of the text: at 07:30 a city reads the same brief thousands of times
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
