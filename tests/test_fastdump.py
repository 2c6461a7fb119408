"""FastDumpSchema dumps exactly what marshmallow dumps, for every kind of field and object."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import marshmallow as ma
import pytest

from app import fastdump
from app.fastdump import FastDumpSchema
from app.schemas import LocalDateTime


def _fields() -> dict:
    inner = {"id": ma.fields.Integer(), "label": ma.fields.String(allow_none=True)}
    return {
        "id": ma.fields.Integer(),
        "ratio": ma.fields.Float(allow_none=True),
        "name": ma.fields.String(),
        "code": ma.fields.String(data_key="codeKey"),
        "title": ma.fields.String(attribute="heading"),
        "deep": ma.fields.String(attribute="parent.name"),
        "flag": ma.fields.Boolean(),
        "count_s": ma.fields.Integer(as_string=True),
        "day": ma.fields.Date(),
        "at": LocalDateTime(allow_none=True),
        "tags": ma.fields.List(ma.fields.String()),
        "one": ma.fields.Nested(ma.Schema.from_dict(inner), allow_none=True),
        "many": ma.fields.List(ma.fields.Nested(ma.Schema.from_dict(inner))),
        "with_default": ma.fields.Integer(dump_default=7),
        "kind": ma.fields.Method("kind_of"),
        "constant": ma.fields.Constant("c"),
        "copy": ma.fields.String(),  # a dict without the key: marshmallow reads the attribute
    }


def _pair():
    """The same fields in a marshmallow Schema and in a FastDumpSchema."""

    def kind_of(self, obj):
        return "dict" if isinstance(obj, dict) else "object"

    slow = type("Slow", (ma.Schema,), {**_fields(), "kind_of": kind_of})
    fast = type("Fast", (FastDumpSchema,), {**_fields(), "kind_of": kind_of})
    return slow, fast


FULL = {
    "id": Decimal("12"),
    "ratio": 1,
    "name": b"\xe5\x85\x9a",
    "code": 42,
    "heading": "标题",
    "parent": {"name": "上级"},
    "flag": "false",
    "count_s": 3,
    "day": date(2026, 11, 30),
    "at": datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC),
    "tags": ["a", 1],
    "one": {"id": 1, "label": None},
    "many": [{"id": 2, "label": "x"}, SimpleNamespace(id=3, label="y")],
    "kind": "ignored",
}
SPARSE = {"id": None, "name": None, "at": None, "one": None, "items": 1}


class WithGetitem:
    """An object that is indexable (as SQLAlchemy rows are): marshmallow tries obj[key]."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]


@pytest.mark.parametrize(
    "obj",
    [
        FULL,
        SPARSE,
        {},
        SimpleNamespace(**FULL),
        SimpleNamespace(**SPARSE),
        WithGetitem(FULL),
        {"items": 3, "id": 1},  # a dict without the key falls back to its attribute
    ],
    ids=["dict", "sparse", "empty", "object", "sparse-object", "getitem", "dict-attr"],
)
def test_fast_dump_equals_marshmallow(obj):
    slow, fast = _pair()
    expected = slow().dump(obj)
    got = fast().dump(obj)
    assert got == expected
    assert list(got) == list(expected)  # the same keys in the same order


def test_many_only_exclude_and_hooks_follow_marshmallow():
    slow, fast = _pair()
    rows = [FULL, SPARSE, SimpleNamespace(**FULL)]
    assert fast(many=True).dump(rows) == slow(many=True).dump(rows)
    assert fast(only=("id", "name")).dump(FULL) == slow(only=("id", "name")).dump(FULL)
    assert fast(exclude=("many",)).dump(FULL) == slow(exclude=("many",)).dump(FULL)

    class Hooked(fast):
        @ma.post_dump
        def shout(self, data, **kwargs):
            return {**data, "name": "!"}

    class SlowHooked(slow):
        @ma.post_dump
        def shout(self, data, **kwargs):
            return {**data, "name": "!"}

    assert Hooked().dump(FULL) == SlowHooked().dump(FULL)


def test_verify_catches_a_difference(monkeypatch):
    """With VERIFY on (as in the whole suite) a fast dump that differs raises."""
    _slow, fast = _pair()
    monkeypatch.setattr(fastdump, "VERIFY", True)
    monkeypatch.setattr(FastDumpSchema, "_fast", lambda self, obj: {"id": -1})
    with pytest.raises(AssertionError):
        fast().dump(FULL)


def test_the_hot_response_schemas_are_fast():
    """The hot paths' response schemas take the fast dump."""
    from app.accounts.schemas import MeSchema
    from app.activities.schemas import AttendanceSchema
    from app.points.schemas import LeaderboardSchema, PointsMeSchema
    from miniprogram_api.schemas import HomeSchema

    for schema in (MeSchema, AttendanceSchema, LeaderboardSchema, PointsMeSchema, HomeSchema):
        assert issubclass(schema, FastDumpSchema), schema
