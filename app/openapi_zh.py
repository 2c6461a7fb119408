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
    "records": "会议记录附件 Meeting-record attachments",
    "import_templates": "导入模板 Import templates",
    "votes": "表决、选举与问卷 Votes, elections and surveys",
    "recruitment": "发展党员 Recruitment",
    "reviews": "民主评议党员 Democratic review",
    "surveys": "问卷 Surveys",
    "dues": "党费 Party dues",
    "notices": "通知公告 Notices",
    "posts": "先锋岗与亮身份 Pioneer posts",
    "enterprise_ledger": "五清台账 Enterprise ledger",
    "visits": "党建指导员走访 Instructors' visits",
    "requests": "诉求、建言与服务预约 Requests and services",
    "transfers": "组织关系转接与流动党员 Transfers and mobile members",
    "rooms": "党群服务中心活动室 Centre rooms",
    "mp_web": "网页版登录与设备 Browser login and devices",
    "mp_democracy": "小程序：表决与问卷 Votes and surveys (mini-program)",
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
    # 免于参加组织生活
    "GET /api/v1/members/{member_id}/excusals": "党员免于参加组织生活的记录",
    "POST /api/v1/members/{member_id}/excusals": "批准党员一段时间内免于参加组织生活（上级组织）",
    # 活动邀请与应到名单
    "GET /api/v1/activities/invitations": "待答复的活动邀请（来自其他支部）",
    "POST /api/v1/activities/{activity_id}/invitations/accept": "接受活动邀请（本方党员计入应到）",
    "POST /api/v1/activities/{activity_id}/invitations/decline": "谢绝活动邀请",
    "PUT /api/v1/activities/{activity_id}/attendees/{member_id}": (
        "手工调整应到名单（需填原因，留痕）"
    ),
    "GET /api/v1/me/code.svg": "我的个人签到码二维码（SVG）",
    # 会议记录附件
    "GET /api/v1/activities/{activity_id}/attachments": "会议记录附件列表",
    "POST /api/v1/activities/{activity_id}/attachments": "上传会议记录附件（照片或 PDF）",
    "GET /api/v1/activities/{activity_id}/attachments/{attachment_id}": "下载会议记录附件",
    "DELETE /api/v1/activities/{activity_id}/attachments/{attachment_id}": (
        "删除会议记录附件（留痕）"
    ),
    # 报表：数据时效与关账
    "GET /api/v1/reports/freshness": "报表数据来源与同步延迟",
    "GET /api/v1/reports/periods": "已关账的月份、季度与年度",
    "POST /api/v1/reports/periods/reopen": "重新打开已关账期间（仅党委，需填原因，留痕）",
    # 学习阅读情况与导入模板
    "GET /api/v1/study-items/{item_id}/readers": "阅读情况：已读、在读、未读名单",
    "GET /api/v1/members/import-template": "下载党员导入模板",
    "GET /api/v1/quiz/questions/import-template": "下载题库导入模板",
    # 表决与选举
    "GET /api/v1/votes": "会议的表决事项列表",
    "POST /api/v1/votes": "在党员大会上准备表决（草稿）",
    "GET /api/v1/votes/{vote_id}": "查看表决（结束后显示计票结果）",
    "POST /api/v1/votes/{vote_id}/written-opinions": "录入未到会党员的书面意见（表决开始前）",
    "POST /api/v1/votes/{vote_id}/open": "开始表决（到会须过半数，选举须达五分之四）",
    "POST /api/v1/votes/{vote_id}/ballot": "投票（无记名，限一次）",
    "POST /api/v1/votes/{vote_id}/paper": "计票人录入纸质选票及交票人",
    "POST /api/v1/votes/{vote_id}/close": "结束表决并计票",
    "GET /api/v1/votes/{vote_id}/electors": "有表决权的党员：到会与是否已投票（不显示投票内容）",
    "GET /api/v1/votes/{vote_id}/export": "导出表决完整记录（选举人、投票率、计票、结果）",
    "POST /api/v1/votes/{vote_id}/committee": "按选举结果组建委员会（职务与任期）",
    # 发展党员
    "GET /api/v1/applicants": "发展党员名单（管辖范围内）",
    "POST /api/v1/applicants": "登记入党申请（须年满18岁）",
    "GET /api/v1/applicants/{applicant_id}": "查看入党申请人及各阶段日期",
    "POST /api/v1/applicants/{applicant_id}/steps": (
        "记录发展流程的一步（谈话、确定积极分子、考察……接收、审批、转正、取消）"
    ),
    "GET /api/v1/reports/recruitment": (
        "年度发展党员情况：入党申请人→积极分子→发展对象→预备党员→正式党员"
    ),
    # 民主评议党员
    "GET /api/v1/reviews": "民主评议列表",
    "POST /api/v1/reviews": "开启支部年度民主评议",
    "GET /api/v1/reviews/mine": "我的历年评议等次",
    "GET /api/v1/reviews/{round_id}": "查看民主评议（含我的填写）",
    "PUT /api/v1/reviews/{round_id}/self": "填写自我评价",
    "PUT /api/v1/reviews/{round_id}/ratings": "评议本支部其他党员",
    "GET /api/v1/reviews/{round_id}/results": "评议结果：自评、互评等次、支部评定与整改",
    "PUT /api/v1/reviews/{round_id}/decisions/{member_id}": "支部评定党员等次",
    "PUT /api/v1/reviews/{round_id}/decisions/{member_id}/follow-up": "不合格党员限期改正及结果",
    "POST /api/v1/reviews/{round_id}/close": "结束民主评议",
    # 问卷
    "GET /api/v1/surveys": "问卷列表",
    "POST /api/v1/surveys": "向组织下的党员发布问卷",
    "GET /api/v1/surveys/{survey_id}": "查看问卷",
    "POST /api/v1/surveys/{survey_id}/answers": "填写问卷（限一次）",
    "GET /api/v1/surveys/{survey_id}/results": "问卷结果：各选项人数与简答内容",
    "GET /api/v1/surveys/{survey_id}/export": "导出问卷答卷（CSV / Excel）",
    "POST /api/v1/surveys/{survey_id}/close": "结束问卷",
    # 党费
    "GET /api/v1/dues/me": "我的党费：欠缴月数、本月应交与缴纳记录",
    "GET /api/v1/dues/members/{member_id}/bases": "党员的党费基数记录",
    "POST /api/v1/dues/members/{member_id}/bases": (
        "登记党员党费基数（收入或固定金额，自某月起，留痕）"
    ),
    "GET /api/v1/dues/members/{member_id}/ledger": "党员党费缴纳与冲正明细",
    "POST /api/v1/dues/payments": "登记党员党费（可多个月，每月只记一次）",
    "POST /api/v1/dues/payments/bulk": "批量登记支部党员某月党费（全部成功或全部不登记）",
    "POST /api/v1/dues/payments/{payment_id}/reversal": "冲正一笔党费（留痕，每笔限一次）",
    "GET /api/v1/dues/reductions": "党费减免申请列表",
    "POST /api/v1/dues/reductions": "支部申请减免党员党费（报上级，留痕）",
    "POST /api/v1/dues/reductions/{reduction_id}/decision": "上级审批党费减免（留痕）",
    "POST /api/v1/dues/handovers": "登记支部某月上缴党费",
    "GET /api/v1/dues/rates": "本月党费缴纳比例（各类别）",
    "POST /api/v1/dues/rates": "设置党费缴纳比例（管理员，自某月起生效）",
    "GET /api/v1/dues/sheet": "月度党费收缴表：基数、应交、实交、状态、连续欠缴",
    "GET /api/v1/dues/unpaid": "未交党费名单",
    "GET /api/v1/dues/report": "年度党费收缴统计（支部 × 月份：应交、实交、欠缴、上缴）",
    # 通知公告
    "GET /api/v1/notices": "通知公告列表（置顶在前，含已读与确认人数）",
    "POST /api/v1/notices": "发布通知公告（可定时发布）",
    "GET /api/v1/notices/mine": "我的通知公告",
    "GET /api/v1/notices/{notice_id}": "查看通知公告（党员查看即记为已读）",
    "PATCH /api/v1/notices/{notice_id}": "置顶、取消置顶或撤回通知公告",
    "POST /api/v1/notices/{notice_id}/confirm": "确认已阅通知公告",
    "GET /api/v1/notices/{notice_id}/receipts": "阅读回执：已读、未读、已确认人数及未读名单",
    "POST /api/v1/notices/{notice_id}/remind": "提醒未确认（或未读）的党员",
    # 先锋岗与亮身份
    "GET /api/v1/posts": "先锋岗列表（含在岗党员）",
    "POST /api/v1/posts": "设立先锋岗（责任区、示范岗、突击队）",
    "GET /api/v1/posts/report": "先锋岗统计（各支部分类数量与党员在岗比例）",
    "GET /api/v1/posts/{post_id}": "查看先锋岗及在岗党员",
    "POST /api/v1/posts/{post_id}/holders": "书记安排党员上岗",
    "POST /api/v1/posts/{post_id}/claim": "党员认领先锋岗",
    "POST /api/v1/posts/{post_id}/release": "结束在岗（本人或书记）",
    "GET /api/v1/rooms": "党群服务中心活动室列表",
    "POST /api/v1/rooms": "新建活动室（容量、设备、开放时间、是否需审批）",
    "GET /api/v1/rooms/usage": "活动室使用情况（按活动室、按组织统计时长与次数，可导出）",
    "GET /api/v1/rooms/{room_id}": "查看活动室",
    "PATCH /api/v1/rooms/{room_id}": "修改或停用活动室",
    "GET /api/v1/bookings": "活动室预约列表（周视图）",
    "POST /api/v1/bookings": "预约活动室（时段冲突返回409）",
    "GET /api/v1/bookings/{booking_id}": "查看预约",
    "POST /api/v1/bookings/{booking_id}/decision": "园区党委审批预约（通过或驳回）",
    "POST /api/v1/bookings/{booking_id}/cancel": "取消预约",
    "GET /api/v1/me/card": "我的亮身份卡：支部、党龄、所在岗位",
    "GET /api/v1/me/card.svg": "亮身份卡二维码（SVG）",
    "GET /api/v1/cards/verify": "扫码核验亮身份卡（无需登录）",
    # 五清台账
    "GET /api/v1/enterprises/{enterprise_id}": "查看企业五清台账（含指导员与覆盖方式）",
    "PATCH /api/v1/enterprises/{enterprise_id}": "修改企业及五清信息（逐项留存历史）",
    "GET /api/v1/enterprises/{enterprise_id}/history": "企业信息变更历史",
    "GET /api/v1/enterprises/coverage-modes": "企业覆盖方式统计（应单建、联建挂靠、派驻）",
    # 党建指导员与走访
    "GET /api/v1/instructor-assignments": "党建指导员与联系领导安排",
    "POST /api/v1/instructor-assignments": "选派党建指导员或联系领导到企业",
    "POST /api/v1/instructor-assignments/{assignment_id}/end": "结束选派",
    "GET /api/v1/visits": "走访记录",
    "POST /api/v1/visits": "登记走访",
    "GET /api/v1/visits/report": "走访统计（指导员 × 月份）",
    "GET /api/v1/visits/overdue": "超期未走访的企业",
    # 诉求、建言与服务预约
    "POST /api/v1/requests": "提交诉求、建言或服务预约（党员或职工；幂等键只登记一次）",
    "GET /api/v1/requests/mine": "我的诉求（含答复与评价）",
    "GET /api/v1/requests/mine/{request_id}": "查看我的一条诉求",
    "GET /api/v1/requests/options": "提交诉求的选项：类别、服务团、可选企业",
    "POST /api/v1/requests/{request_id}/rating": "评价答复（1–5分，限一次）",
    "GET /api/v1/requests": "待办诉求（管辖范围内或交我办理的；可导出台账）",
    "GET /api/v1/requests/handlers": "可指定的办理人",
    "GET /api/v1/requests/{request_id}": "查看诉求详情（办理用）",
    "POST /api/v1/requests/{request_id}/route": "转交办理人并设定办结期限",
    "POST /api/v1/requests/{request_id}/transition": "开始办理（已受理 → 办理中）",
    "POST /api/v1/requests/{request_id}/answer": "书面答复：已解决或不予办理",
    "GET /api/v1/requests/report": "诉求建言统计（类别 × 月份：受理、解决、超期）",
    "POST /api/v1/requests/staff-invites": "邀请企业职工（一次性邀请码，绑定手机浏览器）",
    "GET /api/v1/requests/staff": "本人所管园区企业的职工账号（手机号部分隐藏）",
    "POST /api/v1/requests/staff/{staff_id}/deactivate": "停用职工账号（下一次请求即失效，留痕）",
    "POST /api/v1/requests/staff/{staff_id}/reactivate": "恢复已停用的职工账号（留痕）",
    "GET /api/v1/transfers": "组织关系转接列表（党员看本人的）",
    "POST /api/v1/transfers": "申请组织关系转接（本人或转出支部；系统外转入由接收支部登记）",
    "GET /api/v1/transfers/branches": "可转入的党支部",
    "GET /api/v1/transfers/report": "组织关系转入转出统计（按支部、月/季/年）",
    "GET /api/v1/transfers/{transfer_id}": "查看组织关系转接",
    "POST /api/v1/transfers/{transfer_id}/approve": "审批同意（转出、接收方，跨园区含上级党委）",
    "POST /api/v1/transfers/{transfer_id}/reject": "驳回组织关系转接（须填写理由）",
    "POST /api/v1/transfers/{transfer_id}/cancel": "撤销未办结的组织关系转接",
    "POST /api/v1/transfers/{transfer_id}/reported": "接收方确认党员已报到（一次，留痕）",
    "GET /api/v1/mobile-memberships": "流动党员登记列表（含应转接、失联提示）",
    "POST /api/v1/mobile-memberships": "登记流动党员（流入地党组织或系统外组织、起止日期）",
    "GET /api/v1/mobile-memberships/report": "流动党员分布（今天在外的党员及提示）",
    "GET /api/v1/mobile-memberships/contacts": "党员联系记录",
    "POST /api/v1/mobile-memberships/contacts": "登记与党员的联系",
    "POST /api/v1/mobile-memberships/{membership_id}/end": "结束流动登记（返回）",
    "POST /api/v1/mobile-memberships/{membership_id}/participations": "登记流入地参加活动",
    "POST /api/mp/v1/login": "小程序登录（wx.login 的 code）",
    "POST /api/mp/v1/bind": "用邀请码绑定微信",
    "POST /api/mp/v1/scan": "小程序扫码（签到码或邀请码）",
    "GET /api/mp/v1/home": "小程序首页（含每日登录积分）",
    "POST /api/mp/v1/subscriptions": "记录订阅消息授权",
    "POST /api/mp/v1/privacy": "同意隐私保护指引",
    # 小程序：网页版登录与设备
    "POST /api/mp/v1/web/bind": "网页版用邀请码绑定（旧设备将退出登录）",
    "POST /api/mp/v1/oa/login": "微信网页授权登录（公众号）",
    "GET /api/mp/v1/devices": "我已登录的设备",
    "DELETE /api/mp/v1/devices/{device_id}": "退出某台设备的登录",
    # 小程序：表决与问卷
    "GET /api/mp/v1/votes/open": "进行中的表决（我有表决权的）",
    "GET /api/mp/v1/votes": "我的表决：进行中的及近30天已结束的（含结果）",
    "POST /api/mp/v1/votes/{vote_id}/ballot": "投票（无记名，限一次）",
    "GET /api/mp/v1/surveys": "待填写的问卷",
    "POST /api/mp/v1/surveys/{survey_id}/answers": "填写问卷（限一次）",
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
