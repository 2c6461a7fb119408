"""Time a reminder fan-out in-process: `write_reminder` to N members of the bench database.

Prints one JSON line: rows added and seconds for the first write, and for an identical
second write (the natural key makes it add nothing). DATABASE_URL names the database.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@click.command()
@click.option("--members", default=10_000, show_default=True)
@click.option("--repeat", default=3, show_default=True, help="fan-outs, each with its own cause")
def main(members: int, repeat: int) -> None:
    """Fan one reminder out to the first N active members, `repeat` times."""
    from sqlalchemy import select

    from app.extensions import db
    from app.members.models import Member
    from app.notify.services import Reminder, write_reminder
    from app.timeutil import local_day, utcnow
    from wsgi import make_app

    app = make_app()
    runs = []
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Member.id)
                .where(Member.is_active.is_(True))
                .order_by(Member.id)
                .limit(members)
            )
        )
        for _ in range(repeat):
            now = utcnow()
            reminder = Reminder(
                kind="activity_published",
                cause=f"bench:{uuid.uuid4().hex[:12]}",
                day=local_day(now),
                title="基准测试：新活动发布",
                body="第四季度党课，园区党群服务中心",
                member_ids=ids,
                data={"page": "pages/activity/detail?id=1"},
            )
            t0 = time.perf_counter()
            added = write_reminder(reminder, now)
            db.session.commit()
            t1 = time.perf_counter()
            again = write_reminder(reminder, now)
            db.session.commit()
            t2 = time.perf_counter()
            runs.append(
                {
                    "added": added,
                    "seconds": round(t1 - t0, 4),
                    "rerun_added": again,
                    "rerun_seconds": round(t2 - t1, 4),
                }
            )
    print(json.dumps({"members": len(ids), "runs": runs}))


if __name__ == "__main__":
    main()
