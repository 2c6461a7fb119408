"""Generate a city (or a park) of Party organisation life for the benchmarks.

A work committee (党工委) over P parks (综合党委), B branches (党支部, some with 党小组) and
about N members; one year of activities per branch as rule 2 asks (主题党日 and 支委会 monthly,
党员大会 and 党课 quarterly, 组织生活会, 民主评议, 谈心谈话, a little volunteer service and
training), their attendance with leave and make-up, study days, and the points ledger with
its maintained totals (member_points and, when the table exists, member_point_periods) —
totals equal ledger sums by construction, and checked at the end.

Every branch draws its content from its own random stream, seeded by (seed, park, branch):
the first branch of the first park is the same branch in a 9-branch park and in a
3,000-branch city, which is what the growth-factor scenario compares.

PostgreSQL is loaded with COPY (psycopg 3), SQLite (`--sqlite PATH`) with batched inserts.
The schema must exist (`flask --app wsgi db upgrade`); the database must be empty.
Timestamps are naive UTC; local days are Asia/Shanghai (UTC+8, no daylight saving).

    .venv/bin/python scripts/bench/generate.py --database-url postgresql://…/party_bench \\
        --members 100000 --branches 3000 --parks 100 --seed 1 --out scripts/bench/out/city
"""

from __future__ import annotations

import gc
import json
import os
import random
import sqlite3
import sys
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the year of life (schedule, attendance draws, study, the points book) is shared with the
# demo park: app/lifegen.py
from app.lifegen import (  # noqa: E402
    PLACES,
    REQUIRED_MEETINGS,
    PointsBook,
    draw_outcome,
    local_day,
    study_year,
    title,
    utc,
    year_schedule,
)

BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 — bench users on a throwaway database
MAX_BRANCH = 50  # rule 1: a branch has at most 50 members
MIN_BRANCH = 3

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹"
    "薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文"
    "斌宇浩凯健俊帆帅旭宁瑞欣雪琳婷晨阳东海波峰林毅涵博然浩轩子怡思雨佳琪"
)
INDUSTRY = [
    "电子信息",
    "新材料",
    "装备制造",
    "食品饮料",
    "生物医药",
    "现代物流",
    "新能源",
    "纺织服装",
    "化工",
    "建材",
]
COMMITTEE_ROLES_5 = ("secretary", "deputy_secretary", "organizer", "publicity", "discipline")
COMMITTEE_ROLES_3 = ("secretary", "organizer", "publicity")


# --- the rows of each table, in column order -------------------------------------------------

COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": [
        "id",
        "name",
        "type",
        "build_mode",
        "parent_id",
        "path",
        "depth",
        "theme_day",
        "public_ranking",
        "is_active",
        "created_at",
        "updated_at",
    ],
    "members": [
        "id",
        "name",
        "phone",
        "status",
        "gender",
        "joined_on",
        "org_id",
        "excused",
        "openid",
        "unionid",
        "bound_at",
        "usual_device",
        "privacy_version",
        "privacy_accepted_at",
        "is_active",
        "deactivated_at",
        "created_at",
        "updated_at",
    ],
    "users": [
        "id",
        "username",
        "password_hash",
        "display_name",
        "is_admin",
        "is_active",
        "member_id",
        "created_at",
        "last_login_at",
    ],
    "org_roles": ["id", "org_id", "member_id", "user_id", "role", "created_at"],
    "activities": [
        "id",
        "org_id",
        "type",
        "title",
        "agenda",
        "location",
        "starts_at",
        "ends_at",
        "checkin_opens_before_minutes",
        "checkin_closes_after_minutes",
        "late_after_minutes",
        "checkin_opens_at",
        "checkin_closes_at",
        "status",
        "published_at",
        "summary",
        "volunteer_hours",
        "recorded_at",
        "created_by_member_id",
        "created_at",
        "updated_at",
        "held_on",
    ],
    # effective-dated history (issue 15): every member as generated, since before any record
    "member_history": ["member_id", "org_id", "status", "valid_from", "valid_to", "created_at"],
    "member_excusals": ["member_id", "from_on", "to_on", "reason", "created_at"],
    "attendances": [
        "id",
        "activity_id",
        "member_id",
        "status",
        "method",
        "checked_in_at",
        "new_device",
        "recorded_by_member_id",
        "reason",
        "created_at",
        "updated_at",
    ],
    "attendance_requests": [
        "id",
        "activity_id",
        "member_id",
        "kind",
        "reason",
        "status",
        "decided_at",
        "decided_by_member_id",
        "decision_note",
        "created_at",
    ],
    "point_ledger": [
        "id",
        "member_id",
        "rule_id",
        "action",
        "delta",
        "reason",
        "source_type",
        "source_id",
        "day",
        "idempotency_key",
        "created_at",
    ],
    "member_points": ["member_id", "total", "updated_at"],
    "member_point_periods": [
        "member_id",
        "period_kind",
        "period_key",
        "points",
        "branch_id",
        "park_id",
        "updated_at",
    ],
    "study_items": [
        "id",
        "kind",
        "title",
        "summary",
        "body",
        "org_id",
        "publish_at",
        "minutes",
        "is_active",
        "created_at",
        "updated_at",
    ],
    "study_days": ["member_id", "day", "seconds", "updated_at"],
}
# Loaded in this order (foreign keys); the optional ones only when the schema has them.
ORDER = (
    "organizations",
    "members",
    "member_history",
    "member_excusals",
    "users",
    "org_roles",
    "study_items",
    "activities",
    "attendances",
    "attendance_requests",
    "point_ledger",
    "member_points",
    "member_point_periods",
    "study_days",
)
OPTIONAL = frozenset(
    {"member_point_periods", "study_items", "study_days", "member_history", "member_excusals"}
)
WITH_ID_SEQUENCE = ("organizations", "members", "users", "org_roles", "study_items",
                    "activities", "attendances", "attendance_requests", "point_ledger")  # fmt: skip


@dataclass
class Plan:
    """What to generate."""

    members: int
    branches: int
    parks: int
    seed: int
    now: datetime  # naive UTC
    study: bool = True

    @property
    def today(self) -> date:
        return local_day(self.now)


@dataclass
class Data:
    """Everything generated, as tuples per table, plus what the benchmarks need to know."""

    rows: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    ids: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    periods: dict[tuple[int, str, str], int] = field(default_factory=lambda: defaultdict(int))
    scope: dict[int, tuple[int, int]] = field(default_factory=dict)  # member → (branch, park)
    park_members: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    parks: list[int] = field(default_factory=list)
    branches: list[int] = field(default_factory=list)
    active_members: list[int] = field(default_factory=list)
    work_committee: int = 0

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]


