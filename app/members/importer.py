"""Bulk member import from CSV or XLSX: every row is validated first, then all or nothing."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import marshmallow as ma
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import select

from app.auth import Principal
from app.errors import APIError
from app.extensions import db
from app.members.models import GENDER_LABELS, STATUS_LABELS, Member
from app.members.schemas import MemberCreateSchema
from app.org.models import Organization

# Accepted header names (Chinese as the park's spreadsheets have them, or the API names).
HEADERS = {
    "name": ("name", "姓名"),
    "phone": ("phone", "手机", "手机号", "手机号码", "联系电话"),
    "status": ("status", "身份", "党员类别", "类别", "政治面貌"),
    "org": ("org", "org_id", "所属组织", "所在支部", "支部", "组织"),
    "joined_on": ("joined_on", "入党日期", "入党时间"),
    "gender": ("gender", "性别"),
}
STATUS_WORDS = {label: key for key, label in STATUS_LABELS.items()} | {
    "党员": "full",
    "积极分子": "activist",
}
GENDER_WORDS = {label: key for key, label in GENDER_LABELS.items()}

_row_schema = MemberCreateSchema()


def read_table(filename: str, data: bytes) -> list[list[Any]]:
    """Rows of a CSV (UTF-8 with or without BOM, or GBK) or an XLSX file's first sheet."""
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise APIError(
                400, "import.bad_file", "无法读取 Excel 文件，请确认是 .xlsx 格式", {}
            ) from exc
        try:
            return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    if name.endswith(".csv") or name.endswith(".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise APIError(400, "import.bad_encoding", "无法识别文件编码，请另存为 UTF-8 CSV", {})
        return [row for row in csv.reader(io.StringIO(text))]
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


def _normalise(row: list[Any], cols: dict[str, int]) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": _cell(row, cols.get("name"))}
    phone = _cell(row, cols.get("phone"))
    if phone is not None:
        raw["phone"] = str(int(phone)) if isinstance(phone, float) else str(phone)
    status = _cell(row, cols.get("status"))
    if status is not None:
        raw["status"] = STATUS_WORDS.get(str(status), str(status))
    gender = _cell(row, cols.get("gender"))
    if gender is not None:
        raw["gender"] = GENDER_WORDS.get(str(gender), str(gender))
    joined = _cell(row, cols.get("joined_on"))
    if joined is not None:
        # Excel gives datetimes; spreadsheets typed by hand give 2019/7/1 or 2019.07.01
        raw["joined_on"] = (
            joined.date().isoformat()
            if hasattr(joined, "date")
            else str(joined).replace("/", "-").replace(".", "-")
        )
    raw["org"] = _cell(row, cols.get("org"))
    return raw


def _resolve_org(
    principal: Principal, value: Any, default: Organization | None, cache: dict
) -> Organization | str:
    if value is None:
        return default if default is not None else "缺少所属组织"
    key = str(value)
    if key not in cache:
        org = None
        if key.isdigit():
            org = db.session.get(Organization, int(key))
        else:
            org = db.session.scalar(
                select(Organization).where(
                    Organization.name == key, Organization.is_active.is_(True)
                )
            )
        if org is None or not org.is_active:
            cache[key] = f"组织“{key}”不存在"
        elif org.type not in ("branch", "group"):
            cache[key] = f"“{org.name}”不是党支部或党小组"
        elif not principal.can_manage_org(org):
            cache[key] = f"无权向“{org.name}”导入党员"
        else:
            cache[key] = org
    return cache[key]


def import_members(
    principal: Principal, filename: str, data: bytes, default_org_id: int | None
) -> list[Member]:
    """Validate every row, then insert all of them in one flush — or none, with row errors."""
    default_org = None
    if default_org_id is not None:
        default_org = _resolve_org(principal, str(default_org_id), None, {})
        if isinstance(default_org, str):
            raise APIError(400, "import.bad_org", default_org, {"org_id": default_org_id})
    rows = read_table(filename, data)
    while rows and not any(c not in (None, "") for c in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise APIError(400, "import.empty", "文件中没有可导入的数据行", {})
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if len(rows) - 1 > limit:
        raise APIError(400, "import.too_many_rows", f"单次最多导入{limit}行", {"limit": limit})
    cols = _header_map(rows[0])

    errors: list[dict[str, Any]] = []
    valid: list[dict[str, Any]] = []
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
            row_errors.update(
                {
                    k: v
                    for k, v in exc.messages.items()
                    if not (k == "org_id" and "org" in row_errors)
                }
            )
            loaded = None
        phone = raw.get("phone")
        if phone:
            if phone in seen_phones:
                row_errors.setdefault("phone", []).append(f"与第{seen_phones[phone]}行重复")
            seen_phones.setdefault(phone, number)
        if row_errors:
            errors.append({"row": number, "errors": row_errors})
        elif loaded is not None:
            valid.append({**loaded, "_row": number})

    if seen_phones:
        taken = set(
            db.session.scalars(select(Member.phone).where(Member.phone.in_(list(seen_phones))))
        )
        for item in valid:
            if item.get("phone") in taken:
                errors.append({"row": item["_row"], "errors": {"phone": ["该手机号已存在"]}})
    if errors:
        errors.sort(key=lambda e: e["row"])
        raise APIError(
            400,
            "import.invalid_rows",
            f"共有{len(errors)}行数据有误，未导入任何数据",
            {"rows": len(rows) - 1, "errors": errors},
        )
    members = [Member(**{k: v for k, v in item.items() if k != "_row"}) for item in valid]
    db.session.add_all(members)
    db.session.flush()
    return members
