"""Bulk member import from CSV or XLSX: every row is validated first, then all or nothing."""

from __future__ import annotations

import csv
import io
import re
import zipfile
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


def _too_large(reason: str) -> APIError:
    return APIError(
        400,
        "import.too_large",
        "文件过大或行数过多，请拆分后分批导入",
        {"reason": reason, "max_rows": current_app.config["IMPORT_MAX_ROWS"]},
    )


def _check_archive(data: bytes) -> None:
    """Refuse a spreadsheet bomb from the zip directory alone, before anything inflates: the
    declared sizes bound what zipfile will ever decompress (it stops at the declared size)."""
    limit = current_app.config["IMPORT_MAX_UNZIPPED_BYTES"]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _bad_file(" Excel ") from exc
    if len(entries) > 1000 or sum(e.file_size for e in entries) > limit:
        raise _too_large("unzipped_size")


class _RowCollector:
    """Collects rows while streaming; refuses as soon as there are too many.

    Blank rows keep their place (row numbers in errors match the file) as empty lists, and
    trailing empty cells are dropped, so a sheet padded to 16,384 columns costs nothing.
    """

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.rows: list[list[Any]] = []
        self.filled = 0

    def add(self, row) -> None:
        values = list(row)
        while values and values[-1] in (None, ""):
            values.pop()
        self.rows.append(values)
        if values:
            self.filled += 1
            if self.filled > self.max_rows + 1:  # + the header row
                limit = self.max_rows
                raise APIError(
                    400, "import.too_many_rows", f"单次最多导入{limit}行", {"limit": limit}
                )
        elif len(self.rows) > 20 * (self.max_rows + 1):  # millions of blank rows
            raise _too_large("blank_rows")


def _xlsx_rows(data: bytes, collector: _RowCollector) -> None:
    _check_archive(data)
    cfg = current_app.config
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl errors alike mean a damaged file
        raise _bad_file(" Excel ") from exc
    try:
        sheet = wb.worksheets[0]
        # the sheet's own <dimension>, read without parsing a row: 4 million rows stop here
        if (sheet.max_row or 0) > 20 * (collector.max_rows + 1):
            raise _too_large("declared_rows")
        sheet.reset_dimensions()  # a dimension declaring fewer rows must not cut the stream
        # read-only sheets stream and parse lazily: a damaged sheet fails here, not on open
        for row in sheet.iter_rows(values_only=True, max_col=cfg["IMPORT_MAX_COLUMNS"]):
            collector.add(row)
    except APIError:
        raise
    except Exception as exc:
        raise _bad_file(" Excel ") from exc
    finally:
        wb.close()


def read_table(filename: str, data: bytes) -> list[list[Any]]:
    """Rows of a CSV (UTF-8 with or without BOM, or GBK) or an XLSX file's first sheet,
    streamed and refused early when larger than an import may be (`import.too_large`,
    `import.too_many_rows`). Trailing empty cells of a row are dropped."""
    name = filename.lower()
    collector = _RowCollector(current_app.config["IMPORT_MAX_ROWS"])
    if name.endswith(".xlsx") or data[:2] == b"PK":
        _xlsx_rows(data, collector)
        return collector.rows
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
            for row in csv.reader(io.StringIO(text)):
                collector.add(row)
        except csv.Error as exc:  # e.g. a cell over the csv module's field limit
            raise _bad_file(" CSV ") from exc
        return collector.rows
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


def _check_taken_phones(
    principal: Principal,
    seen_phones: dict[str, int],
    errors: dict[int, dict[str, list[str]]],
    valid: dict[int, dict[str, Any]],
) -> int:
    """Report numbers already taken by members the caller may read on their rows; count the
    others (checked only when every row is otherwise valid: a file of broken rows learns
    nothing). Inactive members keep their number (history), so it stays taken."""
    if not seen_phones:
        return 0
    rows = db.session.execute(
        select(Member.phone, Organization.path)
        .join(Organization, Organization.id == Member.org_id)
        .where(Member.phone.in_(list(seen_phones)))
    ).all()
    paths = principal.read_paths()
    hidden = 0
    for phone, path in rows:
        number = seen_phones[phone]
        if paths is None or path.startswith(tuple(paths)):
            errors.setdefault(number, {}).setdefault("phone", []).append("该手机号已存在")
            valid.pop(number, None)
        else:
            hidden += 1
    return 0 if errors else hidden


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

    hidden = _check_taken_phones(principal, seen_phones, errors, valid)
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
    if hidden:
        # taken by members the caller may not see: say so without naming a row or a number,
        # or the import becomes an oracle that unmasks 139****4153 in a few requests
        raise APIError(
            400,
            "import.phone_unavailable",
            f"有{hidden}个手机号无法登记（可能已在其他组织登记），请核对后再导入，或联系上级党组织",
            {"count": hidden},
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
