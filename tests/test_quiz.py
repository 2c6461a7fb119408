"""The daily quiz (a stable draw, graded once, capped points), lesson questions, the bank and
its XLSX import (all or nothing, with row errors)."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.points.models import PointLedger, PointRule
from app.study import quiz
from app.study.models import DailyQuiz, QuizQuestion

NOW = datetime(2030, 5, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def bank(park, point_rules, make_question):
    """30 park-wide questions whose answer is A, and 5 of branch B's own."""
    questions = [make_question(park.park) for _ in range(30)]
    for _ in range(5):
        make_question(park.branch_b)
    return questions


def earned(member_id, action="quiz_correct"):
    return db.session.scalar(
        select(func.coalesce(func.sum(PointLedger.delta), 0)).where(
            PointLedger.member_id == member_id, PointLedger.action == action
        )
    )


def test_the_draw_is_stable_for_the_day_and_differs_across_members(park, bank, principal_of):
    a, a2 = principal_of(park.member_a), principal_of(park.member_a2)
    first = quiz.daily_quiz(a, NOW)
    ids = [q.id for q in first["questions"]]
    assert len(ids) == 5 and len(set(ids)) == 5
    assert [q.id for q in quiz.daily_quiz(a, NOW + timedelta(hours=8))["questions"]] == ids
    other = [q.id for q in quiz.daily_quiz(a2, NOW)["questions"]]
    assert other != ids
    tomorrow = [q.id for q in quiz.daily_quiz(a, NOW + timedelta(days=1))["questions"]]
    assert tomorrow != ids
    park_wide = {q.id for q in bank}
    assert set(ids) <= park_wide  # branch B's questions never reach branch A
    # the draw depends only on member and day: recomputing it gives the same set
    assert quiz.draw(park.member_a.id, first["day"], sorted(park_wide), 5) == ids
    db.session.commit()


def test_questions_come_without_answers_until_graded(client, park, bank):
    r = client.get("/api/v1/quiz/daily", headers=park.headers.member_a)
    assert r.status_code == 200 and r.json["submitted"] is False and r.json["results"] is None
    for q in r.json["questions"]:
        assert set(q) == {"id", "kind", "kind_label", "stem", "choices"}
    assert client.get("/api/v1/quiz/daily", headers=park.headers.committee).status_code == 403


