"""Boundary helpers shared by every domain: local-time datetimes and the page envelope."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache

import marshmallow as ma
from flask import current_app
from marshmallow import validate

from app.timeutil import ensure_aware, to_local
from app.validation import YEAR_MAX, YEAR_MESSAGE, YEAR_MIN

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ID = 2**31 - 1
ID = validate.Range(min=1, max=MAX_ID)


def sane_time(value: datetime) -> None:
    """Between 2000 and 2100 (also keeps far-off years from overflowing on conversion)."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ma.ValidationError("时间超出范围") from exc
    if not EARLIEST <= utc < LATEST:
        raise ma.ValidationError("时间须在2000年至2100年之间")


def sane_day(value: date) -> None:
    """Between 1900 and 2100."""
    if not date(1900, 1, 1) <= value < date(2100, 1, 1):
        raise ma.ValidationError("日期须在1900年至2100年之间")


def day_field(**kw) -> ma.fields.Date:
    """A date within sane bounds."""
    return ma.fields.Date(validate=sane_day, **kw)


def id_field(**kw) -> ma.fields.Integer:
    """A database id (bounded, so no engine ever sees an out-of-range integer)."""
    return ma.fields.Integer(validate=ID, **kw)


class LocalDateTime(ma.fields.DateTime):
    """ISO 8601 with offset, shown in the display zone; naive input is read as local time."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return to_local(value).isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        parsed: datetime = super()._deserialize(value, attr, data, **kwargs)
        if not YEAR_MIN <= parsed.year <= YEAR_MAX:  # before zone arithmetic can overflow
            raise ma.ValidationError(YEAR_MESSAGE)
        return ensure_aware(parsed)


class PageArgsSchema(ma.Schema):
    """`?page=&per_page=` for every list; per_page is capped."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


@cache
def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The list envelope `{items, page, per_page, total}` around an item schema."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
        },
    )


def page_dict(pagination) -> dict:
    """A flask-sqlalchemy Pagination as the page envelope."""
    return {
        "items": pagination.items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
    }


def paginate(stmt, page: int, per_page: int) -> dict:
    """Run a select() one page at a time and answer the page envelope."""
    from app.extensions import db

    per_page = min(per_page, current_app.config["PER_PAGE_MAX"])
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    return page_dict(result)
