"""The API documentation in Chinese (issue 17): an introduction, tag names, a Chinese summary
per operation (the English docstring stays as the description, for the mini-program team),
and per-operation security — public routes carry no lock in /api/docs.

Kept beside the routes rather than in their docstrings so that the route files stay as they
are; tests/test_api_docs.py fails when an operation has no Chinese summary here.
"""

from __future__ import annotations

import re

from flask import Flask

INTRO = """\
云上党支部（Cloud Party Branch）后端接口：组织架构、党员、活动签到、请假补签、学习积分、报表与提醒。

## 如何获得令牌（token）
- **工作台账号**（园区党委、支部书记、管理员）：`POST /api/v1/auth/login`，
  请求体 `{"username": "…", "password": "…"}`，
  返回 `access_token`（15 分钟）与 `refresh_token`（30 天）。
- **小程序党员**：`wx.login()` 得到 `code` 后调用 `POST /api/mp/v1/login`；首次使用时按提示用邀请码
  `POST /api/mp/v1/bind` 绑定。
- 之后每个请求带上请求头 `Authorization: Bearer <access_token>`；过期后用
  `POST /api/v1/auth/refresh`（请求头带 refresh token）换新的 access token。
- 在本页右上角 **Authorize** 填入 access token 即可直接试用接口。带锁的接口需要令牌，
  不带锁的（健康检查、登录、扫码）无需令牌。

## 统一的错误格式（envelope）
所有非 2xx 应答都是同一个 JSON 结构，`code` 为稳定的英文错误码，`message` 为可直接展示给用户的中文：

```json
{"error": {"code": "checkin.window_closed", "message": "签到已结束", "details": {}}}
```

常见状态码：400 参数错误（`details.fields` 指出哪个字段）、401 未登录或令牌过期、
403 无权限、404 不存在（或不在您的管辖范围内）、409 状态冲突、413 请求体过大、429 请求过于频繁。

## 其他约定
- 时间一律为带时区的 ISO 8601（存储为 UTC），“今天”、“本月”按北京时间（Asia/Shanghai）计算。
- 列表接口分页：`page`、`per_page`，返回 `items`、`total`。
- 报表接口默认返回 JSON，加 `format=csv` 或 `format=xlsx` 下载文件。
"""

TAGS = {
    "health": "健康检查 Health",
    "auth": "登录与令牌 Authentication",
    "orgs": "组织架构 Organisation tree",
    "members": "党员管理 Party members",
    "enterprises": "园区企业 Park enterprises",
    "activities": "组织生活与签到 Activities and check-in",
    "attendance": "签到、请假与审计 Check-in, leave and audit",
    "notifications": "消息提醒 Inbox",
    "reports": "统计报表 Reports",
    "study": "学习内容 Study items and reading",
    "quiz": "每日答题与题库 Daily quiz and bank",
    "points": "学习积分 Study points",
    "screen_links": "签到大屏 Check-in screen",
    "mp": "小程序 Mini-program",
    "mp_subscriptions": "订阅消息与隐私 Subscriptions and privacy",
}