def test_grading_once_with_explanations_and_a_409_after(client, park, bank):
    h = park.headers.member_a
    questions = client.get("/api/v1/quiz/daily", headers=h).json["questions"]
    answers = {str(q["id"]): ["A"] for q in questions[:3]}
    answers[str(questions[3]["id"])] = ["b"]  # wrong, lower case accepted
    r = client.post("/api/v1/quiz/daily", json={"answers": answers}, headers=h)
    assert r.status_code == 200, r.json
    assert r.json["correct"] == 3 and r.json["total"] == 5 and r.json["points"] == 3
    results = r.json["results"]
    assert [x["correct"] for x in results] == [True, True, True, False, False]
    assert results[3]["chosen"] == ["B"] and results[3]["answer"] == ["A"]
    assert results[4]["chosen"] == []  # unanswered counts as wrong
    assert all(x["explanation"].endswith("的解析") for x in results)
    again = client.post(
        "/api/v1/quiz/daily", json={"answers": {str(q["id"]): ["A"] for q in questions}}, headers=h
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "quiz.already_submitted"
    assert again.json["error"]["details"]["result"]["correct"] == 3
    assert earned(park.member_a.id) == 3
    shown = client.get("/api/v1/quiz/daily", headers=h).json
    assert shown["submitted"] and shown["results"][0]["explanation"]


def test_points_are_capped_by_the_rule(park, bank, principal_of):
    rule = db.session.scalar(select(PointRule).where(PointRule.action == "quiz_correct"))
    rule.daily_count_cap = 3
    db.session.commit()
    a = principal_of(park.member_a)
    ids = [q.id for q in quiz.daily_quiz(a, NOW)["questions"]]
    result = quiz.submit_daily_quiz(a, {i: ["A"] for i in ids}, NOW)
    db.session.commit()
    assert result["correct"] == 5 and result["points"] == 3 and earned(park.member_a.id) == 3


def test_multiple_choice_needs_exactly_the_right_set(
    park, point_rules, make_question, principal_of
):
    q = make_question(park.branch_a, "multiple", answer=("A", "C"))
    t = make_question(park.branch_a, "true_false", answer=("B",))
    a = principal_of(park.member_a)
    assert {x.id for x in quiz.daily_quiz(a, NOW)["questions"]} == {q.id, t.id}
    result = quiz.submit_daily_quiz(a, {q.id: ["C", "A"], t.id: ["B"]}, NOW)
    assert result["correct"] == 2
    a2 = principal_of(park.member_a2)
    quiz.daily_quiz(a2, NOW)
    assert quiz.submit_daily_quiz(a2, {q.id: ["A"], t.id: ["A"]}, NOW)["correct"] == 0


@pytest.mark.parametrize(
    "answers",
    [
        {"999999": ["A"]},  # not one of today's
        {"abc": ["A"]},
        {"QID": ["Z"]},  # no such option
        {"QID": ["A", "B"]},  # one answer only
        {"QID": "A"},
    ],
)
def test_bad_answers_are_400(client, park, bank, answers):
    h = park.headers.member_a
    qid = client.get("/api/v1/quiz/daily", headers=h).json["questions"][0]["id"]
    body = {"answers": {k.replace("QID", str(qid)): v for k, v in answers.items()}}
    r = client.post("/api/v1/quiz/daily", json=body, headers=h)
    assert r.status_code == 400, r.json
    assert client.post("/api/v1/quiz/daily", json={}, headers=h).status_code == 400
    # nothing was graded: a good submission still works
    r = client.post("/api/v1/quiz/daily", json={"answers": {str(qid): ["A"]}}, headers=h)
    assert r.status_code == 200 and r.json["correct"] == 1


def test_an_empty_bank(client, park, point_rules, make_question):
    r = client.get("/api/v1/quiz/daily", headers=park.headers.member_a)
    assert r.status_code == 200 and r.json["questions"] == [] and r.json["total"] == 0
    r = client.post("/api/v1/quiz/daily", json={"answers": {}}, headers=park.headers.member_a)
    assert r.status_code == 409 and r.json["error"]["code"] == "quiz.no_questions"
    question = make_question(park.park)  # the bank fills up later that day: drawn then
    r = client.get("/api/v1/quiz/daily", headers=park.headers.member_a)
    assert [q["id"] for q in r.json["questions"]] == [question.id]


def test_a_console_user_without_a_role_sees_no_items(client, park, make_user, auth_headers):
    nobody = make_user("nobody")
    r = client.get("/api/v1/study-items", headers=auth_headers(nobody))
    assert r.status_code == 200 and r.json["total"] == 0


def test_concurrent_submissions_grade_once(app, park, bank):
    headers = park.headers.member_a
    client = app.test_client()
    ids = [q["id"] for q in client.get("/api/v1/quiz/daily", headers=headers).json["questions"]]
    member_id = park.member_a.id
    db.session.remove()
    n = 6
    barrier = threading.Barrier(n)
    codes: list[int] = []

    def submit():
        c = app.test_client()
        barrier.wait()
        r = c.post(
            "/api/v1/quiz/daily", json={"answers": {str(i): ["A"] for i in ids}}, headers=headers
        )
        codes.append(r.status_code)

    threads = [threading.Thread(target=submit) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [200] + [409] * (n - 1)
    assert earned(member_id) == 5
    assert db.session.scalar(select(func.count()).select_from(DailyQuiz)) == 1


# --- lesson questions ---------------------------------------------------------------------------


def test_lesson_questions_grade_once_within_the_lesson(
    client, park, point_rules, make_item, make_question
):
    lesson = make_item(park.branch_a, "micro_lesson")
    q1 = make_question(park.branch_a, item=lesson, position=0)
    q2 = make_question(park.branch_a, "true_false", item=lesson, answer=("A",), position=1)
    other = make_question(park.branch_a)
    h = park.headers.member_a
    url = f"/api/v1/study-items/{lesson.id}/answers"
    r = client.post(url, json={"answers": {str(other.id): ["A"]}}, headers=h)
    assert r.status_code == 400
    r = client.post(url, json={"answers": {str(q1.id): ["A"], str(q2.id): ["B"]}}, headers=h)
    assert r.status_code == 200 and r.json["correct"] == 1 and r.json["points"] == 1
    again = client.post(url, json={"answers": {str(q1.id): ["A"], str(q2.id): ["A"]}}, headers=h)
    assert again.status_code == 409 and again.json["error"]["code"] == "study.already_answered"
    assert again.json["error"]["details"]["result"]["correct"] == 1
    assert earned(park.member_a.id, "lesson_correct") == 1
    detail = client.get(f"/api/v1/study-items/{lesson.id}", headers=h).json
    assert detail["my_result"]["correct"] == 1 and detail["progress"]["answered"]
    assert detail["my_result"]["results"][1]["explanation"]
    # the daily quiz never draws a lesson's questions
    drawn = client.get("/api/v1/quiz/daily", headers=h).json["questions"]
    assert [q["id"] for q in drawn] == [other.id]
    brief = make_item(park.branch_a)
    r = client.post(f"/api/v1/study-items/{brief.id}/answers", json={"answers": {}}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "study.no_questions"


# --- the bank -----------------------------------------------------------------------------------


def test_bank_crud_by_posters_in_their_subtree(client, park, grant, auth_headers):
    body = {
        "org_id": park.branch_a.id,
        "kind": "single",
        "stem": "党支部党员大会多久召开一次？",
        "options": ["每月", "每季度", "每年"],
        "answer": ["B"],
        "explanation": "支部党员大会一般每季度召开1次",
        "tags": ["三会一课"],
    }
    r = client.post("/api/v1/quiz/questions", json=body, headers=park.headers.secretary_a)
    assert r.status_code == 201, r.json
    qid = r.json["id"]
    assert r.json["choices"][1] == {"key": "B", "text": "每季度"}
    assert (
        client.post("/api/v1/quiz/questions", json=body, headers=park.headers.member_a).status_code
        == 403
    )
    other = {**body, "org_id": park.branch_b.id}
    assert (
        client.post(
            "/api/v1/quiz/questions", json=other, headers=park.headers.secretary_a
        ).status_code
        == 403
    )
    grant(park.branch_b, "publicity", member=park.member_b)
    assert (
        client.post("/api/v1/quiz/questions", json=other, headers=park.headers.member_b).status_code
        == 201
    )
    assert client.get("/api/v1/quiz/questions", headers=park.headers.secretary_a).json["total"] == 1
    assert client.get("/api/v1/quiz/questions", headers=park.headers.committee).json["total"] == 2
    r = client.get(f"/api/v1/quiz/questions/{qid}", headers=park.headers.member_b)
    assert r.status_code == 403
    r = client.patch(
        f"/api/v1/quiz/questions/{qid}",
        json={"kind": "true_false", "answer": ["A"]},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200 and r.json["options"] == ["正确", "错误"]
    r = client.patch(
        f"/api/v1/quiz/questions/{qid}",
        json={"answer": ["A", "B"]},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 400
    assert (
        client.delete(f"/api/v1/quiz/questions/{qid}", headers=park.headers.secretary_a).status_code
        == 204
    )
    assert (
        client.get("/api/v1/quiz/questions?active=false", headers=park.headers.secretary_a).json[
            "total"
        ]
        == 1
    )


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"options": ["只有一个"]}, "options"),
        ({"answer": ["D"]}, "answer"),
        ({"answer": []}, "answer"),
        ({"kind": "multiple", "answer": ["A"]}, "answer"),
        ({"kind": "single", "answer": ["A", "B"]}, "answer"),
        ({"answer": ["A", "A"]}, "answer"),
        ({"stem": ""}, "stem"),
        ({"org_id": None}, "org_id"),
    ],
)
def test_bad_questions_are_400(client, park, patch, field):
    body = {
        "org_id": park.branch_a.id,
        "kind": "single",
        "stem": "题",
        "options": ["a", "b", "c"],
        "answer": ["A"],
        **patch,
    }
    if body["org_id"] is None:
        del body["org_id"]
    r = client.post("/api/v1/quiz/questions", json=body, headers=park.headers.secretary_a)
    assert r.status_code == 400, r.json
    assert field in r.json["error"]["details"]["fields"]


# --- XLSX import --------------------------------------------------------------------------------


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEADER = ["题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "标签"]


def upload(client, headers, data, org_id, name="题库.xlsx"):
    return client.post(
        "/api/v1/quiz/questions/import",
        data={"org_id": str(org_id), "file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_import_xlsx(client, park):
    data = xlsx(
        [
            HEADER,
            [
                "单选题",
                "支部委员会每届任期几年？",
                "2年",
                "3年",
                "5年",
                None,
                "B",
                "3年或5年",
                "组织建设",
            ],
            [
                "多选",
                "三会一课包括？",
                "支部党员大会",
                "支委会",
                "党小组会",
                "党课",
                "ABCD",
                "",
                "三会一课，基础",
            ],
            [
                "判断题",
                "预备党员有表决权",
                None,
                None,
                None,
                None,
                "错",
                "预备党员没有表决权",
                None,
            ],
            ["true_false", "党员应按期交纳党费", None, None, None, None, "√", None, None],
            [None] * 9,
        ]
    )
    r = upload(client, park.headers.secretary_a, data, park.branch_a.id)
    assert r.status_code == 201, r.json
    assert r.json["imported"] == 4
    questions = {q.stem: q for q in db.session.scalars(select(QuizQuestion))}
    assert questions["三会一课包括？"].answer == ["A", "B", "C", "D"]
    assert questions["三会一课包括？"].tags == ["三会一课", "基础"]
    assert questions["预备党员有表决权"].answer == ["B"]
    assert questions["预备党员有表决权"].options == ["正确", "错误"]
    assert questions["党员应按期交纳党费"].answer == ["A"]


def test_import_is_all_or_nothing_with_row_errors(client, park):
    data = xlsx(
        [
            HEADER,
            ["单选", "好题", "甲", "乙", None, None, "A", None, None],
            ["填空", "题型不对", "甲", "乙", None, None, "A", None, None],
            ["单选", "答案越界", "甲", "乙", None, None, "C", None, None],
            ["多选", "多选只有一个答案", "甲", "乙", "丙", None, "A", None, None],
            ["判断", "判断写错", None, None, None, None, "也许", None, None],
            ["单选", None, "甲", "乙", None, None, "A", None, None],
            ["单选", "好题", "甲", "乙", None, None, "A", None, None],
            ["单选", "跳过选项", "甲", None, "丙", None, "A", None, None],
        ]
    )
    r = upload(client, park.headers.secretary_a, data, park.branch_a.id)
    assert r.status_code == 400 and r.json["error"]["code"] == "import.invalid_rows"
    errors = {e["row"]: e["errors"] for e in r.json["error"]["details"]["errors"]}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "kind" in errors[3] and "answer" in errors[4] and "answer" in errors[5]
    assert "answer" in errors[6] and "stem" in errors[7] and "stem" in errors[8]
    assert "options" in errors[9]
    assert db.session.scalar(select(func.count()).select_from(QuizQuestion)) == 0


def test_import_refusals(client, park):
    h = park.headers.secretary_a
    good = xlsx([HEADER, ["单选", "题", "甲", "乙", None, None, "A", None, None]])
    assert upload(client, h, good, park.branch_b.id).status_code == 403
    assert upload(client, park.headers.member_a, good, park.branch_a.id).status_code == 403
    r = upload(client, h, xlsx([["题目", "答案"], ["题", "A"]]), park.branch_a.id)
    assert r.status_code == 400 and r.json["error"]["code"] == "import.missing_columns"
    r = upload(client, h, b"PK\x03\x04 not really a zip", park.branch_a.id)
    assert r.status_code == 400 and r.json["error"]["code"] == "import.bad_file"
    r = upload(client, h, xlsx([HEADER]), park.branch_a.id)
    assert r.status_code == 400 and r.json["error"]["code"] == "import.empty"
    csv = "题型,题目,选项A,选项B,答案\n单选,CSV 也可以,甲,乙,B\n".encode()
    r = upload(client, h, csv, park.branch_a.id, name="题库.csv")
    assert r.status_code == 201 and r.json["imported"] == 1
