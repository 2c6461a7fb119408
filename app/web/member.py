"""The member app (/m/) and the links people scan: /c/<token> (check-in) and /i/<code> (invite).

Every page is a shell: public at the route level, it holds no personal data, and its script
reads the member's own records from /api/v1 and /api/mp/v1 with the member's bearer token, so
the API's scoping is the only scoping. The scan link is checked here first: a forged or stale
token gets a clear page at once, a current one a page that checks in (after logging in, if
this browser has no session yet, with a scan ticket that remembers the token was current).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.activities import scan_ticket, tokens
from app.activities.models import ACTIVITY_TYPE_LABELS, Activity
from app.activities.screen import when_label
from app.auth import Access, access
from app.errors import APIError
from app.extensions import db
from app.members.services import INVITE_ALPHABET, INVITE_LENGTH, normalise_invite_code
from app.timeutil import utcnow
from app.web.common import read_only, web, web_page
from app.wechat_oa import AUTHORIZE_URL

bp = Blueprint("member", __name__, url_prefix="/m")
links = Blueprint("member_links", __name__)

# The check-in page may ask for the location (activities with a geofence); no other page may.
GEOLOCATION_POLICY = "camera=(), microphone=(), geolocation=(self)"
EXPIRED_MESSAGE = "二维码已更新，请重新扫描"
EXPIRED_HINT = (
    "签到二维码每15秒更换一次。请对准现场大屏上最新的二维码重新扫描，"
    "或点下方“输入6位签到码”，输入大屏上的数字。"
)
INVALID_HINT = "请扫描活动现场大屏上的签到二维码。"
PAGES = {
    "home": ("member/home.html", "首页"),
    "code": ("member/code.html", "输入签到码"),
    "my_code": ("member/my_code.html", "我的签到码"),
    "quiz": ("member/quiz.html", "每日答题"),
    "leave": ("member/leave.html", "请假与补签"),
    "points": ("member/points.html", "我的积分"),
    "inbox": ("member/inbox.html", "消息"),
    "attendance": ("member/attendance.html", "我的出勤"),
    "devices": ("member/devices.html", "登录设备"),
}


def _page(name: str, **context):
    template, title = PAGES[name]
    return render_template(template, page=name, page_title=title, **context)


def _problem(status: int, heading: str, message: str, code: str, hint: str = ""):
    """A page that says, in large Chinese text, why nothing happened."""
    html = render_template(
        "member/problem.html",
        page="problem",
        page_title=heading,
        heading=heading,
        message=message,
        code=code,
        hint=hint,
    )
    return html, status


def _login_context(invite_code: str = "") -> dict:
    config = current_app.config
    return {
        "invite_code": invite_code,
        "oa_appid": config["WECHAT_OA_APPID"] if config["WECHAT_OA_SECRET"] else "",
        "oa_authorize": AUTHORIZE_URL,
        "login_url": config["PUBLIC_BASE_URL"].rstrip("/") + "/m/login",
    }


@bp.route("/", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def home():
    """Home: today's brief, my next activities, unread messages, today's points per rule."""
    return _page("home")


@bp.route("/login", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def login():
    """Log this browser in: the invite code from the secretary, or WeChat authorisation."""
    return render_template(
        "member/login.html", page="login", page_title="党员登录", **_login_context()
    )


@bp.route("/code", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def code():
    """Type the 6-digit code shown at the meeting (when no camera works)."""
    return _page("code")


@bp.route("/my-code", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def my_code():
    """My personal rotating code, large, for the secretary to scan."""
    return _page("my_code")


@bp.route("/study/<int:item_id>", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def study(item_id):
    """The study reader: the server times the reading from its own clock."""
    return render_template("member/study.html", page="study", page_title="学习", item_id=item_id)


@bp.route("/quiz", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def quiz():
    """Today's quiz."""
    return _page("quiz")


@bp.route("/leave", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def leave():
    """Ask for leave before an activity, or for 补签 after one."""
    return _page("leave")


@bp.route("/points", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def points():
    """My points history and the leaderboard (as the park's ranking switch allows)."""
    return _page("points")


@bp.route("/inbox", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def inbox():
    """My messages (reminders, notices)."""
    return _page("inbox")


@bp.route("/attendance", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def attendance():
    """My attendance this year, month by month."""
    return _page("attendance")


@bp.route("/devices", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def devices():
    """The phones and browsers I am logged in on; log one out, or this one."""
    return _page("devices")


# --- the links people scan ---------------------------------------------------------------------


@links.before_request
def _reads_only():
    read_only()  # a room of phones opening /c/ at once must not queue for SQLite's write lock


@links.route("/c/<token>", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def scan_link(token):
    """What a phone camera opens from the check-in QR: checks in (after login if needed)."""
    now = utcnow()
    try:
        activity_id, _window = tokens.read_checkin_token(token)
        ticket = scan_ticket.make_ticket(token, now)
    except APIError as exc:
        if exc.code == "checkin.token_expired":
            return _problem(410, "二维码已更新", EXPIRED_MESSAGE, exc.code, EXPIRED_HINT)
        return _problem(400, "二维码无效", exc.message, exc.code, INVALID_HINT)
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return _problem(404, "活动不存在", "该活动不存在或已被删除", "not_found")
    html = render_template(
        "member/checkin.html",
        page="checkin",
        page_title="签到",
        activity=activity,
        activity_type_label=ACTIVITY_TYPE_LABELS[activity.type],
        when=when_label(activity),
        token=tokens.extract_token(token).upper(),
        ticket=ticket,
        needs_location=activity.geofence_lat is not None,
        **_login_context(),
    )
    response = current_app.make_response(html)
    if activity.geofence_lat is not None:
        response.headers["Permissions-Policy"] = GEOLOCATION_POLICY
    return response


@links.route("/i/<code>", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def invite_link(code):
    """The invite QR/link: the login page with the code filled in (one tap binds)."""
    invite = normalise_invite_code(code)
    valid = len(invite) == INVITE_LENGTH and all(ch in INVITE_ALPHABET for ch in invite)
    if not valid:
        return _problem(
            400, "邀请码无效", "邀请链接不完整或有误", "bind.invite_invalid",
            "请向支部书记重新索取邀请码，或在登录页手动输入。",
        )  # fmt: skip
    return render_template(
        "member/login.html", page="login", page_title="党员登录", **_login_context(invite)
    )


web.register_blueprint(bp)
web.register_blueprint(links)
