"""Exports for an office (issue 17 item 4, issue 16 item 2): text cells stay text (no live
formulas), rates as percentages, Chinese file names safe on Windows, clean sheet names, a
header filter, a bold totals row, every branch in the attendance download."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

from openpyxl import load_workbook

from app.extensions import db
from app.reports.exports import safe_filename, sheet_name
from tests.test_reports import activity, at, mark

HOSTILE_NAME = '=HYPERLINK("http://evil.example/x","点我")'


def _seed(park, make_org):
    a = activity(park.branch_a, at(10, 15), title="=1+1")
    park.member_a.name = HOSTILE_NAME
    mark(a, park.member_a)
    mark(a, park.member_a2, "late")
    empty = make_org("C企业党支部", "branch", park.park)  # held nothing this year
    db.session.commit()
    return empty


def _xlsx(client, park, path):
    r = client.get(path, headers=park.headers.committee)
    assert r.status_code == 200, r.get_data()
    return r, load_workbook(io.BytesIO(r.get_data()))


def test_text_cells_are_never_live_formulas(client, park, make_org):
    _seed(park, make_org)
    _, book = _xlsx(
        client,
        park,
        "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31&by=activity&format=xlsx",
    )
    cell = book.active["B3"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    _, book = _xlsx(client, park, "/api/v1/reports/members?year=2026&format=xlsx")
    cells = [c for row in book.active.iter_rows(min_row=3) for c in row if c.value == HOSTILE_NAME]
    assert cells and all(c.data_type == "s" for c in cells)
    # no cell anywhere in either workbook is a formula
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)


def test_csv_rates_read_as_percentages(client, park, make_org):
    _seed(park, make_org)
    r = client.get(
        "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31&format=csv",
        headers=park.headers.committee,
    )
    lines = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    rate = lines[1].index("出勤率")
    a_row = next(line for line in lines if line[0] == "A企业党支部")
    report = client.get(
        "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31", headers=park.headers.committee
    ).json
    assert 0 < report["rows"][0]["rate"] < 1
    assert a_row[rate] == f"{report['rows'][0]['rate'] * 100:.1f}%"  # e.g. 66.7%, not 0.6667
    assert not any(cell.startswith("0.") for line in lines[2:] for cell in line)


def test_attendance_download_lists_every_branch_with_a_bold_total_and_a_filter(
    client, park, make_org
):
    _seed(park, make_org)
    _, book = _xlsx(
        client, park, "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31&format=xlsx"
    )
    ws = book.active
    names = [row[0].value for row in ws.iter_rows(min_row=3)]
    assert names == ["A企业党支部", "B企业党支部", "C企业党支部", "合计"]
    assert ws.auto_filter.ref == f"A2:{ws.cell(2, ws.max_column).column_letter}{ws.max_row}"
    assert all(c.font.bold for c in ws[ws.max_row])
    assert not any(c.font.bold for c in ws[3])
    assert ws["J3"].number_format == "0.0%"
    # the JSON report (what the console reads) is unchanged: only branches with activities
    rows = client.get(
        "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31", headers=park.headers.committee
    ).json["rows"]
    assert [row["org_name"] for row in rows] == ["A企业党支部"]


def test_file_names_say_org_report_and_period_and_are_windows_safe(client, park, make_org):
    _seed(park, make_org)
    park.park.name = '园区/综合:党委*"2026"'
    db.session.commit()
    r = client.get(
        "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31&format=xlsx",
        headers=park.headers.committee,
    )
    disposition = r.headers["Content-Disposition"]
    ascii_part, utf8_part = disposition.split("; filename*=UTF-8''")
    name = unquote(utf8_part)
    assert name == "园区_综合_党委_2026_-出勤统计-2026-10-01至2026-10-31.xlsx"
    assert not set(name) & set('\\/:*?"<>|')
    assert ascii_part.startswith('attachment; filename="report-') and ascii_part.isascii()
    ws = load_workbook(io.BytesIO(r.get_data())).active
    assert "/" not in ws.title and ":" not in ws.title and len(ws.title) <= 31


def test_sheet_names_are_cut_at_a_word_never_mid_date():
    title = "临港产业园综合服务党委 出勤统计（2026-01-01 至 2026-12-31）"
    assert sheet_name(title) == "临港产业园综合服务党委 出勤统计"
    long_date = "出勤统计 2026-01-01 至 2026-12-31 附表附表附表附表"
    cut = sheet_name(long_date)
    assert len(cut) <= 31 and cut.endswith("2026-12-31")
    assert sheet_name("明细", used=["明细"]) == "明细(2)"
    assert sheet_name("a[b]:c*d?e/f\\g") == "a-b-c-d-e-f-g"
    assert safe_filename(' 名单: "A" . ') == "名单_ _A_"
