"""Question bank import from XLSX (or CSV): every row is checked first, then all or nothing.

Columns (Chinese headers as the parks' spreadsheets have them, or the API names):
题型 | 题目 | 选项A … 选项H | 答案 | 解析 | 标签. A true/false question needs no options and takes
对/错 (正确/错误, √/×, A/B) as its answer; a multiple-choice answer is written "AC" or "A,C".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask import current_app

from app.auth import Principal
from app.errors import APIError, translate_messages
from app.extensions import db
from app.members.importer import read_table
from app.org.services import get_org
from app.study.access import require_post
from app.study.bank import new_question, question_problems
from app.study.models import OPTION_KEYS, QuizQuestion
from app.study.schemas import QuestionInputSchema

HEADERS = {
    "kind": ("kind", "题型", "类型", "题目类型"),
    "stem": ("stem", "题目", "题干", "问题"),
    "answer": ("answer", "答案", "正确答案"),
    "explanation": ("explanation", "解析", "答案解析", "说明"),
    "tags": ("tags", "标签", "知识点"),
}
OPTION_HEADERS = {key: (f"option_{key.lower()}", f"选项{key}", key.lower()) for key in OPTION_KEYS}
KIND_WORDS = {
    "单选": "single",
    "单选题": "single",
    "单项选择": "single",
    "单项选择题": "single",
    "多选": "multiple",
    "多选题": "multiple",
    "多项选择": "multiple",
    "多项选择题": "multiple",
    "判断": "true_false",
    "判断题": "true_false",
}
TRUE_WORDS = {"对", "正确", "√", "是", "t", "true", "a", "y", "yes"}
FALSE_WORDS = {"错", "错误", "×", "x", "否", "f", "false", "b", "n", "no"}
_SPLIT = re.compile(r"[\s,，、;；/]+")

_row_schema = QuestionInputSchema()


def _header_map(header: list[Any]) -> tuple[dict[str, int], dict[str, int]]:
    fields: dict[str, int] = {}
    options: dict[str, int] = {}
    for idx, cell in enumerate(header):
        label = str(cell or "").strip().lower()
        for field, names in HEADERS.items():
            if label in names and field not in fields:
                fields[field] = idx
        for key, names in OPTION_HEADERS.items():
            if label in (n.lower() for n in names) and key not in options:
                options[key] = idx
    missing = [HEADERS[f][1] for f in ("kind", "stem", "answer") if f not in fields]
    if missing:
        raise APIError(
            400,
            "import.missing_columns",
            f"缺少必需的列：{'、'.join(missing)}",
            {"expected": ["题型", "题目", "选项A", "选项B", "…", "答案", "解析", "标签"]},
        )
    return fields, options


def _text(row: list[Any], idx: int | None) -> str | None:
    if idx is None or idx >= len(row) or row[idx] is None:
        return None
    value = row[idx]
    if isinstance(value, bool):
        return "对" if value else "错"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _answer(kind: str, text: str | None) -> list[str]:
    if text is None:
        return []
    if kind == "true_false":
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return ["A"]
        if word in FALSE_WORDS:
            return ["B"]
        return [text]  # refused by the checks, with the row's number
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha():
        parts = list(parts[0])  # "AC"
    return [p.upper() for p in parts]


def _normalise(row: list[Any], fields: dict[str, int], options: dict[str, int]) -> dict[str, Any]:
    kind_text = _text(row, fields.get("kind")) or ""
    kind = KIND_WORDS.get(kind_text, kind_text.lower())
    raw: dict[str, Any] = {
        "kind": kind,
        "stem": _text(row, fields.get("stem")),
        "answer": _answer(kind, _text(row, fields.get("answer"))),
        "explanation": _text(row, fields.get("explanation")) or "",
        "tags": [t for t in _SPLIT.split(_text(row, fields.get("tags")) or "") if t],
    }
    texts = [_text(row, options.get(key)) for key in OPTION_KEYS]
    while texts and texts[-1] is None:
        texts.pop()
    raw["options"] = [] if kind == "true_false" else texts
    return raw


def _row_errors(raw: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, Any] | None]:
    if any(t is None for t in raw["options"]):
        return {"options": ["选项不能跳过（中间有空选项）"]}, None
    try:
        loaded = _row_schema.load(raw)
    except ma.ValidationError as exc:
        messages = translate_messages(exc.messages)
        return {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}, None
    problems = question_problems(loaded)
    return problems, None if problems else loaded


def import_questions(
    principal: Principal, filename: str, data: bytes, org_id: int, now: datetime
) -> list[QuizQuestion]:
    """Validate every row, then add all of them to the org's bank — or none, with row errors."""
    org = get_org(org_id)
    require_post(principal, org)
    rows = read_table(filename, data)
    while rows and not any(c not in (None, "") for c in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise APIError(400, "import.empty", "文件中没有可导入的数据行", {})
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if len(rows) - 1 > limit:
        raise APIError(400, "import.too_many_rows", f"单次最多导入{limit}行", {"limit": limit})
    fields, options = _header_map(rows[0])

    errors: dict[int, dict[str, list[str]]] = {}
    valid: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c not in (None, "") for c in row):
            continue
        raw = _normalise(list(row), fields, options)
        row_errors, loaded = _row_errors(raw)
        stem = raw.get("stem")
        if stem:
            if stem in seen:
                row_errors.setdefault("stem", []).append(f"与第{seen[stem]}行重复")
            seen.setdefault(stem, number)
        if row_errors:
            errors[number] = row_errors
        elif loaded is not None:
            valid.append(loaded)
    if errors:
        raise APIError(
            400,
            "import.invalid_rows",
            f"共有{len(errors)}行数据有误，未导入任何数据",
            {
                "rows": len(rows) - 1,
                "errors": [{"row": n, "errors": errors[n]} for n in sorted(errors)],
            },
        )
    questions = [new_question(principal, item, org.id, None, now) for item in valid]
    db.session.add_all(questions)
    db.session.flush()
    return questions
