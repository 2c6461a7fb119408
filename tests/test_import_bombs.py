"""Issue 16, item 5: spreadsheet bombs are refused from the zip directory, the sheet's declared
dimension or the first rows past the limit — never by inflating or materialising the rest."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.worksheet import _reader
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _row(n: int) -> str:
    return f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>党员{n}</t></is></c></row>'


def _xlsx_with_sheet(sheet_xml: str) -> bytes:
    """A real workbook (from openpyxl) whose first sheet's XML is replaced, deflated."""
    book = io.BytesIO()
    Workbook().save(book)
    out = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = sheet_xml.encode() if item.filename == SHEET else src.read(item.filename)
            dst.writestr(item.filename, data)
    return out.getvalue()


def _sheet(rows: int, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
    body = "".join(_row(n) for n in range(2, rows + 2))
    return f"{HEAD}{dim}<sheetData>{header}{body}</sheetData></worksheet>"


@pytest.fixture
def parsed_rows(monkeypatch):
    """Counts the rows openpyxl's sheet parser materialises (a spy: it still parses)."""
    calls = {"rows": 0}
    original = _reader.WorkSheetParser.parse_row

    def counting(self, element):
        calls["rows"] += 1
        return original(self, element)

    monkeypatch.setattr(_reader.WorkSheetParser, "parse_row", counting)
    return calls


def _upload(client, headers, data, url="/api/v1/members/import", **form):
    fields = {"file": FileStorage(io.BytesIO(data), "bomb.xlsx")}
    fields.update({k: str(v) for k, v in form.items()})
    # encoded in memory: the test client would spool a large body to an unclosed temp file
    boundary, body = encode_multipart(MultiDict(fields))
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post(url, data=body, headers=headers, content_type=content_type)


def test_an_archive_inflating_past_the_limit_is_refused_unparsed(client, park, parsed_rows):
    """300,000 rows deflate to a few hundred KB: the declared size refuses them, no row parsed,
    and the request's allocations stay far below the 50 MB the issue allows."""
    bomb = _xlsx_with_sheet(_sheet(300_000))
    assert len(bomb) < 5 * 1024 * 1024  # within MAX_CONTENT_LENGTH on the wire …
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:  # … large inflated
        assert z.getinfo(SHEET).file_size > 10 * 1024 * 1024
    tracemalloc.start()
    try:
        response = _upload(client, park.headers.secretary_a, bomb, org_id=park.branch_a.id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert response.json["error"]["code"] == "import.too_large"
    assert response.json["error"]["details"]["reason"] == "unzipped_size"
    assert parsed_rows["rows"] == 0
    assert peak < 50 * 1024 * 1024, peak


def test_a_sheet_declaring_four_million_rows_is_refused_unparsed(client, park, parsed_rows):
    """The sheet's <dimension> says A1:A4000000: refused before its first row is parsed."""
    bomb = _xlsx_with_sheet(_sheet(3, dimension="A1:A4000000"))
    response = _upload(client, park.headers.secretary_a, bomb, org_id=park.branch_a.id)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "import.too_large"
    assert response.json["error"]["details"]["reason"] == "declared_rows"
    assert parsed_rows["rows"] == 0


def test_rows_past_the_limit_stop_the_stream(client, park, parsed_rows):
    """No (or a lying) dimension and 60,000 rows under the size cap: parsing stops right
    after the limit, with the limit in the answer."""
    bomb = _xlsx_with_sheet(_sheet(60_000, dimension="A1:A2"))
    response = _upload(client, park.headers.secretary_a, bomb, org_id=park.branch_a.id)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "import.too_many_rows"
    assert parsed_rows["rows"] <= 2000 + 2


def test_a_sheet_padded_to_the_last_column_costs_nothing(client, park):
    """A dimension of A1:XFD3 (16,384 columns) still imports its three real rows."""
    sheet = _sheet(2, dimension="A1:XFD3")
    response = _upload(
        client, park.headers.secretary_a, _xlsx_with_sheet(sheet), org_id=park.branch_a.id
    )
    assert response.status_code == 201, response.text
    assert response.json["imported"] == 2


def test_the_question_bank_import_refuses_bombs_too(client, park, parsed_rows):
    """The quiz import reads spreadsheets through the same reader."""
    bomb = _xlsx_with_sheet(_sheet(300_000))
    response = _upload(
        client,
        park.headers.secretary_a,
        bomb,
        url="/api/v1/quiz/questions/import",
        org_id=park.branch_a.id,
    )
    assert response.status_code == 400, response.text
    assert response.json["error"]["code"] == "import.too_large"
    assert parsed_rows["rows"] == 0
