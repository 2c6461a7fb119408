"""The authorization matrix: every route in app.url_map × six roles × objects of branch A and
branch B. Each route declares which roles may reach which objects; everyone else must be
refused (401 anonymous, 403/404 otherwise). A route without an entry fails the test.

Variants: "A" is an object of branch A (or owned by member_a), "B" one of branch B (or owned
by member_b), "-" a route without an object. "allowed" means authorization let the request
through: any answer but 401, 403 and 404 (a 400 or 409 from the rules behind is fine).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from app.accounts.models import MemberDevice
from app.activities import tokens
from app.activities.models import Activity, AttendanceRequest, activity_invited_orgs
from app.auth import LIBRARY_ENDPOINTS
from app.extensions import db
from app.notify.services import Reminder, write_reminder
from app.org.models import OrgRole
from app.records.models import ActivityAttachment
from app.recruitment.models import Applicant
from app.reviews.models import DEFAULT_GRADES, ReviewRound
from app.study.models import QuizQuestion, StudyItem
from app.timeutil import local_day, utcnow
from app.votes.models import Survey, Vote
from wsgi import make_app

ROLES = ("anonymous", "member_a", "member_b", "secretary_a", "committee", "admin")
ALL = "member_a member_b secretary_a committee admin"
MEMBERS = "member_a member_b secretary_a"  # roles with a member profile
STAFF = "secretary_a committee admin"
SCOPED = "secretary_a:A committee:AB admin:AB"  # managing roles over the object's branch
OWN = "member_a:A member_b:B"  # a member over their own object
OTHER = {"A": "B", "B": "A"}


@dataclass
class Route:
    """One route's declaration: who may reach which variant, and how to call it."""

    method: str
    rule: str
    allow: str  # "role" (objectless) or "role:AB" entries, space separated; "*" = everybody
    path: Callable[[SimpleNamespace, str], dict] | None = None
    body: Callable[[SimpleNamespace, str], dict] | None = None
    query: Callable[[SimpleNamespace, str], dict] | None = None
    form: bool = False
    files: Callable[[SimpleNamespace, str], dict] | None = None  # multipart fields of a form
    once: bool = False  # destructive: only the least privileged allowed role per variant
    variants: tuple[str, ...] = field(default=("-",))

    def allowed(self, role: str, variant: str) -> bool:
        """Whether `role` may reach `variant`."""
        if self.allow == "*":
            return True
        for entry in self.allow.split():
            name, _, which = entry.partition(":")
            if name == role and (not which or variant in which):
                return True
        return False


def _ab(fn):
    return fn


def org(w, v):
    return {"org_id": w.branch[v].id}


def activity(w, v):
    return {"activity_id": w.activity[v].id}


def vote(w, v):
    return {"vote_id": w.vote[v].id}


def applicant(w, v):
    return {"applicant_id": w.applicant[v].id}


def review(w, v):
    return {"round_id": w.review[v].id}


def survey(w, v):
    return {"survey_id": w.survey[v].id}


def attachment(w, v):
    return {"activity_id": w.activity[v].id, "attachment_id": w.attachment[v].id}


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


