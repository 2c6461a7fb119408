"""Bulk member import from CSV or XLSX: every row is validated first, then all or nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select

from app.auth import Principal
from app.errors import APIError, translate_messages
from app.extensions import db
from app.members.models import GENDER_LABELS, STATUS_LABELS, Member
from app.members.schemas import MemberCreateSchema
from app.members.services import default_member_since
from app.org.models import Organization
from app.org.services import MEMBER_ORG_TYPES, get_org

# Accepted header names (Chinese as the park's spreadsheets have them, or the API names).
HEADERS = {
    "name": ("name", "姓名"),
    "phone": ("phone", "手机", "手机号", "手机号码", "联系电话"),
    "status": ("status", "身份", "党员类别", "类别", "政治面貌"),
    "org": ("org", "org_id", "所属组织", "所在支部", "支部", "组织"),
    "joined_on": ("joined_on", "入党日期", "入党时间"),
    "gender": ("gender", "性别"),
    "member_since": ("member_since", "编入日期", "转入日期", "加入本支部日期"),
}
STATUS_WORDS = {label: key for key, label in STATUS_LABELS.items()} | {
    "党员": "full",
    "积极分子": "activist",
}
GENDER_WORDS = {label: key for key, label in GENDER_LABELS.items()}

_row_schema = MemberCreateSchema()


def _bad_file(what: str) -> APIError:
    return APIError(400, "import.bad_file", f"无法读取{what}文件，请确认文件完好且格式正确", {})


def read_table(filename: str, data: bytes) -> list[list[Any]]:
    """Rows of a CSV (UTF-8 with or without BOM, or GBK) or an XLSX file's first sheet."""
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                # read-only sheets parse lazily: a damaged sheet fails here, not on open
                return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
            finally:
                wb.close()
        except Exception as exc:  # zip, XML and openpyxl errors alike mean a damaged file
            raise _bad_file(" Excel ") from exc
    if name.endswith(".csv") or name.endswith(".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise APIError(400, "import.bad_encoding", "无法识别文件编码，请另存为 UTF-8 CSV", {})
        try:
            return [row for row in csv.reader(io.StringIO(text))]
        except csv.Error as exc:  # e.g. a cell over the csv module's field limit
            raise _bad_file(" CSV ") from exc
    raise APIError(
        415, "import.unsupported_format", "仅支持 CSV 或 XLSX 文件", {"filename": filename}
    )


def _header_map(header: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(header):
        label = str(cell or "").strip().lower()
        for field, names in HEADERS.items():
            if label in names and field not in found:
                found[field] = idx
    if "name" not in found:
        raise APIError(
            400,
            "import.missing_columns",
            "缺少必需的列：姓名",
            {"expected": {k: v[1] if len(v) > 1 else v[0] for k, v in HEADERS.items()}},
        )
    return found


def _cell(row: list[Any], idx: int | None) -> Any:
    if idx is None or idx >= len(row):
        return None
    value = row[idx]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")


def _number_text(value: Any) -> str:
    """Excel keeps long digit strings as numbers: 13800001234 or 13800001234.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _date_text(value: Any) -> str:
    """A date cell, an Excel day number, or 2019/7/1, 2019.07.01, 2019年7月1日 → ISO 8601."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return from_excel(value).date().isoformat()
        except (ValueError, OverflowError, TypeError):
            return str(value)
    text = str(value)
    match = _DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"  # an impossible date is left to the schema
    return text


def _normalise(row: list[Any], cols: dict[str, int]) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": _cell(row, cols.get("name"))}
    phone = _cell(row, cols.get("phone"))
    if phone is not None:
        raw["phone"] = _PHONE_SEPARATORS.sub("", _number_text(phone))
    status = _cell(row, cols.get("status"))
    if status is not None:
        raw["status"] = STATUS_WORDS.get(str(status), str(status))
    gender = _cell(row, cols.get("gender"))
    if gender is not None:
        raw["gender"] = GENDER_WORDS.get(str(gender), str(gender))
    joined = _cell(row, cols.get("joined_on"))
    if joined is not None:
        raw["joined_on"] = _date_text(joined)
    since = _cell(row, cols.get("member_since"))
    if since is not None:
        raw["member_since"] = _date_text(since)
    raw["org"] = _cell(row, cols.get("org"))
    return raw


def _find_org(principal: Principal, key: str) -> Organization | str:
    """An org by id or by name; a name shared by several orgs means the one the caller manages."""
    if key.isdigit():
        org = db.session.get(Organization, int(key))
        candidates = [org] if org is not None and org.is_active else []
    else:
        candidates = list(
            db.session.scalars(
                select(Organization).where(
                    Organization.name == key, Organization.is_active.is_(True)
                )
            )
        )
    if not candidates:
        return f"组织“{key}”不存在"
    managed = [o for o in candidates if principal.can_manage_org(o)]
    if not managed:
        return f"无权向“{key}”导入党员"
    branches = [o for o in managed if o.type in MEMBER_ORG_TYPES]
    if not branches:
        return f"“{key}”不是党支部或党小组"
    if len(branches) > 1:
        return f"有多个名为“{key}”的组织，请改填组织编号"
    return branches[0]


def _resolve_org(
    principal: Principal, value: Any, default: Organization | None, cache: dict
) -> Organization | str:
    if value is None:
        return default if default is not None else "缺少所属组织"
    key = _number_text(value)
    if key not in cache:
        cache[key] = _find_org(principal, key)
    return cache[key]


def _default_org(principal: Principal, org_id: int) -> Organization:
    """The org of rows without their own: it must exist, take members, and be the caller's."""
    org = get_org(org_id)
    if org.type not in MEMBER_ORG_TYPES:
        raise APIError(
            400, "member.org_not_branch", "党员只能编入党支部或党小组", {"org_id": org_id}
        )
    principal.require_manage(org)
    return org


def import_members(
    principal: Principal, filename: str, data: bytes, default_org_id: int | None
) -> list[Member]:
    """Validate every row, then insert all of them in one flush — or none, with row errors."""
    default_org = _default_org(principal, default_org_id) if default_org_id is not None else None
    rows = read_table(filename, data)
    while rows and not any(c not in (None, "") for c in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise APIError(400, "import.empty", "文件中没有可导入的数据行", {})
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if len(rows) - 1 > limit:
        raise APIError(400, "import.too_many_rows", f"单次最多导入{limit}行", {"limit": limit})
    cols = _header_map(rows[0])

    errors: dict[int, dict[str, list[str]]] = {}
    valid: dict[int, dict[str, Any]] = {}
    seen_phones: dict[str, int] = {}
    org_cache: dict[str, Any] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c not in (None, "") for c in row):
            continue
        raw = _normalise(row, cols)
        row_errors: dict[str, list[str]] = {}
        org = _resolve_org(principal, raw.pop("org"), default_org, org_cache)
        if isinstance(org, str):
            row_errors["org"] = [org]
        else:
            raw["org_id"] = org.id
        try:
            loaded = _row_schema.load(raw)
        except ma.ValidationError as exc:
            messages = translate_messages(exc.messages)
            row_errors.update(
                {k: v for k, v in messages.items() if not (k == "org_id" and "org" in row_errors)}
            )
            loaded = None
        phone = raw.get("phone")
        if phone:
            if phone in seen_phones:
                row_errors.setdefault("phone", []).append(f"与第{seen_phones[phone]}行重复")
            seen_phones.setdefault(phone, number)
        if row_errors:
            errors[number] = row_errors
        elif loaded is not None:
            valid[number] = loaded

    if seen_phones:
        # inactive members keep their number (history), so it stays taken
        taken = set(
            db.session.scalars(select(Member.phone).where(Member.phone.in_(list(seen_phones))))
        )
        for phone in taken:
            number = seen_phones[phone]
            errors.setdefault(number, {}).setdefault("phone", []).append("该手机号已存在")
            valid.pop(number, None)
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
    members = []
    for item in valid.values():
        since = item.pop("member_since", None)
        member = Member(**item)
        org = db.session.get(Organization, member.org_id)
        # read by app.members.history when the row is flushed
        member.member_since = since or default_member_since(member.joined_on, org)
        members.append(member)
    db.session.add_all(members)
    db.session.flush()
    return members
