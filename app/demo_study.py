"""The demo park's study content (issue 4): today's brief, a micro-lesson with questions, an
article and the park's question bank."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.org.models import Organization

PARK_NAME = "临港产业园综合服务党委"  # as app.demo (imported from there would be a cycle)

FIRST_DEMO_BRIEF = "晨会5分钟：党支部的基本任务"
# (kind, stem, options, answer, explanation)
DEMO_QUESTIONS = [
    (
        "single",
        "党支部党员大会一般多久召开一次？",
        ["每月", "每季度", "每半年", "每年"],
        ["B"],
        "《中国共产党支部工作条例（试行）》规定，党员大会一般每季度召开1次。",
    ),
    (
        "single",
        "正式党员不少于几人的单位，应当成立党支部？",
        ["2人", "3人", "5人", "7人"],
        ["B"],
        "凡是有正式党员3人以上的，都应当成立党支部。",
    ),
    (
        "single",
        "党员人数7人以上的党支部应当设立什么？",
        ["党小组", "支部委员会", "党总支", "纪委"],
        ["B"],
        "党员7人以上的党支部，设立党支部委员会。",
    ),
    (
        "multiple",
        "“三会一课”包括哪些？",
        ["支部党员大会", "支部委员会", "党小组会", "党课"],
        ["A", "B", "C", "D"],
        "三会一课：支部党员大会、支部委员会、党小组会和党课。",
    ),
    (
        "multiple",
        "“两个覆盖”指的是？",
        ["组织覆盖", "工作覆盖", "网络覆盖", "信号覆盖"],
        ["A", "B"],
        "非公有制企业党建要实现党的组织覆盖和工作覆盖。",
    ),
    (
        "true_false",
        "预备党员在党员大会上有表决权。",
        [],
        ["B"],
        "预备党员没有表决权、选举权和被选举权。",
    ),
    (
        "true_false",
        "党员每年集中学习培训时间一般不少于32学时。",
        [],
        ["A"],
        "《中国共产党党员教育管理工作条例》规定党员每年集中学习培训一般不少于32学时。",
    ),
    (
        "single",
        "党支部委员会每届任期为？",
        ["1年", "2年", "3年或5年", "10年"],
        ["C"],
        "党支部委员会每届任期3年或者5年。",
    ),
    ("true_false", "组织生活会一般每年召开1次。", [], ["A"], "组织生活会一般每年召开1次。"),
    (
        "single",
        "主题党日一般多久开展一次？",
        ["每周", "每月", "每季度", "每年"],
        ["B"],
        "党支部应当每月相对固定1天开展主题党日。",
    ),
]


def seed_demo_study(now: datetime) -> bool:
    """Today's brief, a micro-lesson with questions, an article and a question bank for the
    park (once per database)."""
    from app.study.models import TRUE_FALSE_OPTIONS, QuizQuestion, StudyItem, StudyItemTag
    from app.timeutil import local_day, local_midnight

    park = db.session.scalar(select(Organization).where(Organization.name == PARK_NAME))
    if park is None or db.session.scalar(
        select(StudyItem.id).where(StudyItem.title == FIRST_DEMO_BRIEF)
    ):
        return False
    today_7 = local_midnight(local_day(now)) + timedelta(hours=7)
    first = db.session.scalar(
        select(Organization).where(Organization.parent_id == park.id).order_by(Organization.id)
    )

    def item(kind, title, org, publish_at, minutes, body, tags, **kw):
        row = StudyItem(
            kind=kind,
            title=title,
            org_id=org.id,
            publish_at=publish_at,
            minutes=minutes,
            body=body,
            summary=kw.pop("summary", ""),
            created_at=publish_at - timedelta(hours=12),
            updated_at=publish_at - timedelta(hours=12),
            **kw,
        )
        row.tag_rows = [StudyItemTag(tag=t, position=i) for i, t in enumerate(tags)]
        db.session.add(row)
        return row

    item(
        "morning_brief",
        FIRST_DEMO_BRIEF,
        park,
        today_7,
        5,
        "## 党支部的基本任务\n\n党支部是党的基础组织，是党在社会基层组织中的战斗堡垒……\n\n"
        "1. 宣传和执行党的路线方针政策\n2. 组织党员认真学习\n3. 做好党员教育管理监督服务",
        ["支部工作条例"],
        summary="今天用5分钟学习党支部的八项基本任务",
    )
    item(
        "morning_brief",
        "晨会5分钟：明天学习党员的权利和义务",
        park,
        today_7 + timedelta(days=1),
        5,
        "## 党员的八项义务\n\n……",
        ["党章"],
    )
    lesson = item(
        "micro_lesson",
        "微课堂：园区“两个覆盖”怎么做",
        park,
        today_7 - timedelta(days=1),
        10,
        "### 组织覆盖\n\n单建、联建、挂靠……\n\n### 工作覆盖\n\n选派党建指导员……",
        ["两个覆盖", "非公党建"],
        media_url="https://media.example.com/lessons/coverage.mp4",
    )
    item(
        "article",
        "学习文章：如何开好组织生活会",
        first,
        today_7 - timedelta(days=2),
        3,
        "组织生活会一般每年召开1次，通常安排在第四季度……",
        ["组织生活会"],
    )
    db.session.flush()

    def question(kind, stem, options, answer, explanation, item_id=None, position=0):
        db.session.add(
            QuizQuestion(
                org_id=park.id,
                item_id=item_id,
                kind=kind,
                stem=stem,
                options=list(TRUE_FALSE_OPTIONS) if kind == "true_false" else options,
                answer=answer,
                explanation=explanation,
                tags=[],
                position=position,
                created_at=now,
                updated_at=now,
            )
        )

    for kind, stem, options, answer, explanation in DEMO_QUESTIONS:
        question(kind, stem, options, answer, explanation)
    question(
        "single",
        "园区企业没有正式党员时，怎样实现工作覆盖？",
        ["不用管", "选派党建指导员", "撤销企业", "等待"],
        ["B"],
        "没有党员的企业，可以选派党建指导员实现工作覆盖。",
        lesson.id,
        0,
    )
    question(
        "true_false",
        "正式党员不足3人的单位可以与邻近单位建立联合党支部。",
        [],
        ["A"],
        "不足3人的，可以建立联合党支部。",
        lesson.id,
        1,
    )
    db.session.flush()
    return True
