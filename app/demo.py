"""The demo park, modelled on seed 004 (巴中临港产业园): a committee, 9 branches, 28 members,
and a few activities with their attendance (a past 主题党日 and 党员大会, volunteer service,
an upcoming park-wide 党课, a draft 组织生活会)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import click
from sqlalchemy import select

from app.accounts.services import create_user
from app.extensions import db
from app.members.models import Member
from app.org.models import Enterprise, Organization, OrgRole

PARK_NAME = "临港产业园综合服务党委"
DEMO_PASSWORD = "demo12345"  # noqa: S105 — demo data, printed on purpose
DEMO_LOGINS = [
    ("系统管理员 admin", "admin", DEMO_PASSWORD),
    ("园区综合党委 committee", "committee", DEMO_PASSWORD),
    ("支部书记 secretary (永润欣科技党支部)", "secretary", DEMO_PASSWORD),
]

# (branch name, build mode, [(enterprise, credit code, industry, staff, above scale, high tech)])
BRANCHES = [
    ("永润欣科技党支部", "standalone", [("四川永润欣科技有限公司", "电子信息", 210, True, True)]),
    ("易事特电子党支部", "standalone", [("巴中易事特电子有限公司", "电子信息", 160, True, True)]),
    ("华芯显示党支部", "standalone", [("巴中华芯显示技术有限公司", "新型显示", 120, True, False)]),
    ("恩阳食品党支部", "standalone", [("恩阳巴山食品有限公司", "食品饮料", 95, True, False)]),
    (
        "电子元器件联合党支部",
        "joint",
        [
            ("巴中精诚电子元件有限公司", "电子元器件", 60, True, False),
            ("巴中恒通线缆有限公司", "电子元器件", 45, False, False),
            ("巴中明辉精密科技有限公司", "电子元器件", 38, False, False),
        ],
    ),
    (
        "物流商贸联合党支部",
        "joint",
        [
            ("临港物流服务有限公司", "商贸物流", 52, True, False),
            ("巴中汇通商贸有限公司", "商贸物流", 30, False, False),
        ],
    ),
    (
        "华诚会计服务公司党支部",
        "affiliated",
        [("巴中华诚会计服务有限公司", "商务服务", 18, False, False)],
    ),
    (
        "四川恒和律师事务所党支部",
        "affiliated",
        [("四川恒和律师事务所", "法律服务", 22, False, False)],
    ),
    ("元窝社区党支部", "standalone", []),
]
UNCOVERED = [("巴中新能材料有限公司", "先进材料", 18, False, False)]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅志海燕晓东文斌宇欣怡"
# Members per branch: 28 in all (seed 004), standalone branches with ≥3 full members.
HEADCOUNT = [5, 4, 3, 3, 3, 3, 2, 2, 3]


def _credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91511903" + "".join(rng.choice(alphabet) for _ in range(10))


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in used:
            used.add(name)
            return name


def seed_demo_park(
    progress: bool = True, seed: int = 2024, now: datetime | None = None, life: bool = False
) -> bool:
    """Create the demo park and its activities unless they exist; whether anything was created.

    With `life` (what `flask seed-demo` does) a new park is also given a year of organisation
    life up to `now` (app.demo_life); tests that build their own history leave it out.
    """
    from app.demo_life import close_the_past, seed_year_of_life
    from app.demo_study import seed_demo_study
    from app.points.services import ensure_default_rules
    from app.timeutil import utcnow

    now = now or utcnow()
    park_created = _seed_park(progress, seed)
    rules_added = ensure_default_rules()
    if park_created and life:
        park = db.session.scalar(select(Organization).where(Organization.name == PARK_NAME))
        seed_year_of_life(park, now, seed, progress)
        close_the_past(park, now)  # issue 15's closed periods plug in here
    activities_created = seed_demo_activities(now)
    study_created = seed_demo_study(now)
    from app.dues.demo import seed_demo_ledgers  # issue 19: a year of dues, notices, posts, visits

    ledgers_created = seed_demo_ledgers(PARK_NAME, now)
    from app.rooms.demo import seed_demo_rooms  # issue 21: the centre's rooms, this week

    rooms_created = seed_demo_rooms(PARK_NAME, now)
    return (
        park_created
        or bool(rules_added)
        or activities_created
        or study_created
        or ledgers_created
        or rooms_created
    )


def _seed_park(progress: bool, seed: int) -> bool:
    if db.session.scalar(select(Organization.id).where(Organization.name == PARK_NAME)):
        return False
    rng = random.Random(seed)

    def org(name: str, type_: str, parent: Organization | None, mode: str | None = None):
        o = Organization(
            name=name,
            type=type_,
            parent_id=parent.id if parent else None,
            build_mode=mode,
            depth=(parent.depth + 1) if parent else 0,
            theme_day=15 if type_ == "branch" else None,
        )
        db.session.add(o)
        db.session.flush()
        o.path = f"{parent.path if parent else '/'}{o.id}/"
        return o

    work = org("恩阳区临港产业园管委会党工委", "work_committee", None)
    park = org(PARK_NAME, "general_committee", work)
    used: set[str] = set()
    phone_base = 13800000000 + rng.randrange(10_000_000)
    members: list[Member] = []
    secretary_member: Member | None = None

    with click.progressbar(
        list(zip(BRANCHES, HEADCOUNT, strict=True)),
        label="seeding demo park",
        hidden=not progress,
    ) as bar:
        for (branch_name, mode, enterprises), headcount in bar:
            branch = org(branch_name, "branch", park, mode)
            for ent_name, industry, staff, above, tech in enterprises:
                db.session.add(
                    Enterprise(
                        name=ent_name,
                        credit_code=_credit_code(rng),
                        industry=industry,
                        staff_count=staff,
                        above_scale=above,
                        high_tech=tech,
                        park_org_id=park.id,
                        covering_org_id=branch.id,
                    )
                )
            branch_members = []
            for i in range(headcount):
                status = "full" if i < max(3, headcount - 1) else "probationary"
                joined = date(rng.randrange(1995, 2024), rng.randrange(1, 13), rng.randrange(1, 29))
                m = Member(
                    name=_name(rng, used),
                    phone=str(phone_base + len(members) * 7919),
                    status=status,
                    gender=rng.choice(("male", "female")),
                    joined_on=joined,
                    org_id=branch.id,
                )
                db.session.add(m)
                branch_members.append(m)
                members.append(m)
            db.session.flush()
            db.session.add(
                OrgRole(org_id=branch.id, member_id=branch_members[0].id, role="secretary")
            )
            if secretary_member is None:
                secretary_member = branch_members[0]

    for ent_name, industry, staff, above, tech in UNCOVERED:
        db.session.add(
            Enterprise(
                name=ent_name,
                credit_code=_credit_code(rng),
                industry=industry,
                staff_count=staff,
                above_scale=above,
                high_tech=tech,
                park_org_id=park.id,
                work_covered=True,
            )
        )

    from app.accounts.models import User

    if db.session.scalar(select(User.id).where(User.username == "admin")) is None:
        create_user("admin", DEMO_PASSWORD, is_admin=True, display_name="系统管理员")
    committee = create_user("committee", DEMO_PASSWORD, display_name="园区综合党委")
    db.session.add(OrgRole(org_id=park.id, user_id=committee.id, role="secretary"))
    create_user(
        "secretary",
        DEMO_PASSWORD,
        display_name=secretary_member.name,
        member_id=secretary_member.id,
    )
    db.session.flush()
    return True


# --- activities and attendance ----------------------------------------------------------------

FIRST_DEMO_ACTIVITY = "上月主题党日：重温入党誓词"


def seed_demo_activities(now: datetime) -> bool:
    """A few activities around `now` with attendance, leave and points (once per database)."""
    from app.activities.models import Activity
    from app.timeutil import local_day, local_midnight

    park = db.session.scalar(select(Organization).where(Organization.name == PARK_NAME))
    if park is None or db.session.scalar(
        select(Activity.id).where(Activity.title == FIRST_DEMO_ACTIVITY)
    ):
        return False
    branches = list(
        db.session.scalars(
            select(Organization).where(Organization.parent_id == park.id).order_by(Organization.id)
        )
    )
    first, second = branches[0], branches[1]
    day = timedelta(days=1)

    today = local_day(now)

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        """A local wall time `days` from today (meetings keep office hours, whenever seeded)."""
        return local_midnight(today + days * day) + timedelta(hours=hour, minutes=minute)

    theme_day = _activity(first, "theme_day", FIRST_DEMO_ACTIVITY, at(-30, 9), hours=2)
    members = _members(first)
    # present, present, late, on approved leave, absent
    plan = ["present", "present", "late", "leave", "absent"]
    for member, status in zip(members, plan, strict=False):
        _attend(theme_day, member, status)

    quarter = ((today - 7 * day).month - 1) // 3 + 1
    congress = _activity(
        first, "general_meeting", f"第{quarter}季度支部党员大会", at(-7, 14, 30), hours=1
    )
    congress.summary = "传达上级会议精神；讨论发展对象。"
    congress.decisions = ["同意确定一名发展对象", "下月开展志愿服务"]
    congress.recorded_at = congress.ends_at
    for member in members:
        _attend(congress, member, "leave" if member is members[-1] else "present")

    service = _activity(second, "volunteer", "园区环境整治志愿服务", at(-10, 9), hours=3)
    service.volunteer_hours = 3.0
    service.recorded_at = service.ends_at
    for member in _members(second):
        _attend(service, member, "present", volunteer_hours=3)

    _activity(park, "party_lecture", "园区党课：新质生产力与基层党建", at(2, 9, 30), hours=2)
    draft = _activity(first, "life_meeting", "年度组织生活会（筹备中）", at(20, 14), hours=3)
    draft.status, draft.published_at = "draft", None
    db.session.flush()
    return True


def _members(org: Organization) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.org_id == org.id, Member.is_active.is_(True))
            .order_by(Member.id)
        )
    )


def _activity(org: Organization, type_: str, title: str, starts_at: datetime, hours: int):
    from flask import current_app

    from app.activities.models import Activity
    from app.activities.services import set_window

    cfg = current_app.config
    activity = Activity(
        org_id=org.id,
        org=org,
        type=type_,
        title=title,
        location="临港产业园党群服务中心",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        checkin_opens_before_minutes=cfg["CHECKIN_OPENS_BEFORE_MINUTES"],
        checkin_closes_after_minutes=cfg["CHECKIN_CLOSES_AFTER_MINUTES"],
        late_after_minutes=cfg["CHECKIN_LATE_AFTER_MINUTES"],
        status="published",
        published_at=starts_at - timedelta(days=3),
        created_at=starts_at - timedelta(days=3),
    )
    set_window(activity)
    db.session.add(activity)
    db.session.flush()
    return activity


def _attend(activity, member: Member, status: str, volunteer_hours: int = 0) -> None:
    """Record what happened at a past activity as the services would have."""
    from app.activities.models import Attendance, AttendanceRequest
    from app.points.services import award

    if status == "absent":
        return
    if status == "leave":
        db.session.add(
            AttendanceRequest(
                activity_id=activity.id,
                member_id=member.id,
                kind="leave",
                reason="出差在外",
                status="approved",
                decided_at=activity.starts_at - timedelta(days=1),
                decision_note="同意",
                created_at=activity.starts_at - timedelta(days=2),
            )
        )
        return
    offset = timedelta(minutes=8) if status == "late" else timedelta(minutes=-10)
    checked_in_at = activity.starts_at + offset
    db.session.add(
        Attendance(
            activity_id=activity.id,
            member_id=member.id,
            status=status,
            method="qr",
            checked_in_at=checked_in_at,
            created_at=checked_in_at,
            updated_at=checked_in_at,
        )
    )
    award(
        member.id,
        "attendance_late" if status == "late" else "attendance_present",
        source_type="activity",
        source_id=activity.id,
        idempotency_key=f"attendance:{activity.id}:{member.id}",
        reason=f"参加活动：{activity.title}",
        now=checked_in_at,
    )
    if volunteer_hours:
        award(
            member.id,
            "volunteer_hour",
            source_type="activity",
            source_id=activity.id,
            idempotency_key=f"volunteer:{activity.id}:{member.id}",
            quantity=volunteer_hours,
            now=activity.ends_at,
        )
