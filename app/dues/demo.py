"""A year of the park's ledgers for the demo park (issue 19): dues with a few arrears, notices
with receipts, 先锋岗 and their holders, the enterprises' five clears, instructors and visits.

`seed_demo_ledgers(park_name, now)` is the one entry point the demo seed calls; it adds
nothing when the park already has dues bases (one run per database).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.dues.models import DuesBase, DuesHandover, DuesPayment, DuesReduction
from app.dues.rules import RateBook, add_months, month_start, months_between
from app.extensions import db
from app.fiveclears.models import EnterpriseProfile
from app.members.models import Member
from app.notices.models import Notice, NoticeReceipt
from app.org.models import Enterprise, Organization
from app.posts.models import Post, PostHolder
from app.timeutil import local_day, local_tz
from app.visits.models import Assignment, Visit

NOTICES = [
    (
        "关于开展“三进三服务”主题党日活动的通知",
        True,
        "各支部于本月15日开展主题党日，请支部书记组织党员**准时参加**。",
    ),
    ("关于按时足额交纳党费的提醒", False, "请各位党员按月足额交纳党费，可现金、转账或微信支付。"),
    (
        "园区党群服务中心开放时间调整",
        False,
        "党群服务中心自下周起周六上午开放，欢迎党员职工前来学习。",
    ),
    (
        "关于报送党员先锋岗创建情况的通知",
        True,
        "请各支部于月底前报送先锋岗设岗定责和承诺践诺情况。",
    ),
    ("关于组织收看专题党课的通知", True, "请各支部组织党员收看专题党课，并做好学习记录。"),
    ("组织生活会准备工作提示", True, "请各支部提前开展谈心谈话，征求意见，撰写对照检查材料。"),
    ("园区“优化营商环境服务日”安排", False, "本月服务日将邀请税务、社保部门现场答疑。"),
    ("关于开展民主评议党员工作的通知", True, "请各支部按“个人自评、党员互评、民主测评”步骤开展。"),
]
POSTS = [
    ("pioneer", "注塑车间党员先锋岗", "一号车间", "产品合格率99.5%以上"),
    ("pioneer", "贴片生产线党员先锋岗", "SMT车间", "带头攻关，节能降耗"),
    ("pioneer", "质检班组党员先锋岗", "质检中心", "质量零投诉"),
    ("model", "客户服务党员示范岗", "服务大厅", "来访必接、问题必复"),
    ("responsibility_area", "园区食堂文明就餐责任区", "职工食堂", "光盘行动，文明就餐"),
    ("responsibility_area", "人才公寓安全巡检责任区", "人才公寓", "每周巡检一次"),
    ("shock_team", "技术攻关党员突击队", "研发中心", "攻克关键工艺难题"),
]
TOPICS = [
    "宣传党的政策",
    "了解发展党员情况",
    "指导三会一课",
    "帮助解决用工难题",
    "建立党建工作台账",
]
PROBLEMS = ["", "", "活动场地不足", "党员流动性大", "缺少党务工作者"]
INVESTORS = "王李张刘陈杨黄赵吴周"


def seed_demo_ledgers(park_name: str, now: datetime, seed: int = 2024) -> bool:
    """Create a year of ledgers in the named park unless it already has them."""
    park = db.session.scalar(select(Organization).where(Organization.name == park_name))
    if park is None:
        return False
    members = list(
        db.session.scalars(
            select(Member)
            .join(Organization, Organization.id == Member.org_id)
            .where(Organization.path.like(park.path + "%"), Member.is_active.is_(True))
            .order_by(Member.id)
        )
    )
    if not members or db.session.scalar(
        select(DuesBase.id).where(DuesBase.member_id.in_([m.id for m in members])).limit(1)
    ):
        return False
    rng = random.Random(seed)  # noqa: S311 — demo data, reproducible on purpose
    today = local_day(now)
    _dues(members, today, now, rng)
    _notices(park, members, now, rng)
    _posts(park, members, today, now, rng)
    _enterprises(park, members, today, now, rng)
    db.session.flush()
    return True


def _dues(members: list[Member], today: date, now: datetime, rng: random.Random) -> None:
    this_month = month_start(today)
    start = add_months(this_month, -11)
    closed = months_between(start, add_months(this_month, -1))
    book = RateBook()
    payers = [m for m in members if m.status in ("full", "probationary")]
    # two members fall behind: 3 and 5 months before now (the arrears alerts)
    behind = {payers[-1].id: 3, payers[-2].id: 5} if len(payers) > 4 else {}
    collected: dict[tuple[int, date], int] = {}
    for i, m in enumerate(payers):
        if i % 9 == 4:
            category, base = "retired", rng.randrange(3000, 7000) * 100
        elif i % 13 == 7:
            category, base = "low_income", 0
        else:
            category, base = "on_job", rng.randrange(2500, 12000) * 100
        db.session.add(
            DuesBase(
                member_id=m.id,
                effective_from=start,
                category=category,
                base_fen=base,
                recorded_by="演示数据",
                created_at=now,
            )
        )
        due = book.due(category, base, start)
        unpaid = set(closed[-behind[m.id] :]) if m.id in behind else set()
        paid_months = [mo for mo in closed if mo not in unpaid]
        if m.id not in behind and rng.random() < 0.6:
            paid_months.append(this_month)  # some have paid the running month already
        for mo in paid_months:
            paid_at = datetime.combine(
                mo + timedelta(days=rng.randrange(3, 20)), datetime.min.time(), local_tz()
            )
            db.session.add(
                DuesPayment(
                    member_id=m.id,
                    org_id=m.org_id,
                    month=mo,
                    amount_fen=due,
                    method=rng.choice(("cash", "transfer", "wechat", "wechat")),
                    reference="" if rng.random() < 0.5 else f"4200{rng.randrange(10**9):09d}",
                    idempotency_key=f"demo:{m.id}:{mo:%Y-%m}",
                    recorded_by="演示数据",
                    recorded_at=min(paid_at, now),
                )
            )
            if mo != this_month:
                collected[(m.org_id, mo)] = collected.get((m.org_id, mo), 0) + due
    for (org_id, mo), amount in sorted(collected.items()):
        db.session.add(
            DuesHandover(
                org_id=org_id,
                month=mo,
                amount_fen=amount,
                handed_on=add_months(mo, 1) + timedelta(days=9),
                recorded_by="演示数据",
                created_at=now,
            )
        )
    if len(payers) > 2:
        m = payers[1]
        db.session.add(
            DuesReduction(
                member_id=m.id,
                org_id=m.org_id,
                kind="reduce",
                amount_fen=100,
                from_month=add_months(this_month, 2),
                to_month=add_months(this_month, 7),
                reason="家庭遭遇变故，经支部研究申请减交",
                status="pending",
                requested_by="演示数据",
                requested_at=now,
            )
        )


def _notices(park: Organization, members: list[Member], now: datetime, rng: random.Random):
    ids = [m.id for m in members]
    for i, (title, confirm, body) in enumerate(NOTICES):
        publish = now - timedelta(days=330 - i * 45, hours=rng.randrange(0, 8))
        notice = Notice(
            org_id=park.id,
            title=title,
            body=body,
            audience="subtree",
            publish_at=publish,
            pinned=i == len(NOTICES) - 1,
            needs_confirmation=confirm,
            created_by="园区综合党委",
            created_at=publish,
            announced_at=publish,
        )
        db.session.add(notice)
        db.session.flush()
        recent = i >= len(NOTICES) - 2
        for member_id in ids:
            read = rng.random() < (0.6 if recent else 0.95)
            read_at = publish + timedelta(hours=rng.randrange(1, 48)) if read else None
            confirmed = confirm and read and rng.random() < 0.9
            db.session.add(
                NoticeReceipt(
                    notice_id=notice.id,
                    member_id=member_id,
                    read_at=min(read_at, now) if read_at else None,
                    confirmed_at=min(read_at, now) if confirmed else None,
                )
            )
    upcoming = Notice(
        org_id=park.id,
        title="关于召开年度组织生活会的预通知",
        body="各支部请提前做好准备，具体时间另行通知。",
        audience="subtree",
        publish_at=now + timedelta(days=2),
        needs_confirmation=True,
        created_by="园区综合党委",
        created_at=now,
    )
    db.session.add(upcoming)
    db.session.flush()
    db.session.add_all([NoticeReceipt(notice_id=upcoming.id, member_id=i) for i in ids])


def _posts(park, members, today: date, now: datetime, rng: random.Random) -> None:
    branches = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.path.like(park.path + "%"), Organization.type == "branch")
            .order_by(Organization.id)
        )
    )
    by_branch = {b.id: [m for m in members if m.org_id == b.id] for b in branches}
    enterprises = {
        e.covering_org_id: e
        for e in db.session.scalars(select(Enterprise).where(Enterprise.park_org_id == park.id))
    }
    for i, (kind, name, place, commitment) in enumerate(POSTS):
        branch = branches[i % max(1, len(branches))]
        ent = enterprises.get(branch.id)
        post = Post(
            org_id=branch.id,
            kind=kind,
            name=name,
            place=place,
            enterprise_id=ent.id if ent else None,
            commitment=commitment,
            starts_on=today - timedelta(days=300 - i * 20),
            created_by="演示数据",
            created_at=now,
        )
        db.session.add(post)
        db.session.flush()
        holders = by_branch.get(branch.id, [])[: rng.randrange(1, 3)]
        for j, m in enumerate(holders):
            db.session.add(
                PostHolder(
                    post_id=post.id,
                    member_id=m.id,
                    how="claimed" if j == 0 else "assigned",
                    since=post.starts_on,
                    created_at=now,
                )
            )


def _enterprises(park, members, today: date, now: datetime, rng: random.Random) -> None:
    enterprises = list(
        db.session.scalars(
            select(Enterprise).where(Enterprise.park_org_id == park.id).order_by(Enterprise.id)
        )
    )
    counts: dict[int, int] = {}
    for m in members:
        if m.status == "full":
            counts[m.org_id] = counts.get(m.org_id, 0) + 1
    sharing: dict[int, int] = {}
    for e in enterprises:
        if e.covering_org_id:
            sharing[e.covering_org_id] = sharing.get(e.covering_org_id, 0) + 1
    for e in enterprises:
        full = counts.get(e.covering_org_id, 0) // max(1, sharing.get(e.covering_org_id, 1))
        status = {"standalone": "standalone", "joint": "joint", "affiliated": "affiliated"}.get(
            e.covering_org.build_mode if e.covering_org else "", "dispatched"
        )
        db.session.add(
            EnterpriseProfile(
                enterprise_id=e.id,
                operating_status="normal",
                operating_note="生产经营正常",
                staff_note=f"职工{e.staff_count}人",
                party_members=full + (1 if full and rng.random() < 0.3 else 0),
                full_members=full,
                investor_name=rng.choice(INVESTORS) + "总",
                investor_is_member=rng.random() < 0.3,
                party_org_status=status,
                entered_on=date(rng.randrange(2015, 2023), rng.randrange(1, 13), 1),
                last_checked_on=today - timedelta(days=rng.randrange(10, 200)),
                updated_at=now,
            )
        )
    # instructors: a few branch secretaries double as 党建指导员 of the small enterprises
    small = [e for e in enterprises if not e.above_scale] or enterprises
    cadres = [m for m in members if m.status == "full"][::6][:3]
    for i, e in enumerate(small):
        if not cadres:
            break
        cadre = cadres[i % len(cadres)]
        since = today - timedelta(days=360)
        db.session.add(
            Assignment(
                enterprise_id=e.id,
                member_id=cadre.id,
                kind="instructor",
                since=since,
                assigned_by="园区综合党委",
                created_at=now,
            )
        )
        # roughly monthly visits, the last one of the newest enterprise long ago (overdue)
        day = since + timedelta(days=rng.randrange(5, 20))
        stop = today - timedelta(days=45 if i == len(small) - 1 else 3)
        while day <= stop:
            db.session.add(
                Visit(
                    enterprise_id=e.id,
                    member_id=cadre.id,
                    visited_on=day,
                    people_met=rng.choice(("企业负责人", "人事经理", "党员代表", "职工代表")),
                    topics=rng.choice(TOPICS),
                    problems=rng.choice(PROBLEMS),
                    follow_up="持续跟进" if rng.random() < 0.5 else "",
                    recorded_by=cadre.name,
                    created_at=now,
                )
            )
            day += timedelta(days=rng.randrange(20, 40))
    if len(enterprises) >= 2 and cadres:
        leader = cadres[0]
        for e in [x for x in enterprises if x.above_scale][:2]:
            db.session.add(
                Assignment(
                    enterprise_id=e.id,
                    member_id=leader.id,
                    kind="contact",
                    since=today - timedelta(days=200),
                    assigned_by="园区综合党委",
                    created_at=now,
                )
            )
