"""民主评议党员: the branch's grades, self and peer entries, decisions, 限期改正 within a year,
the member's yearly record; another branch sees nothing."""

from __future__ import annotations


def _round(client, park, **extra):
    body = {"org_id": park.branch_a.id, "year": 2026, **extra}
    r = client.post("/api/v1/reviews", json=body, headers=park.headers.secretary_a)
    assert r.status_code == 201, r.json
    return r.json


def test_a_review_round_from_self_assessment_to_follow_up(client, park, make_member, make_activity):
    h, a, a2, sec = park.headers.secretary_a, park.member_a, park.member_a2, park.secretary_a
    make_member(park.branch_a, name="积极分子", status="activist")  # not reviewed
    prob = make_member(park.branch_a, name="预备党员", status="probationary")  # reviewed
    theme = make_activity(park.branch_a, type="theme_day")
    wrong = client.post(
        "/api/v1/reviews",
        json={"org_id": park.branch_a.id, "year": 2026, "activity_id": theme.id},
        headers=h,
    )
    assert wrong.status_code == 400
    meeting = make_activity(park.branch_a, type="democratic_review", title="民主评议党员大会")
    rnd = _round(client, park, activity_id=meeting.id)
    assert rnd["grades"] == ["优秀", "合格", "基本合格", "不合格"]
    assert {m["id"] for m in rnd["members"]} == {a.id, a2.id, sec.id, prob.id}
    again = client.post(
        "/api/v1/reviews", json={"org_id": park.branch_a.id, "year": 2026}, headers=h
    )
    assert again.status_code == 409
    rid = rnd["id"]
    ha = park.headers.member_a
    r = client.put(f"/api/v1/reviews/{rid}/self", json={"text": "一年来认真学习"}, headers=ha)
    assert r.status_code == 200 and r.json["my_self_assessment"] == "一年来认真学习"
    selfrate = client.put(
        f"/api/v1/reviews/{rid}/ratings",
        json={"ratings": [{"member_id": a.id, "grade": "优秀"}]},
        headers=ha,
    )
    assert selfrate.status_code == 400  # nobody rates themselves
    badgrade = client.put(
        f"/api/v1/reviews/{rid}/ratings",
        json={"ratings": [{"member_id": a2.id, "grade": "良好"}]},
        headers=ha,
    )
    assert badgrade.status_code == 400
    for headers, grade in ((ha, "优秀"), (h, "合格")):
        r = client.put(
            f"/api/v1/reviews/{rid}/ratings",
            json={"ratings": [{"member_id": a2.id, "grade": grade}]},
            headers=headers,
        )
        assert r.status_code == 200
    # rating again replaces
    client.put(
        f"/api/v1/reviews/{rid}/ratings",
        json={"ratings": [{"member_id": a2.id, "grade": "不合格"}]},
        headers=ha,
    )
    out = {x["member_id"]: x for x in client.get(f"/api/v1/reviews/{rid}/results", headers=h).json}
    assert out[a.id]["self_assessment"] == "一年来认真学习"
    assert {p["grade"]: p["count"] for p in out[a2.id]["peer"]} == {
        "优秀": 0,
        "合格": 1,
        "基本合格": 0,
        "不合格": 1,
    }
    r = client.put(
        f"/api/v1/reviews/{rid}/decisions/{a2.id}",
        json={"grade": "不合格", "on": "2026-12-20"},
        headers=h,
    )
    assert r.status_code == 200
    assert (
        client.put(
            f"/api/v1/reviews/{rid}/decisions/{a.id}", json={"grade": "优秀"}, headers=h
        ).status_code
        == 200
    )
    notfail = client.put(
        f"/api/v1/reviews/{rid}/decisions/{a.id}/follow-up",
        json={"correction_deadline": "2027-06-01"},
        headers=h,
    )
    assert notfail.status_code == 409
    far = client.put(
        f"/api/v1/reviews/{rid}/decisions/{a2.id}/follow-up",
        json={"correction_deadline": "2027-12-21"},
        headers=h,
    )
    assert far.status_code == 409 and far.json["error"]["details"] == {"latest": "2027-12-20"}
    r = client.put(
        f"/api/v1/reviews/{rid}/decisions/{a2.id}/follow-up",
        json={"correction_deadline": "2027-12-20", "outcome": "已改正", "outcome_on": "2027-10-01"},
        headers=h,
    )
    assert r.status_code == 200
    row = {x["member_id"]: x for x in r.json}[a2.id]
    assert (row["correction_deadline"], row["outcome"]) == ("2027-12-20", "已改正")
    mine = client.get("/api/v1/reviews/mine", headers=park.headers.member_a).json
    assert mine == [{"year": 2026, "grade": "优秀", "correction_deadline": None}]
    # the results as the branch files them: CSV and Excel, one line per reviewed member
    csv = client.get(f"/api/v1/reviews/{rid}/results?format=csv", headers=h)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "2026年民主评议党员结果" in text
    header = next(line for line in text.splitlines() if line.lstrip("\ufeff").startswith("姓名"))
    assert header.lstrip("\ufeff").split(",") == [
        "姓名",
        "自我评价",
        "互评：优秀",
        "互评：合格",
        "互评：基本合格",
        "互评：不合格",
        "评定等次",
        "限期改正截止",
        "改正情况",
        "改正结论日期",
    ]
    line = next(x for x in text.splitlines() if x.startswith(a2.name + ","))
    assert line.split(",") == [a2.name, "未提交", "0", "1", "0", "1", "不合格", "2027-12-20",
                               "已改正", "2027-10-01"]  # fmt: skip
    assert next(x for x in text.splitlines() if x.startswith(a.name + ",")).split(",")[1] == (
        "已提交"
    )
    xlsx = client.get(f"/api/v1/reviews/{rid}/results?format=xlsx", headers=h)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert any(r[:2] == (a2.name, "未提交") for r in rows)
    bad = client.get(f"/api/v1/reviews/{rid}/results?format=pdf", headers=h)
    assert bad.status_code in (400, 422) and "error" in bad.json
    other = client.get(f"/api/v1/reviews/{rid}/results?format=csv", headers=park.headers.member_b)
    assert other.status_code in (403, 404)
    assert client.post(f"/api/v1/reviews/{rid}/close", headers=h).json["status"] == "closed"
    late = client.put(f"/api/v1/reviews/{rid}/self", json={"text": "补"}, headers=ha)
    assert late.status_code == 409


def test_configured_grades_and_other_branches(client, park):
    rnd = _round(client, park, grades=["好", "较好", "一般", "差"])
    rid = rnd["id"]
    assert client.get(f"/api/v1/reviews/{rid}", headers=park.headers.member_b).status_code == 404
    assert client.put(
        f"/api/v1/reviews/{rid}/self", json={"text": "x"}, headers=park.headers.member_b
    ).status_code in (403, 404)
    listed = client.get("/api/v1/reviews", headers=park.headers.member_b).json
    assert listed == []
    listed = client.get("/api/v1/reviews", headers=park.headers.member_a).json
    assert [x["id"] for x in listed] == [rid]
    # the grade must be one of the branch's
    r = client.put(
        f"/api/v1/reviews/{rid}/decisions/{park.member_a.id}",
        json={"grade": "合格"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 400