R = Route
MEMBER_PAGES = (
    "/m/",
    "/m/login",
    "/m/code",
    "/m/my-code",
    "/m/study/<int:item_id>",
    "/m/quiz",
    "/m/leave",
    "/m/points",
    "/m/inbox",
    "/m/attendance",
    "/m/devices",
)
ROUTES = [
    # public
    R("GET", "/healthz", "*"),
    R("GET", "/readyz", "*"),
    R(
        "POST",
        "/api/v1/auth/login",
        "*",
        body=lambda w, v: {"username": "committee", "password": "password123"},
    ),
    R("POST", "/api/mp/v1/login", "*", body=lambda w, v: {"code": "unknown"}),
    R("POST", "/api/mp/v1/bind", "*", body=lambda w, v: {"bind_token": "x", "invite_code": "ABCD"}),
    R("POST", "/api/mp/v1/scan", "*", body=lambda w, v: {"content": "hello"}),
    R("GET", "/web/assets/<path:filename>", "*", path=lambda w, v: {"filename": "css/base.css"}),
    # the committee console is a page shell without data; its script reads the API with a token
    R("GET", "/console", "*"),
    # the member app is page shells without data (their scripts read the API with the member's
    # token); the scanned links check their own token and render a page either way
    *[R("GET", rule, "*", path=lambda w, v: {"item_id": w.item["A"].id}) for rule in MEMBER_PAGES],
    R("GET", "/m/votes", "*"),
    R("GET", "/m/votes/<int:vote_id>", "*", path=lambda w, v: {"vote_id": w.vote["A"].id}),
    R(
        "GET",
        "/m/surveys/<int:survey_id>",
        "*",
        path=lambda w, v: {"survey_id": w.survey["A"].id},
    ),
    R("GET", "/c/<token>", "*", path=lambda w, v: {"token": w.token["A"]}),
    R("GET", "/i/<code>", "*", path=lambda w, v: {"code": "ABCDEFGH"}),
    # the screen pages answer only to their own signed screen token (tests/test_screen.py):
    # without it nobody gets in, not even an admin
    R("GET", "/screen/<int:activity_id>", "", path=activity, variants=("A",)),
    R("GET", "/screen/<int:activity_id>/state", "", path=activity, variants=("A",)),
    R("GET", "/screen/<int:activity_id>/qr.svg", "", path=activity, variants=("A",)),
    # auth
    R("GET", "/api/v1/me", ALL),
    R("POST", "/api/v1/auth/logout", ALL, once=True),
    R("POST", "/api/v1/auth/refresh", ""),  # access tokens never refresh
    # orgs
    R("GET", "/api/v1/orgs", ALL),
    R(
        "POST",
        "/api/v1/orgs",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {"name": "新党小组", "type": "group", "parent_id": w.branch[v].id},
    ),
    R("GET", "/api/v1/orgs/<int:org_id>", f"{OWN} {SCOPED}", path=org, variants=("A", "B")),
    R(
        "PATCH",
        "/api/v1/orgs/<int:org_id>",
        SCOPED,
        path=org,
        variants=("A", "B"),
        body=lambda w, v: {"name": f"{v}支部（改）"},
    ),
    R(
        "DELETE",
        "/api/v1/orgs/<int:org_id>",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"org_id": w.group[v].id},
    ),
    R("GET", "/api/v1/orgs/<int:org_id>/members", f"{OWN} {SCOPED}", path=org, variants=("A", "B")),
    R("GET", "/api/v1/orgs/<int:org_id>/roles", f"{OWN} {SCOPED}", path=org, variants=("A", "B")),
    R(
        "POST",
        "/api/v1/orgs/<int:org_id>/roles",
        SCOPED,
        path=org,
        variants=("A", "B"),
        body=lambda w, v: {"member_id": w.other[v].id, "role": "discipline"},
    ),
    R(
        "DELETE",
        "/api/v1/orgs/<int:org_id>/roles/<int:role_id>",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"org_id": w.branch[v].id, "role_id": w.role[v].id},
    ),
    # members
    R(
        "POST",
        "/api/v1/members",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {"name": "新党员", "org_id": w.branch[v].id},
    ),
    R(
        "GET",
        "/api/v1/members/<int:member_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"member_id": w.other[v].id},
    ),
    R(
        "PATCH",
        "/api/v1/members/<int:member_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"member_id": w.other[v].id},
        body=lambda w, v: {"gender": "female"},
    ),
    R(
        "DELETE",
        "/api/v1/members/<int:member_id>",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"member_id": w.other[v].id},
    ),
    R(
        "POST",
        "/api/v1/members/<int:member_id>/invite",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"member_id": w.other[v].id},
    ),
    R(
        "GET",
        "/api/v1/members/<int:member_id>/excusals",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"member_id": w.other[v].id},
    ),
    # an excusal is decided by the level above the branch: never the branch's own secretary
    R(
        "POST",
        "/api/v1/members/<int:member_id>/excusals",
        "committee:AB admin:AB",
        variants=("A", "B"),
        path=lambda w, v: {"member_id": w.other[v].id},
        body=lambda w, v: {"from_on": "2026-01-01", "reason": "长期出国"},
    ),
    R("POST", "/api/v1/members/import", STAFF, form=True),
    # enterprises
    R("GET", "/api/v1/enterprises", STAFF),
    R(
        "POST",
        "/api/v1/enterprises",
        "committee admin",
        body=lambda w, v: {"name": "新企业", "park_org_id": w.park.id},
    ),
    R("GET", "/api/v1/enterprises/coverage", STAFF),
    # activities
    R("GET", "/api/v1/activities", ALL),
    R(
        "POST",
        "/api/v1/activities",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "org_id": w.branch[v].id,
            "type": "theme_day",
            "title": "主题党日",
            "starts_at": (w.now + timedelta(days=2)).isoformat(),
            "ends_at": (w.now + timedelta(days=2, hours=2)).isoformat(),
            "location": "会议室",
        },
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>",
        f"{OWN} secretary_a:A committee:AB admin:AB",
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "PATCH",
        "/api/v1/activities/<int:activity_id>",
        SCOPED,
        path=activity,
        variants=("A", "B"),
        body=lambda w, v: {"title": "改名"},
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/attendance",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "PUT",
        "/api/v1/activities/<int:activity_id>/attendance/<int:member_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"activity_id": w.activity[v].id, "member_id": w.other[v].id},
        body=lambda w, v: {"status": "present", "reason": "现场补录"},
    ),
    R(
        "PUT",
        "/api/v1/activities/<int:activity_id>/attendees/<int:member_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"activity_id": w.activity[v].id, "member_id": w.other[v].id},
        body=lambda w, v: {"expected": True, "voter": True, "reason": "名单更正"},
    ),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/cancel",
        SCOPED,
        path=activity,
        variants=("A", "B"),
        once=True,
        body=lambda w, v: {"reason": "改期"},
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/checkin-code",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/checkin-code.png",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/checkin-code.svg",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/live",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/screen-link",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    # invitations across branches: answered by managers of the invited branch (variant)
    R("GET", "/api/v1/activities/invitations", STAFF),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/invitations/accept",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"activity_id": w.activity[OTHER[v]].id},
        body=lambda w, v: {"org_id": w.branch[v].id},
    ),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/invitations/decline",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"activity_id": w.activity[OTHER[v]].id},
        body=lambda w, v: {"org_id": w.branch[v].id},
    ),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/publish",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "PUT",
        "/api/v1/activities/<int:activity_id>/record",
        SCOPED,
        path=activity,
        variants=("A", "B"),
        body=lambda w, v: {"summary": "会议记录"},
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/attachments",
        SCOPED,
        path=activity,
        variants=("A", "B"),
    ),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/attachments",
        SCOPED,
        path=activity,
        variants=("A", "B"),
        form=True,
        files=lambda w, v: {"file": (io.BytesIO(PDF), "纪要.pdf")},
    ),
    R(
        "GET",
        "/api/v1/activities/<int:activity_id>/attachments/<int:attachment_id>",
        SCOPED,
        path=attachment,
        variants=("A", "B"),
    ),
    R(
        "DELETE",
        "/api/v1/activities/<int:activity_id>/attachments/<int:attachment_id>",
        SCOPED,
        path=attachment,
        variants=("A", "B"),
        once=True,
    ),
    R("GET", "/api/v1/members/import-template", STAFF),
    R("GET", "/api/v1/quiz/questions/import-template", STAFF),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/scan-member",
        SCOPED,
        path=activity,
        variants=("A", "B"),
        body=lambda w, v: {"code": "not-a-code"},
    ),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/leave",
        f"{OWN} secretary_a:A",
        path=activity,
        variants=("A", "B"),
        body=lambda w, v: {"reason": "出差"},
    ),
    R(
        "POST",
        "/api/v1/activities/<int:activity_id>/makeup-request",
        f"{OWN} secretary_a:A",
        path=activity,
        variants=("A", "B"),
        body=lambda w, v: {"reason": "忘记签到"},
    ),
    R(
        "POST",
        "/api/v1/checkins",
        f"{OWN} secretary_a:A",
        variants=("A", "B"),
        body=lambda w, v: {"token": w.token[v]},
    ),
    R("GET", "/api/v1/me/code", MEMBERS),
    R("GET", "/api/v1/leave-requests", ALL),
    R(
        "POST",
        "/api/v1/leave-requests/<int:request_id>/decision",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"request_id": w.leave[v].id},
        body=lambda w, v: {"approve": True},
    ),
    R("GET", "/api/v1/audit-log", STAFF),
    # notifications
    R("GET", "/api/v1/notifications", MEMBERS),
    R(
        "POST",
        "/api/v1/notifications/<int:notification_id>/read",
        OWN,
        variants=("A", "B"),
        path=lambda w, v: {"notification_id": w.note[v]},
    ),
    R("POST", "/api/v1/notifications/read-all", MEMBERS),
    R("GET", "/api/v1/notifications/preferences", MEMBERS),
    R(
        "PUT",
        "/api/v1/notifications/preferences",
        MEMBERS,
        body=lambda w, v: {"push": {"study_evening": False}},
    ),
    R(
        "POST",
        "/api/mp/v1/subscriptions",
        MEMBERS,
        body=lambda w, v: {"template_id": "tpl", "accepted": True},
    ),
    R("GET", "/api/mp/v1/home", MEMBERS),
    # the member pages (issue 13): browser binding, WeChat web authorisation, devices
    R("POST", "/api/mp/v1/web/bind", "*", body=lambda w, v: {"invite_code": "x"}),
    R("POST", "/api/mp/v1/oa/login", "*", body=lambda w, v: {"code": "unknown"}),
    R("GET", "/api/mp/v1/devices", MEMBERS),
    R(
        "DELETE",
        "/api/mp/v1/devices/<int:device_id>",
        OWN,
        path=lambda w, v: {"device_id": w.device[v]},
        once=True,
        variants=("A", "B"),
    ),
    R("GET", "/api/v1/me/code.svg", MEMBERS),
    R("POST", "/api/mp/v1/privacy", MEMBERS, body=lambda w, v: {"version": "2026.1"}),
    # points
    R("GET", "/api/v1/points/me", MEMBERS),
    R("GET", "/api/v1/points/leaderboard", ALL),
    R("GET", "/api/v1/points/rules", ALL),
    R(
        "PATCH",
        "/api/v1/points/rules/<action>",
        "admin",
        path=lambda w, v: {"action": "daily_signin"},
        body=lambda w, v: {"points": 1},
    ),
    R(
        "GET",
        "/api/v1/points/ledger",
        "committee:AB admin:AB",  # a member's whole ledger is the committee's to audit
        variants=("A", "B"),
        query=lambda w, v: {"member_id": w.other[v].id},
    ),
    # adjustments and revocations are the committee's, not a branch's (issue 4)
    R(
        "POST",
        "/api/v1/points/adjustments",
        "committee:AB admin:AB",
        variants=("A", "B"),
        body=lambda w, v: {"member_id": w.other[v].id, "delta": 1, "reason": "补记"},
    ),
    # study
    R("GET", "/api/v1/study-items", ALL),
    R("GET", "/api/v1/study-items/today", MEMBERS),
    R(
        "POST",
        "/api/v1/study-items",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "kind": "article",
            "title": "文章",
            "body": "正文",
            "org_id": w.branch[v].id,
        },
    ),
    R(
        "GET",
        "/api/v1/study-items/<int:item_id>",
        f"{OWN} {SCOPED}",
        variants=("A", "B"),
        path=lambda w, v: {"item_id": w.item[v].id},
    ),
    R(
        "PATCH",
        "/api/v1/study-items/<int:item_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"item_id": w.item[v].id},
        body=lambda w, v: {"title": "改"},
    ),
    R(
        "DELETE",
        "/api/v1/study-items/<int:item_id>",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"item_id": w.item[v].id},
    ),
    R(
        "GET",
        "/api/v1/study-items/<int:item_id>/readers",
        SCOPED,
        path=lambda w, v: {"item_id": w.item[v].id},
        variants=("A", "B"),
    ),
    R(
        "POST",
        "/api/v1/study-items/<int:item_id>/start",
        f"{OWN} secretary_a:A",
        variants=("A", "B"),
        path=lambda w, v: {"item_id": w.item[v].id},
    ),
    R(
        "POST",
        "/api/v1/study-items/<int:item_id>/complete",
        f"{OWN} secretary_a:A",
        variants=("A", "B"),
        path=lambda w, v: {"item_id": w.item[v].id},
    ),
    R(
        "POST",
        "/api/v1/study-items/<int:item_id>/answers",
        f"{OWN} secretary_a:A",
        variants=("A", "B"),
        path=lambda w, v: {"item_id": w.item[v].id},
        body=lambda w, v: {"answers": {}},
    ),
    # quiz
    R("GET", "/api/v1/quiz/daily", MEMBERS),
    R("POST", "/api/v1/quiz/daily", MEMBERS, body=lambda w, v: {"answers": {}}),
    R("GET", "/api/v1/quiz/questions", STAFF),
    R(
        "POST",
        "/api/v1/quiz/questions",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "kind": "true_false",
            "stem": "对吗？",
            "answer": ["A"],
            "org_id": w.branch[v].id,
        },
    ),
    R("POST", "/api/v1/quiz/questions/import", STAFF, form=True),
    R(
        "GET",
        "/api/v1/quiz/questions/<int:question_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"question_id": w.question[v].id},
    ),
    R(
        "PATCH",
        "/api/v1/quiz/questions/<int:question_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"question_id": w.question[v].id},
        body=lambda w, v: {"stem": "改"},
    ),
    R(
        "DELETE",
        "/api/v1/quiz/questions/<int:question_id>",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"question_id": w.question[v].id},
    ),
    # reports
    *[
        R("GET", f"/api/v1/reports/{name}", SCOPED, variants=("A", "B"), query=org)
        for name in ("attendance", "compliance", "members", "study", "stars")
    ],
    R("GET", "/api/v1/reports/freshness", STAFF),
    R(
        "GET",
        "/api/v1/reports/members/<int:member_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"member_id": w.other[v].id},
    ),
    R(
        "PUT",
        "/api/v1/reports/stars/<int:org_id>",
        "committee:AB admin:AB",
        path=org,
        variants=("A", "B"),
        body=lambda w, v: {"year": 2026, "stars": 8, "reason": "评定"},
    ),
    R("GET", "/api/v1/reports/periods", STAFF),
    # votes at the 党员大会 (issue 20)
    R("GET", "/api/v1/votes", f"{OWN} {SCOPED}", variants=("A", "B"), query=activity),
    R(
        "POST",
        "/api/v1/votes",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {"activity_id": w.activity[v].id, "kind": "motion", "title": "表决"},
    ),
    R("GET", "/api/v1/votes/<int:vote_id>", f"{OWN} {SCOPED}", variants=("A", "B"), path=vote),
    R(
        "POST",
        "/api/v1/votes/<int:vote_id>/written-opinions",
        SCOPED,
        variants=("A", "B"),
        path=vote,
        body=lambda w, v: {"member_id": w.other[v].id, "choice": "abstain"},
    ),
    R("POST", "/api/v1/votes/<int:vote_id>/open", SCOPED, variants=("A", "B"), path=vote),
    R(
        "POST",
        "/api/v1/votes/<int:vote_id>/ballot",
        "member_a:A member_b:B secretary_a:A",
        variants=("A", "B"),
        path=vote,
        body=lambda w, v: {"choice": "yes"},
    ),
    R(
        "POST",
        "/api/v1/votes/<int:vote_id>/paper",
        SCOPED,
        variants=("A", "B"),
        path=vote,
        body=lambda w, v: {"member_ids": [], "ballots": []},
    ),
    R("POST", "/api/v1/votes/<int:vote_id>/close", SCOPED, variants=("A", "B"), path=vote),
    R("GET", "/api/v1/votes/<int:vote_id>/electors", SCOPED, variants=("A", "B"), path=vote),
    R("GET", "/api/v1/votes/<int:vote_id>/export", SCOPED, variants=("A", "B"), path=vote),
    R(
        "POST",
        "/api/v1/votes/<int:vote_id>/committee",
        SCOPED,
        variants=("A", "B"),
        path=vote,
        body=lambda w, v: {
            "term_start": "2026-12-01",
            "roles": [{"member_id": w.other[v].id, "role": "secretary"}],
        },
    ),
    # 发展党员 (issue 20)
    R("GET", "/api/v1/applicants", STAFF),
    R(
        "POST",
        "/api/v1/applicants",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "org_id": w.branch[v].id,
            "name": "申请人",
            "birth_date": "1990-01-01",
            "applied_on": "2026-01-01",
        },
    ),
    R("GET", "/api/v1/applicants/<int:applicant_id>", SCOPED, variants=("A", "B"), path=applicant),
    R(
        "POST",
        "/api/v1/applicants/<int:applicant_id>/steps",
        SCOPED,
        variants=("A", "B"),
        path=applicant,
        body=lambda w, v: {"step": "review", "on": "2026-02-01"},
    ),
    R(
        "GET",
        "/api/v1/reports/recruitment",
        SCOPED,
        variants=("A", "B"),
        query=lambda w, v: {"org_id": w.branch[v].id, "year": 2026},
    ),
    # 民主评议党员 (issue 20)
    R("GET", "/api/v1/reviews", ALL),
    R(
        "POST",
        "/api/v1/reviews",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {"org_id": w.branch[v].id, "year": 2030},
    ),
    R("GET", "/api/v1/reviews/mine", MEMBERS),
    R("GET", "/api/v1/reviews/<int:round_id>", f"{OWN} {SCOPED}", variants=("A", "B"), path=review),
    R(
        "PUT",
        "/api/v1/reviews/<int:round_id>/self",
        "member_a:A member_b:B secretary_a:A",
        variants=("A", "B"),
        path=review,
        body=lambda w, v: {"text": "自评"},
    ),
    R(
        "PUT",
        "/api/v1/reviews/<int:round_id>/ratings",
        "member_a:A member_b:B secretary_a:A",
        variants=("A", "B"),
        path=review,
        body=lambda w, v: {"ratings": []},
    ),
    R("GET", "/api/v1/reviews/<int:round_id>/results", SCOPED, variants=("A", "B"), path=review),
    R(
        "PUT",
        "/api/v1/reviews/<int:round_id>/decisions/<int:member_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"round_id": w.review[v].id, "member_id": w.other[v].id},
        body=lambda w, v: {"grade": "合格"},
    ),
    R(
        "PUT",
        "/api/v1/reviews/<int:round_id>/decisions/<int:member_id>/follow-up",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"round_id": w.review[v].id, "member_id": w.other[v].id},
        body=lambda w, v: {"correction_deadline": "2027-01-01"},
    ),
    R("POST", "/api/v1/reviews/<int:round_id>/close", SCOPED, variants=("A", "B"), path=review),
    # surveys (issue 20)
    R("GET", "/api/v1/surveys", ALL),
    R(
        "POST",
        "/api/v1/surveys",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "org_id": w.branch[v].id,
            "title": "问卷",
            "questions": [{"kind": "text", "text": "建议"}],
        },
    ),
    R(
        "GET",
        "/api/v1/surveys/<int:survey_id>",
        f"{OWN} {SCOPED}",
        variants=("A", "B"),
        path=survey,
    ),
    R(
        "POST",
        "/api/v1/surveys/<int:survey_id>/answers",
        "member_a:A member_b:B secretary_a:A",
        variants=("A", "B"),
        path=survey,
        body=lambda w, v: {"answers": ["好"]},
    ),
    R("GET", "/api/v1/surveys/<int:survey_id>/results", SCOPED, variants=("A", "B"), path=survey),
    R("GET", "/api/v1/surveys/<int:survey_id>/export", SCOPED, variants=("A", "B"), path=survey),
    R("POST", "/api/v1/surveys/<int:survey_id>/close", SCOPED, variants=("A", "B"), path=survey),
    # the member's part in votes and surveys on the mini-program surface (issue 20)
    R("GET", "/api/mp/v1/votes/open", MEMBERS),
    R("GET", "/api/mp/v1/votes", MEMBERS),
    R(
        "POST",
        "/api/mp/v1/votes/<int:vote_id>/ballot",
        "member_a:A member_b:B secretary_a:A",
        variants=("A", "B"),
        path=vote,
        body=lambda w, v: {"choice": "yes"},
    ),
    R("GET", "/api/mp/v1/surveys", MEMBERS),
    R(
        "POST",
        "/api/mp/v1/surveys/<int:survey_id>/answers",
        "member_a:A member_b:B secretary_a:A",
        variants=("A", "B"),
        path=survey,
        body=lambda w, v: {"answers": ["好"]},
    ),
    # reopening a closed period is the committee's decision, never a branch secretary's
    R(
        "POST",
        "/api/v1/reports/periods/reopen",
        "committee admin",
        body=lambda w, v: {"kind": "month", "start": "2026-01-01", "reason": "更正转接"},
    ),
]


