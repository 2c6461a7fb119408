"""CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and XLSX (openpyxl) exports, as an
office worker reads them: rates as percentages, Chinese file names with the org and period
(safe on Windows, RFC 5987 `filename*`), sheet names cut at a word, a filter on the header,
a bold totals row, and every text cell written as text — never as a live formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.timeutil import to_local

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOTAL = "_total"  # a row with this key set is a totals row (bold)
# Windows refuses these in file names; Excel refuses []:*?/\ in sheet names (31 chars at most)
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
UNSAFE_SHEET = re.compile(r"[\[\]:*?/\\\x00-\x1f]+")
SHEET_MAX = 31


@dataclass(frozen=True)
class Column:
    """One exported column: its header, the row key, a width and a number format."""

    header: str
    key: str
    width: int = 12
    number_format: str | None = None


@dataclass
class Sheet:
    """One worksheet (the CSV export writes the first)."""

    title: str
    columns: list[Column]
    rows: Iterable[dict]
    name: str | None = None  # the tab's name; cut from the title when not given


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall time
        return to_local(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _text(value: Any, column: Column | None = None) -> str:
    value = _cell_value(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _number_text(value, column.number_format if column else None)
    text = str(value)
    # a cell starting with = + - @ would be run as a formula by Excel (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number_text(value: float, number_format: str | None) -> str:
    """A number as the XLSX cell shows it: 0.9091 with format 0.0% → 90.9%."""
    if number_format and number_format.endswith("%"):
        decimals = len(number_format.split(".")[1]) - 1 if "." in number_format else 0
        return f"{value * 100:.{decimals}f}%"
    if number_format and re.fullmatch(r"0\.0+", number_format):
        return f"{value:.{len(number_format) - 2}f}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(filename: str, title: str, columns: list[Column], rows: Iterable[dict]):
    """A streamed CSV download: BOM, a title line, the header, one line per row."""

    def generate() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        yield "\ufeff"
        for line in ([title], [c.header for c in columns]):
            writer.writerow(line)
        for row in rows:
            writer.writerow([_text(row.get(c.key), c) for c in columns])
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = _disposition(filename + ".csv")
    return response


def sheet_name(title: str, used: Iterable[str] = ()) -> str:
    """A valid, unique worksheet name: the title cut at a word or bracket, never mid-date."""
    name = UNSAFE_SHEET.sub("-", title).strip("' ") or "报表"
    if len(name) > SHEET_MAX:
        # the bracketed period goes first, else cut at the last space: never inside a date
        cut = max(name.rfind(ch, 0, SHEET_MAX + 1) for ch in ("（", "("))
        if cut <= 0:
            cut = max(name.rfind(ch, 0, SHEET_MAX + 1) for ch in (" ", "_"))
        name = (name[:cut] if cut > 0 else name[:SHEET_MAX]).rstrip(" -_")
    base, n = name, 2
    taken = set(used)
    while name in taken:
        suffix = f"({n})"
        name = base[: SHEET_MAX - len(suffix)] + suffix
        n += 1
    return name


def _write_sheet(wb: Workbook, sheet: Sheet, used: list[str]) -> None:
    name = sheet_name(sheet.name or sheet.title, used)
    used.append(name)
    ws = wb.create_sheet(name)
    columns = sheet.columns
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A3"
    ws.append([_text_cell(ws, sheet.title, Font(bold=True, size=14))])
    header = []
    for col in columns:
        cell = _text_cell(ws, col.header, Font(bold=True, color="FFFFFF"))
        cell.fill = PatternFill("solid", fgColor="B22222")
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    bold = Font(bold=True)
    count = 0
    for row in sheet.rows:
        total = bool(row.get(TOTAL))
        cells = []
        for col in columns:
            value = _cell_value(row.get(col.key))
            if isinstance(value, str):
                cell = _text_cell(ws, value)
            else:
                cell = WriteOnlyCell(ws, value=value)
            if col.number_format:
                cell.number_format = col.number_format
            if total:
                cell.font = bold
            cells.append(cell)
        ws.append(cells)
        count += 1
    # a filter on the header row, over every data row
    ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{count + 2}"


def _text_cell(ws, value: str, font: Font | None = None) -> WriteOnlyCell:
    """A cell that holds `value` as text: openpyxl would store "=…" as a live formula."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def xlsx_workbook(sheets: list[Sheet]) -> bytes:
    """An XLSX workbook, one worksheet per sheet: a title row, a frozen bold header with a
    filter, widths, dates as dates, rates as percentages, a bold totals row."""
    wb = Workbook(write_only=True)
    used: list[str] = []
    for sheet in sheets:
        _write_sheet(wb, sheet, used)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_bytes(title: str, columns: list[Column], rows: Iterable[dict]) -> bytes:
    """A one-sheet XLSX workbook."""
    return xlsx_workbook([Sheet(title, columns, rows)])


def xlsx_response(filename: str, sheets: list[Sheet]):
    """An XLSX download."""
    response = Response(xlsx_workbook(sheets), mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = _disposition(filename + ".xlsx")
    return response


def safe_filename(name: str) -> str:
    """A file name Windows accepts: no reserved characters, no trailing dot or space."""
    cleaned = UNSAFE_FILENAME.sub("_", name).strip(" .")
    return cleaned[:120] or "report"


def _disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987)."""
    filename = safe_filename(filename.rsplit(".", 1)[0]) + "." + filename.rsplit(".", 1)[1]
    stem, ext = filename.rsplit(".", 1)
    ascii_parts = re.findall(r"[A-Za-z0-9][A-Za-z0-9.-]*", stem)
    ascii_name = "-".join(["report", *ascii_parts])[:100] + "." + ext
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def export(fmt: str, filename: str, title: str, columns: list[Column], rows: Iterable[dict],
           more: list[Sheet] | None = None):  # fmt: skip
    """The download in the requested format (csv or xlsx); `more` sheets go to XLSX only."""
    if fmt == "csv":
        return csv_response(filename, title, columns, rows)
    return xlsx_response(filename, [Sheet(title, columns, rows), *(more or [])])
