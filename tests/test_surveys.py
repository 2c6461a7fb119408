"""Surveys: single / multiple / text, one answer per member, anonymous answers without the
member, counts and the export; the audience is the org's subtree."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.votes.models import SurveyAnswer, SurveyTaken

QUESTIONS = [
    {"kind": "single", "text": "学习时间", "options": ["早上", "中午", "晚上"]},
    {"kind": "multiple", "text": "喜欢的形式", "options": ["党课", "参观", "讨论"]},
    {"kind": "text", "text": "建议"},
]


def _survey(client, park, anonymous=True):
    r = client.post(
        "/api/v1/surveys",
        json={
            "org_id": park.branch_a.id,
            "title": "学习安排调查",
            "anonymous": anonymous,
            "questions": QUESTIONS,
        },
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_answers_counted_once_and_anonymous(client, park, auth_headers):
    sid = _survey(client, park)
    url = f"/api/v1/surveys/{sid}/answers"
    bad = client.post(url, json={"answers": [[0, 1], [0], ""]}, headers=park.headers.member_a)
    assert bad.status_code == 400  # two picks on a single-choice question
    out = client.post(url, json={"answers": [5, [0], ""]}, headers=park.headers.member_a)
    assert out.status_code == 400  # no such option
    r = client.post(url, json={"answers": [0, [0, 2], "多组织参观"]}, headers=park.headers.member_a)
    assert r.status_code == 201 and r.json["answered"] is True
    again = client.post(url, json={"answers": [1, [1], ""]}, headers=park.headers.member_a)
    assert again.status_code == 409
    r = client.post(url, json={"answers": [0, [2], ""]}, headers=park.headers.secretary_a)
    assert r.status_code == 201
    other = client.post(url, json={"answers": [0, [2], ""]}, headers=park.headers.member_b)
    assert other.status_code in (403, 404)
    res = client.get(f"/api/v1/surveys/{sid}/results", headers=park.headers.secretary_a).json
    assert res["answered"] == 2
    assert [q["counts"] for q in res["questions"]] == [[2, 0, 0], [1, 0, 2], []]
    assert res["questions"][2]["texts"] == ["多组织参观"]
    assert db.session.scalar(select(func.count()).where(SurveyAnswer.member_id.is_not(None))) == 0
    csv = client.get(f"/api/v1/surveys/{sid}/export?format=csv", headers=park.headers.secretary_a)
    assert csv.status_code == 200 and "匿名,早上,党课、讨论,多组织参观" in csv.data.decode(
        "utf-8-sig"
    )
    client.post(f"/api/v1/surveys/{sid}/close", headers=park.headers.secretary_a)
    late = client.post(url, json={"answers": [0, [0], ""]}, headers=auth_headers(park.member_a2))
    assert late.status_code == 409 and late.json["error"]["code"] == "survey.closed"


def test_named_survey_keeps_the_member(client, park):
    sid = _survey(client, park, anonymous=False)
    client.post(
        f"/api/v1/surveys/{sid}/answers",
        json={"answers": [2, [1], ""]},
        headers=park.headers.member_a,
    )
    csv = client.get(f"/api/v1/surveys/{sid}/export?format=csv", headers=park.headers.secretary_a)
    assert "张三,晚上,参观," in csv.data.decode("utf-8-sig")


def test_concurrent_answers_count_once(app, park, backend):
    if backend != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    client = app.test_client()
    sid = _survey(client, park)
    headers = park.headers.member_a
    db.session.remove()
    n = 6
    barrier = threading.Barrier(n)
    codes: list[int] = []

    def submit():
        c = app.test_client()
        barrier.wait()
        r = c.post(
            f"/api/v1/surveys/{sid}/answers", json={"answers": [0, [0], ""]}, headers=headers
        )
        codes.append(r.status_code)

    threads = [threading.Thread(target=submit) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [201] + [409] * (n - 1)
    assert db.session.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
    assert db.session.scalar(select(func.count()).select_from(SurveyTaken)) == 1