def _key(method: str, rule: str) -> str:
    return f"{method} {rule}"


def test_every_route_has_a_matrix_entry():
    app = make_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    from tests.authz_ledgers import LEDGER_ROUTES  # issue 19's routes, kept in their own module
    from tests.authz_rooms import ROOM_ROUTES  # issue 21's rooms
    from tests.authz_servicedesk import SERVICEDESK_ROUTES  # issue 21's requests
    from tests.authz_transfers import TRANSFER_ROUTES  # issue 21's transfers and mobile members

    declared = {
        _key(r.method, r.rule)
        for r in [*ROUTES, *LEDGER_ROUTES, *SERVICEDESK_ROUTES, *TRANSFER_ROUTES, *ROOM_ROUTES]
    }
    missing = sorted(
        _key(method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in LIBRARY_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if _key(method, rule.rule) not in declared
    )
    assert missing == []
    stale = declared - {_key(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods}
    assert stale == set()


@pytest.fixture
def world(park, make_org, make_member):
    """Objects of branch A and branch B for every kind of route."""
    from app.points.services import ensure_default_rules

    ensure_default_rules()
    now = utcnow()
    w = SimpleNamespace(now=now, park=park.park)
    w.branch = {"A": park.branch_a, "B": park.branch_b}
    # someone else's records in each branch (never one of the six roles)
    w.other = {"A": park.member_a2, "B": make_member(park.branch_b, name="赵六")}
    w.group = {v: make_org(f"{v}党小组", "group", w.branch[v]) for v in "AB"}
    w.role = {}
    for v in "AB":
        role = OrgRole(org_id=w.branch[v].id, member_id=w.other[v].id, role="publicity")
        db.session.add(role)
        w.role[v] = role
    w.activity, w.token, w.leave, w.item, w.question, w.note = {}, {}, {}, {}, {}, {}
    for v in "AB":
        start = now + timedelta(minutes=10)
        act = Activity(
            org_id=w.branch[v].id,
            type="theme_day",
            title=f"{v}主题党日",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            checkin_opens_before_minutes=30,
            checkin_closes_after_minutes=30,
            late_after_minutes=5,
            checkin_opens_at=start - timedelta(minutes=30),
            checkin_closes_at=start + timedelta(minutes=30),
            status="published",
            published_at=now - timedelta(days=1),
        )
        db.session.add(act)
        db.session.flush()
        w.activity[v] = act
        w.token[v] = tokens.checkin_token(act.id, tokens.window_of(now))
        leave = AttendanceRequest(
            activity_id=act.id,
            member_id=w.other[v].id,
            kind="leave",
            reason="出差",
            status="pending",
        )
        db.session.add(leave)
        item = StudyItem(
            kind="article",
            title=f"{v}文章",
            body="正文",
            org_id=w.branch[v].id,
            publish_at=now - timedelta(hours=1),
            minutes=3,
        )
        db.session.add(item)
        question = QuizQuestion(
            org_id=w.branch[v].id,
            kind="true_false",
            stem="对吗？",
            options=["正确", "错误"],
            answer=["A"],
        )
        db.session.add(question)
        db.session.flush()
        w.leave[v], w.item[v], w.question[v] = leave, item, question
        w.attachment = getattr(w, "attachment", {})
        w.attachment[v] = ActivityAttachment(
            activity_id=act.id,
            filename="纪要.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            storage_key=f"matrix-{v}.pdf",
        )
        db.session.add(w.attachment[v])
        db.session.flush()
    for v in "AB":  # each branch's activity invites the other branch, not yet accepted
        db.session.execute(
            insert(activity_invited_orgs).values(
                activity_id=w.activity[v].id, org_id=w.branch[OTHER[v]].id, status="pending"
            )
        )
        w.vote = getattr(w, "vote", {})
        w.vote[v] = Vote(
            activity_id=w.activity[v].id, org_id=w.branch[v].id, kind="motion", title="表决"
        )
        db.session.add(w.vote[v])
        w.applicant = getattr(w, "applicant", {})
        w.applicant[v] = Applicant(
            member_id=w.other[v].id,
            org_id=w.branch[v].id,
            birth_date=date(1990, 1, 1),
            applied_on=date(2026, 1, 1),
        )
        db.session.add(w.applicant[v])
        w.review = getattr(w, "review", {})
        w.review[v] = ReviewRound(org_id=w.branch[v].id, year=2026, grades=list(DEFAULT_GRADES))
        db.session.add(w.review[v])
        w.survey = getattr(w, "survey", {})
        w.survey[v] = Survey(
            org_id=w.branch[v].id,
            title="问卷",
            questions=[{"kind": "text", "text": "建议", "options": []}],
        )
        db.session.add(w.survey[v])
        db.session.flush()
    owners = {"A": park.member_a, "B": park.member_b}
    w.device = {}
    for v in "AB":
        device = MemberDevice(member_id=owners[v].id, kind="browser", label=f"{v}的手机")
        db.session.add(device)
        db.session.flush()
        w.device[v] = device.id
    for v in "AB":
        write_reminder(
            Reminder("study_evening", "daily", local_day(now), "提醒", member_ids=[owners[v].id]),
            now,
        )
    db.session.commit()
    from app.notify.models import Notification

    for v in "AB":
        w.note[v] = db.session.query(Notification).filter_by(member_id=owners[v].id).one().id
    return w


def _call(client, route: Route, w, v: str, headers: dict):
    path = route.rule
    args = route.path(w, v) if route.path else {}
    for name, value in args.items():
        for conv in (f"<int:{name}>", f"<path:{name}>", f"<{name}>"):
            path = path.replace(conv, str(value))
    kwargs = {"headers": headers}
    if route.query:
        kwargs["query_string"] = route.query(w, v)
    if route.form:
        kwargs["data"] = route.files(w, v) if route.files else {}
        kwargs["content_type"] = "multipart/form-data"
    elif route.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = route.body(w, v) if route.body else {}
    return client.open(path, method=route.method, **kwargs)


def check_route(route, client, park, world) -> None:
    """Denied roles first (they must change nothing), then the allowed ones; every role that
    answers otherwise than its verdict is named. Shared by the other matrices (ledgers, rooms)."""
    headers = {"anonymous": {}, **vars(park.headers)}
    problems: list[str] = []
    for variant in route.variants:
        denied = [r for r in ROLES if not route.allowed(r, variant)]
        allowed = [r for r in ROLES if route.allowed(r, variant)]
        if route.once:
            allowed = allowed[:1]
        for role in denied + allowed:
            response = _call(client, route, world, variant, headers[role])
            status = response.status_code
            ok = (
                status not in (401, 403, 404)
                if role in allowed
                else status in (401, 403)
                if role == "anonymous"
                else status in (401, 403, 404)
            )
            if not ok:
                body = response.get_json(silent=True) or {}
                code = body.get("error", {}).get("code") if isinstance(body, dict) else None
                verdict = "allowed" if role in allowed else "denied"
                problems.append(f"{role} on {variant}: expected {verdict}, got {status} {code}")
            response.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: _key(r.method, r.rule))
def test_authorization(route, client, park, world):
    """Denied roles first (they must change nothing), then the allowed ones."""
    check_route(route, client, park, world)


def test_member_lists_hold_only_what_is_theirs(client, park, world):
    """Lists a member may call answer only their own records and their own branch."""
    h = park.headers.member_a
    leave = client.get("/api/v1/leave-requests", headers=h).json
    assert leave["total"] == 0  # the two pending requests belong to others
    inbox = client.get("/api/v1/notifications", headers=h).json
    assert [n["id"] for n in inbox["items"]] == [world.note["A"]]
    orgs = client.get("/api/v1/orgs", headers=h).json
    assert {o["id"] for o in orgs["items"]} == {park.branch_a.id}
    acts = client.get("/api/v1/activities", headers=h).json
    assert {a["id"] for a in acts["items"]} == {world.activity["A"].id}
    items = client.get("/api/v1/study-items", headers=h).json
    assert world.item["B"].id not in {i["id"] for i in items["items"]}
    mates = client.get(f"/api/v1/orgs/{park.branch_a.id}/members", headers=h).json["items"]
    others = [m for m in mates if m["id"] != park.member_a.id]
    assert others and all("****" in (m["phone"] or "****") for m in others)


def test_secretary_lists_stop_at_their_branch(client, park, world):
    """A branch secretary's lists never show branch B's records."""
    h = park.headers.secretary_a
    leave = client.get("/api/v1/leave-requests", headers=h).json
    assert {r["id"] for r in leave["items"]} == {world.leave["A"].id}
    acts = client.get("/api/v1/activities", headers=h).json
    assert world.activity["B"].id not in {a["id"] for a in acts["items"]}
    questions = client.get("/api/v1/quiz/questions", headers=h).json
    assert world.question["B"].id not in {q["id"] for q in questions["items"]}
    theirs = client.get(f"/api/v1/points/ledger?member_id={park.member_b.id}", headers=h)
    assert theirs.status_code in (403, 404)
