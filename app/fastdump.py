"""A marshmallow Schema whose dump skips marshmallow's per-field machinery on the hot paths.

marshmallow's `Schema._serialize` calls, for every field of every object, `Field.serialize`,
the schema's `get_attribute`, `utils.get_value` (a `hasattr`, a `try` around `obj[key]`) and
the field's `_serialize`: a leaderboard of 20 rows is ~1,100 such calls. `FastDumpSchema`
plans each schema instance's fields once (key, attribute, how to format) and then reads and
formats with plain Python: integers, floats and strings inline, every other field through
its own `_serialize` (so a custom field formats exactly as it would). The schema, its
fields and the OpenAPI document are unchanged; only the dump is quicker.

The answer must equal marshmallow's own dump. With `VERIFY` on (the test suite turns it on
for every test), every fast dump is compared with marshmallow's and a difference raises.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow.utils import missing

VERIFY = False  # tests/conftest.py: compare every fast dump with marshmallow's own

_INT, _FLOAT, _STR, _FIELD, _GENERIC = range(5)


def _kind(field: ma.fields.Field) -> int:
    cls = type(field)
    if not field._CHECK_ATTRIBUTE or field.dump_default is not missing:
        return _GENERIC  # no attribute to read, or a default to fill in: marshmallow's path
    if cls is ma.fields.Integer and not field.as_string:
        return _INT
    if cls is ma.fields.Float and not field.as_string:
        return _FLOAT
    if cls is ma.fields.String:
        return _STR
    return _FIELD


class FastDumpSchema(ma.Schema):
    """A Schema whose dump plans its fields once and formats simple ones inline."""

    _plan: list[tuple[str, str, str, int, ma.fields.Field]] | None = None

    def _serialize(self, obj: Any, *, many: bool = False):
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        if type(self).get_attribute is not ma.Schema.get_attribute:
            return super()._serialize(obj)
        out = self._fast(obj)
        if VERIFY:
            expected = super()._serialize(obj)
            if out != expected or list(out) != list(expected):
                raise AssertionError(f"{type(self).__name__}: {out!r} != {expected!r}")
        return out

    def _fast(self, obj: Any) -> dict[str, Any]:
        plan = self._plan
        if plan is None:
            plan = self._plan = [
                (
                    name,
                    field.data_key if field.data_key is not None else name,
                    field.attribute or name,
                    _kind(field),
                    field,
                )
                for name, field in self.dump_fields.items()
            ]
        # dicts and plain objects are read directly; anything else as marshmallow reads it
        if type(obj) is dict:
            read = obj.get
            fallback = None
        elif not hasattr(obj, "__getitem__"):
            read = None
            fallback = None
        else:
            read = None
            fallback = obj
        out = self.dict_class()
        for name, key, attr, kind, field in plan:
            if kind == _GENERIC or "." in attr or fallback is not None:
                value = field.serialize(name, obj, accessor=self.get_attribute)
                if value is not missing:
                    out[key] = value
                continue
            if read is not None:
                value = read(attr, missing)
                if value is missing:  # as marshmallow: a dict without the key, then getattr
                    value = getattr(obj, attr, missing)
            else:
                value = getattr(obj, attr, missing)
            if value is missing:
                continue
            if value is None and kind != _FIELD:
                out[key] = None
            elif kind == _INT:
                out[key] = int(value)
            elif kind == _STR:
                out[key] = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            elif kind == _FLOAT:
                out[key] = float(value)
            else:
                out[key] = field._serialize(value, attr, obj)
        return out


def marshmallow_dump(schema: ma.Schema, obj: Any, *, many: bool | None = None):
    """What marshmallow itself would dump (for tests and comparisons)."""
    many = schema.many if many is None else bool(many)
    if many:
        return [ma.Schema._serialize(schema, item) for item in obj]
    return ma.Schema._serialize(schema, obj)