class Generator:
    """Builds `Data` for a plan; the rule ids come from the migrated database."""

    def __init__(self, plan: Plan, rule_ids: dict[str, int]) -> None:
        self.plan = plan
        self.rules = rule_ids
        self.data = Data()
        self.created = utc(datetime.combine(plan.today - timedelta(days=400), datetime.min.time()))
        self.start_day = plan.today - timedelta(days=364)
        self.end_day = plan.today + timedelta(days=14)
        self.briefs: dict[date, int] = {}
        self.lessons: dict[date, tuple[int, int]] = {}  # day → (item id, minutes)
        self.book = PointsBook(rule_ids, lambda: self.data.next_id("point_ledger"))
        # the book's rows, member totals and period totals are the data's
        self.data.rows["point_ledger"] = self.book.rows
        self.data.totals = self.book.totals
        self.data.periods = self.book.periods

    # -- helpers ---------------------------------------------------------------------------

    def ledger(self, member_id, action, delta, reason, source_type, source_id, key, at) -> None:
        self.book.add(member_id, action, delta, reason, source_type, source_id, key, at)

    @staticmethod
    def name(rng: random.Random) -> str:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    def branch_sizes(self) -> list[int]:
        """Members per branch: each from its own stream, then nudged from the end to hit N."""
        p = self.plan
        mean = p.members / p.branches
        sizes = []
        for park, index in self.branch_slots():
            rng = random.Random(f"{p.seed}/size/{park}/{index}")
            sizes.append(max(MIN_BRANCH, min(MAX_BRANCH, round(rng.gauss(mean, mean * 0.3)))))
        diff = p.members - sum(sizes)
        i = len(sizes) - 1
        while diff != 0 and i >= 1:  # the first branch keeps its size (growth comparison)
            step = max(-(sizes[i] - MIN_BRANCH), min(MAX_BRANCH - sizes[i], diff))
            sizes[i] += step
            diff -= step
            i -= 1
        return sizes

    def branch_slots(self) -> list[tuple[int, int]]:
        """(park index, branch index within the park) of every branch, parks in turn."""
        p = self.plan
        slots = []
        for park in range(p.parks):
            lo, hi = park * p.branches // p.parks, (park + 1) * p.branches // p.parks
            slots.extend((park, i) for i in range(hi - lo))
        return slots

    # -- the tree ------------------------------------------------------------------------

    def org(self, name, type_, parent, build_mode=None, theme_day=None) -> tuple[int, str]:
        d = self.data
        oid = d.next_id("organizations")
        path = (parent[1] if parent else "/") + f"{oid}/"
        d.rows["organizations"].append(
            (
                oid,
                name[:100],
                type_,
                build_mode,
                parent[0] if parent else None,
                path,
                path.count("/") - 2,
                theme_day,
                True,
                True,
                self.created,
                self.created,
            )
        )
        return oid, path

    def generate(self, progress=None) -> Data:
        p, d = self.plan, self.data
        work = self.org("市直工业园区党工委", "work_committee", None)
        d.work_committee = work[0]
        self.study_items(work[0])
        parks = []
        for i in range(p.parks):
            park = self.org(f"第{i + 1}园区综合服务党委", "general_committee", work)
            parks.append(park)
            d.parks.append(park[0])
        sizes = self.branch_sizes()
        for n, ((park_index, index), size) in enumerate(
            zip(self.branch_slots(), sizes, strict=True)
        ):
            self.branch(parks[park_index], park_index, index, size)
            if progress is not None:
                progress(n + 1)
        return d

    # -- one branch: members, roles, groups, a year of activities, attendance, study ----------

    def branch(self, park: tuple[int, str], park_index: int, index: int, size: int) -> None:
        p, d = self.plan, self.data
        rng = random.Random(f"{p.seed}/branch/{park_index}/{index}")
        company = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(INDUSTRY)}"
        mode = "standalone" if size >= 7 or rng.random() < 0.7 else "joint"
        theme_day = rng.randint(1, 28)
        branch = self.org(
            f"{company}党支部（{park_index + 1}-{index + 1}）", "branch", park, mode, theme_day
        )
        d.branches.append(branch[0])
        groups: list[tuple[int, str]] = []
        if size >= 30 and rng.random() < 0.3:
            for g in range(rng.randint(2, 3)):
                groups.append(self.org(f"第{g + 1}党小组", "group", branch))

        members = []  # (id, status, org id)
        for k in range(size):
            mid = d.next_id("members")
            r = rng.random()
            status = (
                "full"
                if r < 0.82
                else "probationary"
                if r < 0.9
                else "activist"
                if r < 0.97
                else "staff"
            )
            org_id = groups[k % len(groups)][0] if groups else branch[0]
            active = rng.random() > 0.01
            bound = rng.random() < 0.85
            joined = date(
                rng.randint(1975, p.today.year - 1), rng.randint(1, 12), rng.randint(1, 28)
            )
            d.rows["members"].append(
                (
                    mid,
                    self.name(rng),
                    f"13{mid:09d}",
                    status,
                    rng.choice(("male", "female")),
                    joined if status in ("full", "probationary") else None,
                    org_id,
                    rng.random() < 0.01,
                    f"o-bench-{mid:09d}" if bound else None,
                    None,
                    self.created if bound else None,
                    None,
                    "1.0" if bound else None,
                    self.created if bound else None,
                    active,
                    None if active else self.created + timedelta(days=200),
                    self.created,
                    self.created,
                )
            )
            d.scope[mid] = (branch[0], park[0])
            members.append((mid, status, org_id, active))
            if active:
                d.active_members.append(mid)
                if status != "staff":  # the bursts' members must be expected at a 党课
                    d.park_members[park[0]].append(mid)

        full = [m for m in members if m[1] == "full" and m[3]]
        committee: list[int] = []
        if len(full) >= 7:
            roles = COMMITTEE_ROLES_5 if len(full) >= 20 else COMMITTEE_ROLES_3
            chosen = rng.sample(full, len(roles))
            for role, m in zip(roles, chosen, strict=True):
                self.role(branch[0], m[0], role)
                committee.append(m[0])
        elif full:
            self.role(branch[0], full[0][0], "secretary")
            committee.append(full[0][0])
            if len(full) >= 5:
                self.role(branch[0], full[1][0], "deputy_secretary")
        secretary = committee[0] if committee else None

        diligence = rng.uniform(0.9, 1.0)  # share of required meetings actually held
        propensity = {m[0]: min(0.99, max(0.3, rng.gauss(0.86, 0.1))) for m in members}
        active_ids = [m[0] for m in members if m[3]]
        for kind, host, when in self.schedule(
            rng, theme_day, bool(committee) and len(full) >= 7, groups
        ):
            if kind in REQUIRED_MEETINGS and rng.random() > diligence:
                continue  # a missed meeting: the compliance report will show the gap
            host_id = host[0] if host else branch[0]
            expected = [m[0] for m in members if m[3] and m[2] == host_id] if host else active_ids
            self.activity(rng, kind, host_id, when, expected, committee, propensity, secretary)

        if p.study:
            for mid in active_ids:
                self.study(rng, mid)

    def role(self, org_id: int, member_id: int, role: str) -> None:
        d = self.data
        d.rows["org_roles"].append(
            (d.next_id("org_roles"), org_id, member_id, None, role, self.created)
        )

    def schedule(self, rng, theme_day, has_committee, groups):
        """(kind, host group or None, local start) of the branch's year, as rule 2 asks."""
        return year_schedule(rng, self.start_day, self.end_day, theme_day, has_committee, groups)

    def activity(self, rng, kind, host_id, local_start, expected, committee, propensity, secretary):
        d, now = self.data, self.plan.now
        aid = d.next_id("activities")
        starts = utc(local_start)
        ends = starts + timedelta(minutes=90)
        opens, closes = starts - timedelta(minutes=30), starts + timedelta(minutes=30)
        name = title(kind, local_start)
        past = closes <= now
        hours = rng.choice((2, 3, 4)) if kind == "volunteer" else None
        recorded = ends + timedelta(hours=2) if past and rng.random() < 0.7 else None
        published = starts - timedelta(days=3)
        d.rows["activities"].append(
            (
                aid,
                host_id,
                kind,
                name,
                "",
                rng.choice(PLACES),
                starts,
                ends,
                30,
                30,
                5,
                opens,
                closes,
                "published",
                published,
                "会议按议程进行，形成决议。" if recorded else None,
                float(hours) if hours and recorded else None,
                recorded,
                secretary,
                published,
                recorded or published,
                local_start.date(),
            )
        )
        if not past:
            return
        only = set(committee) if kind == "committee_meeting" else None
        for mid in expected:
            if only is not None and mid not in only:
                continue  # the rest of the branch is not at a 支委会 (counted absent)
            o = draw_outcome(rng, starts, ends, propensity[mid], secretary is not None)
            if o.leave:  # asked for leave beforehand
                asked, reason, approved = o.leave
                d.rows["attendance_requests"].append(
                    (
                        d.next_id("attendance_requests"),
                        aid,
                        mid,
                        "leave",
                        reason,
                        "approved" if approved else "rejected",
                        asked + timedelta(hours=5),
                        secretary,
                        "同意" if approved else "请按时参加",
                        asked,
                    )
                )
            if o.status == "makeup":  # 补签 by the secretary
                d.rows["attendances"].append(
                    (
                        d.next_id("attendances"),
                        aid,
                        mid,
                        "makeup",
                        "manual",
                        o.at,
                        False,
                        secretary,
                        "会后补签：现场签到设备故障",
                        o.at,
                        o.at,
                    )
                )
            if o.status not in ("present", "late"):
                continue  # on leave, absent, or signed in afterwards
            late = o.status == "late"
            d.rows["attendances"].append(
                (
                    d.next_id("attendances"),
                    aid,
                    mid,
                    o.status,
                    "qr" if rng.random() < 0.9 else "code",
                    o.at,
                    False,
                    None,
                    None,
                    o.at,
                    o.at,
                )
            )
            action = "attendance_late" if late else "attendance_present"
            self.ledger(mid, action, 1 if late else 2, f"参加活动：{name}", "activity", aid,
                        f"attendance:{aid}:{mid}", o.at)  # fmt: skip
            if hours and recorded:
                self.ledger(mid, "volunteer_hour", min(hours, 4), f"志愿服务：{name}", "activity",
                            aid, f"volunteer:{aid}:{mid}", recorded)  # fmt: skip

    # -- study -------------------------------------------------------------------------------

    def study_items(self, org_id: int) -> None:
        """A city-wide morning brief every day and a micro-lesson twice a week."""
        d = self.data
        day = self.start_day
        while day <= self.plan.today:
            publish = utc(datetime.combine(day, datetime.min.time()) + timedelta(hours=7))
            iid = d.next_id("study_items")
            d.rows["study_items"].append(
                (
                    iid,
                    "morning_brief",
                    f"晨会5分钟：{day:%m月%d日}",
                    "",
                    "学习内容……",
                    org_id,
                    publish,
                    5,
                    True,
                    publish,
                    publish,
                )
            )
            self.briefs[day] = iid
            if day.weekday() in (1, 3):
                iid = d.next_id("study_items")
                minutes = 10
                d.rows["study_items"].append(
                    (
                        iid,
                        "micro_lesson",
                        f"微课堂：{day:%m月%d日}",
                        "",
                        "课程内容……",
                        org_id,
                        publish,
                        minutes,
                        True,
                        publish,
                        publish,
                    )
                )
                self.lessons[day] = (iid, minutes)
            day += timedelta(days=1)

    def study(self, rng: random.Random, mid: int) -> None:
        """A member's study days (through yesterday) with the points rule 7 pays."""
        if rng.random() < 0.45:
            return  # does not use the study features
        engagement = rng.uniform(0.01, 0.15)
        self.data.rows["study_days"].extend(
            study_year(
                rng,
                self.book,
                mid,
                self.start_day,
                self.plan.today,
                self.briefs,
                self.lessons,
                engagement,
            )
        )

    # -- consoles users and maintained totals ---------------------------------------------------

    def users(self, password_hash: str) -> dict[str, dict]:
        """Console users: an admin, the city (work committee), a park committee, a branch."""
        d = self.data
        out = {}
        specs = (
            ("admin", "bench_admin", True, None, None),
            ("city", "bench_city", False, d.work_committee, "secretary"),
            ("park", "bench_park", False, d.parks[0], "secretary"),
            ("branch", "bench_branch", False, d.branches[0], "secretary"),
        )
        for key, username, admin, org_id, role in specs:
            uid = d.next_id("users")
            d.rows["users"].append(
                (uid, username, password_hash, username, admin, True, None, self.created, None)
            )
            if org_id is not None:
                d.rows["org_roles"].append(
                    (d.next_id("org_roles"), org_id, None, uid, role, self.created)
                )
            out[key] = {"id": uid, "username": username, "org_id": org_id}
        return out

    def finish_totals(self) -> None:
        d, now = self.data, self.plan.now
        # members column order: id 0, status 3, org_id 6, is_active 14, deactivated_at 15
        d.rows["member_history"] = [
            (r[0], r[6], r[3], None, None if r[14] else local_day(r[15] or now), now)
            for r in d.rows["members"]
        ]
        d.rows["member_excusals"] = [
            (r[0], None, None, "长期外出", now) for r in d.rows["members"] if r[7]
        ]
        d.rows["member_points"] = [(m, t, now) for m, t in sorted(d.totals.items())]
        d.rows["member_point_periods"] = [
            (m, kind, key, pts, *d.scope[m], now)
            for (m, kind, key), pts in d.periods.items()
            if d.scope.get(m)
        ]
        # an inactive member is ranked nowhere (app.points.scope.member_scope)
        inactive = {r[0] for r in d.rows["members"] if not r[14]}
        if inactive:
            d.rows["member_point_periods"] = [
                (r[0], r[1], r[2], r[3], None, None, r[6]) if r[0] in inactive else r
                for r in d.rows["member_point_periods"]
            ]


