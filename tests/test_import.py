"""`POST /api/v1/members/import`: CSV and XLSX, every row checked, all rows or none."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.members.models import Member

HEADER = ["姓名", "手机号", "身份", "入党日期", "性别"]
CJK = re.compile(r"[\u4e00-\u9fff]")

# --- helpers -------------------------------------------------------------------------------


def code(response) -> str:
    """The envelope's error code."""
    return response.json["error"]["code"]


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, headers, filename: str | None, data: bytes | None, org_id=None):
    form = {}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    if org_id is not None:
        form["org_id"] = str(org_id)
    return client.post(
        "/api/v1/members/import", data=form, headers=headers, content_type="multipart/form-data"
    )


def member_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Member))


def by_phone(phone: str) -> Member:
    db.session.expire_all()
    return db.session.scalar(select(Member).where(Member.phone == phone))


def row_errors(response) -> dict[int, dict[str, list[str]]]:
    """`details.errors` as {row number: {field: messages}}."""
    assert code(response) == "import.invalid_rows", response.json
    return {e["row"]: e["errors"] for e in response.json["error"]["details"]["errors"]}


# --- good files ----------------------------------------------------------------------------


def test_csv_with_bom_and_chinese_headers(client, park):
    data = csv_bytes(
        [
            HEADER,
            ["孙七", "13800001111", "正式党员", "2019/7/1", "男"],
            ["周八", "13800002222", "预备党员", "2024-06-30", "女"],
            ["吴九", "", "入党积极分子", "", ""],
        ]
    )
    assert data.startswith(b"\xef\xbb\xbf")
    r = upload(client, park.headers.secretary_a, "党员名单.csv", data, park.branch_a.id)
    assert r.status_code == 201, r.json
    assert r.json["imported"] == 3 and len(r.json["member_ids"]) == 3
    sun = by_phone("13800001111")
    assert (sun.name, sun.status, sun.gender, sun.joined_on) == (
        "孙七",
        "full",
        "male",
        date(2019, 7, 1),
    )
    assert sun.org_id == park.branch_a.id and sun.is_active
    zhou = by_phone("13800002222")
    assert (zhou.status, zhou.gender, zhou.joined_on) == (
        "probationary",
        "female",
        date(2024, 6, 30),
    )
    wu = db.session.scalar(select(Member).where(Member.name == "吴九"))
    assert (wu.status, wu.phone, wu.joined_on, wu.gender) == ("activist", None, None, None)


def test_imported_members_show_in_the_branch(client, park):
    data = csv_bytes([HEADER, ["孙七", "13800001111", "正式党员", "2019/7/1", "男"]])
    upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    r = client.get(f"/api/v1/orgs/{park.branch_a.id}/members", headers=park.headers.secretary_a)
    assert r.json["total"] == 4 and "孙七" in {m["name"] for m in r.json["items"]}


