"""The compliance matrix as its JSON answer, written without a marshmallow pass.

A city's matrix is 20 MB of JSON: it is dumped by hand (`dump_compliance`, pinned equal to
ComplianceReportSchema's dump) and encoded by orjson, with the cyclic collector paused
while its ~350,000 objects live. Its own module: it joins the report and the study hours,
which import each other's module lazily otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from app.auth import Principal
from app.reports.frozen import gc_paused
from app.reports.schemas import dump_compliance
from app.reports.services import compliance_for
from app.reports.study import with_study_hours


def compliance_json(principal: Principal, args: dict[str, Any], now: datetime) -> bytes:
    """The compliance matrix with study hours as its JSON answer (ComplianceReportSchema's)."""
    with gc_paused():
        report = with_study_hours(compliance_for(principal, args, now), "compliance", now)
        body = orjson.dumps(dump_compliance(report))
        del report  # a city's 350,000 objects go by reference count, the collector still off
    return body