SUMMARIES = {
    "GET /healthz": "进程存活检查",
    "GET /readyz": "就绪检查：数据库与提醒调度器",
    "POST /api/v1/auth/login": "账号密码登录，获取令牌",
    "POST /api/v1/auth/refresh": "用 refresh token 换新的 access token",
    "POST /api/v1/auth/logout": "退出登录（作废令牌）",
    "GET /api/v1/me": "当前用户：身份、角色与管辖范围",
    "GET /api/v1/orgs": "组织列表（树序，含人数与建制提示）",
    "POST /api/v1/orgs": "新建组织",
    "GET /api/v1/orgs/{org_id}": "查看组织",
    "PATCH /api/v1/orgs/{org_id}": "修改组织（可整体迁移下级）",
    "DELETE /api/v1/orgs/{org_id}": "撤销空组织（保留历史）",
    "GET /api/v1/orgs/{org_id}/members": "组织下的党员（手机号脱敏）",
    "GET /api/v1/orgs/{org_id}/roles": "组织的职务（书记、委员等）",
    "POST /api/v1/orgs/{org_id}/roles": "任命职务",
    "DELETE /api/v1/orgs/{org_id}/roles/{role_id}": "免去职务",
    "POST /api/v1/members": "新增党员",
    "GET /api/v1/members/{member_id}": "查看党员",
    "PATCH /api/v1/members/{member_id}": "修改党员信息（含组织关系转接）",
    "DELETE /api/v1/members/{member_id}": "停用党员（保留考勤与积分历史）",
    "POST /api/v1/members/import": "批量导入党员（CSV / Excel，全部成功或全部不导入）",
    "POST /api/v1/members/{member_id}/invite": "生成绑定微信的邀请码（含二维码）",
    "GET /api/v1/enterprises": "园区企业列表",
    "POST /api/v1/enterprises": "登记园区企业",
    "GET /api/v1/enterprises/coverage": "“两个覆盖”统计",
    "GET /api/v1/activities": "活动列表",
    "POST /api/v1/activities": "新建活动（默认草稿）",
    "GET /api/v1/activities/{activity_id}": "查看活动（含签到时段）",
    "PATCH /api/v1/activities/{activity_id}": "修改活动",
    "POST /api/v1/activities/{activity_id}/publish": "发布活动",
    "POST /api/v1/activities/{activity_id}/cancel": "取消活动",
    "PUT /api/v1/activities/{activity_id}/record": "填写会议记录与志愿时长",
    "GET /api/v1/activities/{activity_id}/checkin-code": "当前签到码（二维码链接与6位数字码）",
    "GET /api/v1/activities/{activity_id}/checkin-code.png": "签到二维码图片（PNG）",
    "GET /api/v1/activities/{activity_id}/checkin-code.svg": "签到二维码图片（SVG）",
    "POST /api/v1/activities/{activity_id}/scan-member": "扫党员个人码签到",
    "GET /api/v1/activities/{activity_id}/attendance": "签到表：应到、实到、请假、缺席与法定人数",
    "PUT /api/v1/activities/{activity_id}/attendance/{member_id}": "手工修改签到状态（留痕）",
    "GET /api/v1/activities/{activity_id}/live": "签到实况（大屏轮询）",
    "POST /api/v1/activities/{activity_id}/leave": "请假",
    "POST /api/v1/activities/{activity_id}/makeup-request": "申请补签",
    "POST /api/v1/checkins": "扫码或输入6位码签到",
    "GET /api/v1/me/code": "我的个人签到码",
    "GET /api/v1/leave-requests": "请假与补签申请列表",
    "POST /api/v1/leave-requests/{request_id}/decision": "审批请假或补签",
    "GET /api/v1/audit-log": "操作留痕（谁、何时、改了什么、为什么）",
    "GET /api/v1/notifications": "我的消息",
    "POST /api/v1/notifications/{notification_id}/read": "标记一条消息已读",
    "POST /api/v1/notifications/read-all": "全部标记已读",
    "GET /api/v1/notifications/preferences": "微信推送偏好",
    "PUT /api/v1/notifications/preferences": "设置微信推送偏好",
    "GET /api/v1/reports/attendance": "出勤统计",
    "GET /api/v1/reports/compliance": "三会一课落实情况（支部 × 月份）",
    "GET /api/v1/reports/members": "党员组织生活情况（含6个月预警）",
    "GET /api/v1/reports/members/{member_id}": "单个党员的组织生活情况",
    "GET /api/v1/reports/study": "学习情况统计",
    "GET /api/v1/reports/stars": "党支部星级评定",
    "PUT /api/v1/reports/stars/{org_id}": "评定支部最终星级（留痕）",
    "GET /api/v1/study-items": "学习内容列表",
    "POST /api/v1/study-items": "发布学习内容（晨会、微课堂、文章）",
    "GET /api/v1/study-items/today": "今日学习",
    "GET /api/v1/study-items/{item_id}": "查看学习内容",
    "PATCH /api/v1/study-items/{item_id}": "修改学习内容",
    "DELETE /api/v1/study-items/{item_id}": "撤回学习内容",
    "POST /api/v1/study-items/{item_id}/start": "开始阅读",
    "POST /api/v1/study-items/{item_id}/complete": "完成阅读（计时达标后计分）",
    "POST /api/v1/study-items/{item_id}/answers": "提交微课堂随堂测",
    "GET /api/v1/quiz/daily": "今日答题（5题）",
    "POST /api/v1/quiz/daily": "提交今日答题",
    "GET /api/v1/quiz/questions": "题库",
    "POST /api/v1/quiz/questions": "新增题目",
    "GET /api/v1/quiz/questions/{question_id}": "查看题目",
    "PATCH /api/v1/quiz/questions/{question_id}": "修改题目",
    "DELETE /api/v1/quiz/questions/{question_id}": "停用题目",
    "POST /api/v1/quiz/questions/import": "批量导入题目",
    "GET /api/v1/points/me": "我的积分：余额、今日进度、连续天数、明细",
    "GET /api/v1/points/leaderboard": "积分排行榜",
    "GET /api/v1/points/rules": "积分规则",
    "PATCH /api/v1/points/rules/{action}": "修改积分规则（管理员）",
    "POST /api/v1/points/adjustments": "积分调整或撤销（留痕）",
    "GET /api/v1/points/ledger": "党员积分明细（园区党委）",
    "GET /api/v1/activities/{activity_id}/screen-link": "签到大屏链接",
    "POST /api/mp/v1/login": "小程序登录（wx.login 的 code）",
    "POST /api/mp/v1/bind": "用邀请码绑定微信",
    "POST /api/mp/v1/scan": "小程序扫码（签到码或邀请码）",
    "GET /api/mp/v1/home": "小程序首页（含每日登录积分）",
    "POST /api/mp/v1/subscriptions": "记录订阅消息授权",
    "POST /api/mp/v1/privacy": "同意隐私保护指引",
}

METHODS = ("get", "post", "put", "patch", "delete")


def openapi_path(rule: str) -> str:
    """/api/v1/orgs/<int:org_id> → /api/v1/orgs/{org_id}"""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def localize(app: Flask, spec) -> None:
    """Chinese summaries and tags, the introduction, and no lock on public operations."""
    from app.auth import Access

    spec.options.setdefault("info", {})["description"] = INTRO
    for tag in spec._tags:  # apispec keeps tags in registration order
        if tag["name"] in TAGS:
            tag["description"] = TAGS[tag["name"]]
    paths = spec._paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            summary = SUMMARIES.get(f"{method.upper()} {path}")
            if summary:
                english = operation.get("summary", "")
                operation["summary"] = summary
                described = operation.get("description", "")
                operation["description"] = "\n\n".join(p for p in (english, described) if p)
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if getattr(view, "access_policy", None) is not Access.PUBLIC:
            continue
        operations = paths.get(openapi_path(rule.rule), {})
        for method in rule.methods or ():
            if method.lower() in operations:
                operations[method.lower()]["security"] = []  # no token needed: no lock