def test_gbk_csv(client, park):
    data = csv_bytes([HEADER, ["郑十", "13800003333", "正式党员", "2010.10.01", "女"]], "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    r = upload(client, park.headers.secretary_a, "gbk.csv", data, park.branch_a.id)
    assert r.status_code == 201, r.json
    member = by_phone("13800003333")
    assert (member.name, member.gender, member.joined_on) == ("郑十", "female", date(2010, 10, 1))


def test_api_field_names_as_headers(client, park):
    data = csv_bytes(
        [
            ["name", "phone", "status", "joined_on", "gender"],
            ["A", "13800003333", "full", "2020-01-02", "male"],
        ]
    )
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 201 and by_phone("13800003333").joined_on == date(2020, 1, 2)


def test_short_status_words_and_spaced_phone(client, park):
    data = csv_bytes(
        [
            HEADER,
            ["冯一", "138 0000 4444", "党员", "", ""],
            ["陈二", "138-0000-5555", "积极分子", "2021年7月1日", ""],
        ]
    )
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 201, r.json
    assert by_phone("13800004444").status == "full"
    chen = by_phone("13800005555")
    assert chen.status == "activist" and chen.joined_on == date(2021, 7, 1)


def test_xlsx_with_date_cell_and_numeric_phone(client, park):
    data = xlsx_bytes(
        [
            HEADER,
            ["褚三", 13800006666, "正式党员", date(2018, 5, 4), "男"],
            ["卫四", 13800007777.0, "预备党员", datetime(2023, 12, 1), "女"],
            ["蒋五", "13800008888", "正式党员", "2001/7/1", None],
        ]
    )
    r = upload(client, park.headers.secretary_a, "名单.xlsx", data, park.branch_a.id)
    assert r.status_code == 201, r.json
    assert r.json["imported"] == 3
    chu = by_phone("13800006666")
    assert (chu.name, chu.joined_on, chu.gender) == ("褚三", date(2018, 5, 4), "male")
    assert by_phone("13800007777").joined_on == date(2023, 12, 1)
    assert by_phone("13800008888").joined_on == date(2001, 7, 1)


def test_xlsx_excel_serial_date(client, park):
    # a date column not formatted as a date arrives as Excel's day number
    data = xlsx_bytes([HEADER, ["沈六", "13800006666", "正式党员", 43647, "男"]])
    r = upload(client, park.headers.secretary_a, "a.xlsx", data, park.branch_a.id)
    assert r.status_code == 201, r.json
    assert by_phone("13800006666").joined_on == date(2019, 7, 1)


def test_org_column_by_name(client, park):
    data = csv_bytes(
        [
            ["姓名", "手机号", "所属组织"],
            ["韩七", "13800001111", "A企业党支部"],
            ["杨八", "13800002222", "B企业党支部"],
        ]
    )
    r = upload(client, park.headers.committee, "a.csv", data)
    assert r.status_code == 201, r.json
    assert by_phone("13800001111").org_id == park.branch_a.id
    assert by_phone("13800002222").org_id == park.branch_b.id


def test_org_column_overrides_default(client, park):
    data = csv_bytes(
        [
            ["姓名", "手机号", "所属组织"],
            ["韩七", "13800001111", "B企业党支部"],
            ["杨八", "13800002222", ""],
        ]
    )
    r = upload(client, park.headers.committee, "a.csv", data, park.branch_a.id)
    assert r.status_code == 201
    assert by_phone("13800001111").org_id == park.branch_b.id
    assert by_phone("13800002222").org_id == park.branch_a.id


def test_org_column_by_id(client, park):
    data = xlsx_bytes([["姓名", "手机号", "所属组织"], ["韩七", "13800001111", park.branch_b.id]])
    r = upload(client, park.headers.committee, "a.xlsx", data)
    assert r.status_code == 201 and by_phone("13800001111").org_id == park.branch_b.id


def test_org_name_shared_with_another_park_resolves_in_scope(client, park, make_org):
    # 100 parks have many a "第一党支部": the name means the one the importer manages
    other_park = make_org("外园区综合党委", "general_committee", park.work)
    make_org("第一党支部", "branch", other_park)
    ours = make_org("第一党支部", "branch", park.park)
    data = csv_bytes([["姓名", "手机号", "所属组织"], ["韩七", "13800001111", "第一党支部"]])
    r = upload(client, park.headers.committee, "a.csv", data)
    assert r.status_code == 201, r.json
    assert by_phone("13800001111").org_id == ours.id


def test_org_name_ambiguous_within_scope_is_a_row_error(client, park, make_org):
    make_org("第一党支部", "branch", park.park)
    make_org("第一党支部", "branch", park.park)
    data = csv_bytes([["姓名", "手机号", "所属组织"], ["韩七", "13800001111", "第一党支部"]])
    before = member_count()
    r = upload(client, park.headers.committee, "a.csv", data)
    assert r.status_code == 400
    assert list(row_errors(r)[2]) == ["org"]
    assert member_count() == before


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(client, park):
    data = csv_bytes(
        [
            HEADER,
            ["孙七", "13800001111", "", "", ""],
            ["", "", "", "", ""],
            ["周八", "bad", "", "", ""],
            [],
            [],
        ]
    )
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 400
    assert list(row_errors(r)) == [4]


# --- bad rows: nothing is stored -----------------------------------------------------------


def test_bad_rows_are_all_reported_and_nothing_stored(client, park):
    data = csv_bytes(
        [
            ["姓名", "手机号", "身份", "入党日期", "性别", "所属组织"],
            ["孙七", "13800001111", "正式党员", "2019/7/1", "男", ""],  # 2: fine
            ["周八", "1380000", "正式党员", "", "", ""],  # 3: bad phone
            ["吴九", "13800003333", "党小组长", "", "", ""],  # 4: unknown status
            ["", "13800004444", "正式党员", "", "", ""],  # 5: missing name
            ["郑十", "13800001111", "正式党员", "", "", ""],  # 6: duplicate of row 2
            # 7: already in the database — in the caller's branch (another branch's number
            # is not named per row: tests/test_hardening.py)
            ["冯一", park.member_a2.phone, "正式党员", "", "", ""],
            ["陈二", "13800007777", "正式党员", "", "", "B企业党支部"],  # 8: org out of scope
            ["褚三", "13800008888", "正式党员", "2019-02-30", "", ""],  # 9: no such date
            ["卫四", "13800009999", "正式党员", "", "不详", ""],  # 10: unknown gender
            ["蒋五", "13800000000", "正式党员", "", "", "不存在的支部"],  # 11: unknown org
        ]
    )
    before = member_count()
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 400
    errors = row_errors(r)
    assert {row: list(fields) for row, fields in errors.items()} == {
        3: ["phone"],
        4: ["status"],
        5: ["name"],
        6: ["phone"],
        7: ["phone"],
        8: ["org"],
        9: ["joined_on"],
        10: ["gender"],
        11: ["org"],
    }
    assert r.json["error"]["details"]["rows"] == 10
    assert "与第2行重复" in errors[6]["phone"]
    for fields in errors.values():
        for messages in fields.values():
            assert all(CJK.search(m) for m in messages), messages
    assert member_count() == before
    assert by_phone("13800001111") is None


def test_taken_phone_reported_beside_other_errors(client, park):
    data = csv_bytes([HEADER, ["冯一", park.member_a2.phone, "党小组长", "", ""]])
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 400
    assert set(row_errors(r)[2]) == {"phone", "status"}


def test_inactive_members_phone_is_still_taken(client, park, make_member):
    make_member(park.branch_a, phone="13800001111", is_active=False)
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 400 and list(row_errors(r)[2]) == ["phone"]


def test_rows_without_any_org_are_errors(client, park):
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    before = member_count()
    r = upload(client, park.headers.committee, "a.csv", data)
    assert r.status_code == 400 and list(row_errors(r)[2]) == ["org"]
    assert member_count() == before


def test_org_column_naming_a_committee_is_a_row_error(client, park):
    data = csv_bytes([["姓名", "所属组织"], ["冯一", "园区综合党委"]])
    r = upload(client, park.headers.committee, "a.csv", data)
    assert r.status_code == 400 and list(row_errors(r)[2]) == ["org"]


def test_too_many_rows(client, park, app):
    app.config["IMPORT_MAX_ROWS"] = 2
    rows = [HEADER] + [[f"党员{i}", f"1380000000{i}", "", "", ""] for i in range(3)]
    r = upload(client, park.headers.secretary_a, "a.csv", csv_bytes(rows), park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.too_many_rows"
    assert r.json["error"]["details"]["limit"] == 2


# --- the default org -----------------------------------------------------------------------


def test_default_org_out_of_scope_is_403(client, park):
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_b.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert by_phone("13800001111") is None


def test_default_org_not_a_branch_is_400(client, park):
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    r = upload(client, park.headers.committee, "a.csv", data, park.park.id)
    assert r.status_code == 400 and code(r) == "member.org_not_branch"


def test_default_org_unknown_is_404(client, park):
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    r = upload(client, park.headers.admin, "a.csv", data, 999_999)
    assert r.status_code == 404 and code(r) == "not_found"


def test_default_org_not_a_number_is_400(client, park):
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    r = upload(client, park.headers.admin, "a.csv", data, "A支部")
    assert r.status_code == 400 and "org_id" in r.json["error"]["details"]["fields"]


# --- bad files -----------------------------------------------------------------------------


def test_pdf_is_415(client, park):
    r = upload(client, park.headers.secretary_a, "名单.pdf", b"%PDF-1.7\n...", park.branch_a.id)
    assert r.status_code == 415 and code(r) == "import.unsupported_format"


def test_file_without_name_is_415(client, park):
    r = upload(client, park.headers.secretary_a, "", b"name\nx\n", park.branch_a.id)
    assert r.status_code == 415 and code(r) == "import.unsupported_format"


def test_corrupt_xlsx_is_400(client, park):
    r = upload(
        client, park.headers.secretary_a, "a.xlsx", b"PK\x03\x04 not really a zip", park.branch_a.id
    )
    assert r.status_code == 400 and code(r) == "import.bad_file"


def test_xlsx_with_broken_sheet_is_400(client, park):
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER, ["冯一", "13800001111"]])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as broken:
        for item in good.infolist():
            content = good.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            broken.writestr(item, content)
    r = upload(client, park.headers.secretary_a, "a.xlsx", buf.getvalue(), park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.bad_file"


def test_zip_that_is_not_a_workbook_is_400(client, park):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("readme.txt", "hello")
    r = upload(client, park.headers.secretary_a, "a.xlsx", buf.getvalue(), park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.bad_file"


def test_csv_cell_over_the_field_limit_is_400(client, park):
    # over csv's 131072-character field limit, under the 500 KB at which werkzeug's test
    # client spools the body to a temporary file it never closes (a ResourceWarning)
    data = csv_bytes([HEADER, ["冯一" * 70_000, "13800001111", "", "", ""]])
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.bad_file"


def test_undecodable_csv_is_400(client, park):
    data = "姓名\n冯一\n".encode("utf-16")
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.bad_encoding"


def test_empty_file_is_400(client, park):
    r = upload(client, park.headers.secretary_a, "a.csv", b"", park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.empty"


def test_header_only_is_400(client, park):
    r = upload(
        client, park.headers.secretary_a, "a.csv", csv_bytes([HEADER, [], []]), park.branch_a.id
    )
    assert r.status_code == 400 and code(r) == "import.empty"


def test_empty_xlsx_is_400(client, park):
    r = upload(client, park.headers.secretary_a, "a.xlsx", xlsx_bytes([]), park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.empty"


def test_missing_name_column_is_400(client, park):
    data = csv_bytes([["手机号", "身份"], ["13800001111", "正式党员"]])
    r = upload(client, park.headers.secretary_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 400 and code(r) == "import.missing_columns"
    assert r.json["error"]["details"]["expected"]["name"] == "姓名"


def test_no_file_is_400(client, park):
    r = upload(client, park.headers.secretary_a, None, None, park.branch_a.id)
    assert r.status_code == 400 and code(r) == "validation_error"
    assert r.json["error"]["details"]["fields"] == {"file": ["必填项"]}


def test_json_body_is_refused(client, park):
    r = client.post(
        "/api/v1/members/import", json={"file": "a.csv"}, headers=park.headers.secretary_a
    )
    assert r.status_code == 400 and code(r) == "validation_error"
    assert "file" in r.json["error"]["details"]["fields"]


def test_member_cannot_import(client, park):
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    r = upload(client, park.headers.member_a, "a.csv", data, park.branch_a.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert by_phone("13800001111") is None


def test_anonymous_cannot_import(client, park):
    data = csv_bytes([HEADER, ["冯一", "13800001111", "", "", ""]])
    r = upload(client, {}, "a.csv", data, park.branch_a.id)
    assert r.status_code == 401 and code(r) == "auth.required"
