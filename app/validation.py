"""One guard for everything a request carries, applied where requests are parsed.

Every value the webargs parser loads (query string, JSON body, form) passes `check_loaded`
before a view or service sees it, so no route can forget it:

- text must not contain NUL bytes or lone surrogates (PostgreSQL refuses the first, every
  UTF-8 encoder the second — both used to surface as 500s);
- integers must fit the database's 32-bit `INTEGER` (ids, counts, points alike);
- dates and datetimes must lie in years `YEAR_MIN`..`YEAR_MAX` (a far-future date overflows
  timezone and calendar arithmetic);
- JSON bodies may nest at most `JSON_MAX_DEPTH` levels (the decoder recurses per level).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import current_app

from app.errors import APIError, validation_error

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
YEAR_MIN, YEAR_MAX = 1900, 2100
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")

TEXT_MESSAGE = "含有不允许的字符（空字符或无效的 Unicode）"
INT_MESSAGE = f"取值须在{INT_MIN}到{INT_MAX}之间"
YEAR_MESSAGE = f"年份须在{YEAR_MIN}到{YEAR_MAX}之间"


def bad_text(value: str) -> bool:
    """Whether a string holds a NUL byte or a lone surrogate."""
    return _BAD_TEXT.search(value) is not None


def _problem(value: Any) -> str | None:
    if isinstance(value, str):
        return TEXT_MESSAGE if bad_text(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if INT_MIN <= value <= INT_MAX else INT_MESSAGE
    if isinstance(value, date):  # datetimes are dates too
        return None if YEAR_MIN <= value.year <= YEAR_MAX else YEAR_MESSAGE
    return None


def check_loaded(data: Any) -> None:
    """Raise a 400 naming every field whose loaded value the database could not take."""
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # iterative: a deep value must not exhaust the interpreter's stack
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and bad_text(key):
                    errors.setdefault(path or "_schema", []).append(TEXT_MESSAGE)
                    continue
                stack.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
        else:
            problem = _problem(value)
            if problem is not None:
                errors.setdefault(path or "_schema", []).append(problem)
    if errors:
        raise validation_error({"fields": {k: errors[k] for k in sorted(errors)}})


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether a decoded JSON value nests deeper than `limit` arrays/objects."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def too_deep() -> APIError:
    """The answer to a JSON body nested beyond the limit."""
    limit = current_app.config["JSON_MAX_DEPTH"]
    return APIError(
        400, "request.too_deep", f"请求体嵌套层数过多（最多{limit}层）", {"limit": limit}
    )


def load_json_body(raw: bytes | str) -> Any:
    """Decode a JSON body with the depth limit; malformed JSON raises json.JSONDecodeError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(f"not UTF-8: {exc.reason}", "", exc.start) from exc
    try:
        value = json.loads(text)
    except RecursionError as exc:  # the C decoder recurses once per level
        raise too_deep() from exc
    if json_depth_exceeds(value, current_app.config["JSON_MAX_DEPTH"]):
        raise too_deep()
    return value