# --- loading ----------------------------------------------------------------------------------


class Sink(ABC):
    """Where rows go: PostgreSQL (COPY) or SQLite (batched inserts)."""

    @abstractmethod
    def columns(self, table: str) -> dict[str, bool] | None:
        """Column name → required (NOT NULL without a default); None when the table is absent."""

    @abstractmethod
    def load(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """Append rows to a table."""

    @abstractmethod
    def scalar(self, sql: str):
        """The first column of the first row of a query."""

    @abstractmethod
    def finish(self) -> None:
        """Commit and close."""


class PgSink(Sink):
    def __init__(self, url: str) -> None:
        import psycopg

        url = url.replace("postgresql+psycopg://", "postgresql://")
        self.conn = psycopg.connect(url)

    def columns(self, table):
        rows = self.conn.execute(
            "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s",
            (table,),
        ).fetchall()
        if not rows:
            return None
        return {name: nullable == "NO" and default is None for name, nullable, default in rows}

    def load(self, table, columns, rows):
        cols = ", ".join(columns)
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def scalar(self, sql):
        return self.conn.execute(sql).fetchone()[0]

    def rules(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT action, id FROM point_rules").fetchall())

    def empty(self) -> bool:
        return self.scalar("SELECT count(*) FROM members") == 0

    def finish(self):
        for table in WITH_ID_SEQUENCE:
            if self.columns(table) is None:
                continue
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 — our names
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        self.conn.commit()
        self.conn.autocommit = True
        for table in ORDER:
            if self.columns(table) is not None:
                self.conn.execute(f"ANALYZE {table}")
        self.conn.autocommit = False


class SqliteSink(Sink):
    BATCH = 5000

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA synchronous=NORMAL")

    def columns(self, table):
        rows = self.conn.execute(f"PRAGMA table_info({table})").fetchall()
        if not rows:
            return None
        return {r[1]: bool(r[3]) and r[4] is None and not r[5] for r in rows}

    def load(self, table, columns, rows):
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        batch = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= self.BATCH:
                self.conn.executemany(sql, batch)
                batch.clear()
        if batch:
            self.conn.executemany(sql, batch)

    def scalar(self, sql):
        return self.conn.execute(sql).fetchone()[0]

    def rules(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT action, id FROM point_rules").fetchall())

    def empty(self) -> bool:
        return self.scalar("SELECT count(*) FROM members") == 0

    def finish(self):
        self.conn.commit()
        self.conn.execute("ANALYZE")
        self.conn.commit()


def _sqlite_value(v):
    # the same text SQLAlchemy's SQLite dialect stores for DATETIME and DATE columns
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return v


def load_all(sink: Sink, data: Data, echo) -> dict[str, int]:
    counts = {}
    for table in ORDER:
        rows = data.rows.get(table, [])
        cols = COLUMNS[table]
        have = sink.columns(table)
        if have is None:
            if table in OPTIONAL:
                echo(f"   {table}: not in this schema, skipped")
                continue
            raise click.ClickException(f"table {table} is missing: migrate first")
        unknown = [c for c in cols if c not in have]
        missing = [c for c, required in have.items() if required and c not in cols]
        if unknown or missing:
            msg = (
                f"{table}: schema differs (unknown {unknown}, required but not generated {missing})"
            )
            if table in OPTIONAL:
                echo(f"   {msg}: skipped")
                continue
            raise click.ClickException(msg)
        t0 = time.perf_counter()
        with click.progressbar(rows, label=f"   {table:<22}", show_pos=True, width=30) as bar:
            sink.load(table, cols, bar)
        counts[table] = len(rows)
        echo(f"   {table}: {len(rows):,} rows in {time.perf_counter() - t0:.1f} s")
    sink.finish()
    return counts


def verify(sink: Sink, has_periods: bool) -> dict[str, int]:
    """The maintained totals equal the ledger sums; no duplicate attendance; sane paths."""
    checks = {
        "member_points_mismatch": (
            "SELECT count(*) FROM (SELECT l.member_id, sum(l.delta) AS s FROM point_ledger l "
            "GROUP BY l.member_id) x FULL JOIN member_points p ON p.member_id = x.member_id "
            "WHERE COALESCE(x.s, 0) <> COALESCE(p.total, 0)"
        ),
        "attendance_duplicates": (
            "SELECT count(*) FROM (SELECT activity_id, member_id FROM attendances "
            "GROUP BY activity_id, member_id HAVING count(*) > 1) x"
        ),
        "attendance_without_points": (
            "SELECT count(*) FROM attendances a WHERE a.status IN ('present', 'late') AND NOT "
            "EXISTS (SELECT 1 FROM point_ledger l WHERE l.idempotency_key = "
            "'attendance:' || a.activity_id || ':' || a.member_id)"
        ),
    }
    if has_periods:
        checks["period_all_mismatch"] = (
            "SELECT count(*) FROM member_points p LEFT JOIN member_point_periods q ON "
            "q.member_id = p.member_id AND q.period_kind = 'all' AND q.period_key = 'all' "
            "WHERE COALESCE(q.points, 0) <> p.total"
        )
    if isinstance(sink, SqliteSink):
        # SQLite has no FULL JOIN before 3.39: the same check as two LEFT JOINs
        checks["member_points_mismatch"] = (
            "SELECT count(*) FROM (SELECT l.member_id, sum(l.delta) AS s FROM point_ledger l "
            "GROUP BY l.member_id) x LEFT JOIN member_points p ON p.member_id = x.member_id "
            "WHERE COALESCE(x.s, 0) <> COALESCE(p.total, 0)"
        )
    return {name: int(sink.scalar(sql)) for name, sql in checks.items()}


# --- tokens for wrk -----------------------------------------------------------------------------


def write_tokens(out: Path, database_url: str, groups: dict[str, list[int]], users: dict) -> None:
    """JWT access tokens (identity m:<id>, u:<id>) minted offline with the server's secret."""
    from flask_jwt_extended import create_access_token

    from wsgi import make_app

    app = make_app({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})
    hours = timedelta(hours=int(os.environ.get("BENCH_TOKEN_HOURS", "12")))
    with app.app_context():
        for name, ids in groups.items():
            lines = [create_access_token(identity=f"m:{i}", expires_delta=hours) for i in ids]
            (out / f"tokens-{name}.txt").write_text("\n".join(lines) + "\n")
            (out / f"ids-{name}.txt").write_text("\n".join(map(str, ids)) + "\n")
        for user in users.values():
            user["token"] = create_access_token(identity=f"u:{user['id']}", expires_delta=hours)


def pick_groups(data: Data, rng: random.Random, burst: int, warmup: int, sample: int) -> dict:
    """Members for the check-in burst (whole parks from the end), its warm-up, and a city sample."""
    parks = list(data.parks)
    burst_parks, burst_ids = [], []
    while parks and len(burst_ids) < burst:
        park = parks.pop()
        burst_parks.insert(0, park)
        burst_ids.extend(data.park_members[park])
    warm_parks, warm_ids = [], []
    while parks and len(warm_ids) < warmup:
        park = parks.pop()
        warm_parks.insert(0, park)
        warm_ids.extend(data.park_members[park])
    members = list(data.active_members)
    return {
        "burst": {"parks": burst_parks, "ids": rng.sample(burst_ids, min(burst, len(burst_ids)))},
        "warmup": {"parks": warm_parks, "ids": rng.sample(warm_ids, min(warmup, len(warm_ids)))},
        "sample": {"parks": [], "ids": rng.sample(members, min(sample, len(members)))},
    }


@click.command()
@click.option("--database-url", envvar="DATABASE_URL", help="PostgreSQL URL (migrated, empty)")
@click.option("--sqlite", "sqlite_path", type=click.Path(dir_okay=False), help="SQLite file")
@click.option("--members", default=100_000, show_default=True)
@click.option("--branches", default=3_000, show_default=True)
@click.option("--parks", default=100, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--now", "now_text", help="ISO UTC instant the year ends at (default: now)")
@click.option("--no-study", is_flag=True, help="no study days and study points")
@click.option("--out", type=click.Path(file_okay=False), help="write manifest.json and tokens here")
@click.option("--burst", default=2000, show_default=True, help="members for the check-in burst")
@click.option("--warmup", default=500, show_default=True, help="members for its warm-up")
@click.option("--sample", default=5000, show_default=True, help="city-wide sample of members")
def main(
    database_url, sqlite_path, members, branches, parks, seed, now_text, no_study, out,
    burst, warmup, sample,
):  # fmt: skip
    """Generate the data set into a migrated, empty database."""
    if bool(database_url) == bool(sqlite_path) and not sqlite_path:
        raise click.UsageError("give --database-url (PostgreSQL) or --sqlite PATH")
    if branches < parks or members < branches * MIN_BRANCH or members > branches * MAX_BRANCH:
        raise click.UsageError("need parks ≤ branches and 3 ≤ members per branch ≤ 50")
    now = (
        datetime.fromisoformat(now_text).astimezone(UTC).replace(tzinfo=None)
        if now_text
        else datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    )
    sink: PgSink | SqliteSink = SqliteSink(sqlite_path) if sqlite_path else PgSink(database_url)
    if not sink.empty():
        raise click.ClickException("the database already has members: generate into an empty one")
    t0 = time.perf_counter()
    gc.disable()  # millions of tuples: the cyclic collector would only rescan them
    plan = Plan(members, branches, parks, seed, now, study=not no_study)
    gen = Generator(plan, sink.rules())
    click.echo(
        f"==> generating {members:,} members, {branches:,} branches, {parks} parks (seed {seed})"
    )
    with click.progressbar(length=branches, label="   branches", show_pos=True, width=30) as bar:
        done = [0]

        def progress(n):
            bar.update(n - done[0])
            done[0] = n

        data = gen.generate(progress)

    from werkzeug.security import generate_password_hash

    users = gen.users(generate_password_hash(BENCH_PASSWORD, method="scrypt"))
    gen.finish_totals()
    t_gen = time.perf_counter() - t0
    click.echo(f"   generated in {t_gen:.1f} s; loading")
    counts = load_all(sink, data, click.echo)
    t_load = time.perf_counter() - t0 - t_gen
    checks = verify(sink, "member_point_periods" in counts)
    click.echo(f"   checks: {checks}")
    if any(checks.values()):
        raise click.ClickException(f"inconsistent data: {checks}")
    elapsed = time.perf_counter() - t0
    click.echo(f"==> {sum(counts.values()):,} rows in {elapsed:.1f} s")
    if out:
        outdir = Path(out)
        outdir.mkdir(parents=True, exist_ok=True)
        groups = pick_groups(data, random.Random(f"{seed}/tokens"), burst, warmup, sample)
        url = database_url or f"sqlite:///{Path(sqlite_path).resolve()}"
        write_tokens(outdir, url, {k: v["ids"] for k, v in groups.items()}, users)
        manifest = {
            "seed": seed,
            "now": now.isoformat() + "Z",
            "plan": {"members": members, "branches": branches, "parks": parks},
            "counts": counts,
            "seconds": {
                "generate": round(t_gen, 1),
                "load": round(t_load, 1),
                "total": round(elapsed, 1),
            },
            "work_committee_id": data.work_committee,
            "park_ids": data.parks,
            "sample_branch_id": data.branches[0],
            "sample_park_id": data.parks[0],
            "users": users,
            "groups": {k: {"parks": v["parks"], "count": len(v["ids"])} for k, v in groups.items()},
            "checks": checks,
        }
        (outdir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        click.echo(f"   manifest and tokens in {outdir}")


if __name__ == "__main__":
    main()
