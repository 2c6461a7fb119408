"""CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and XLSX (openpyxl) exports."""

from __future__ import annotations

import csv
import io
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


@dataclass(frozen=True)
class Column:
    """One exported column: its header, the row key, a width and a number format."""

    header: str
    key: str
    width: int = 12
    number_format: str | None = None


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall time
        return to_local(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _text(value: Any) -> str:
    value = _cell_value(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    # a cell starting with = + - @ would be run as a formula by Excel (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


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
            writer.writerow([_text(row.get(c.key)) for c in columns])
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = _disposition(filename + ".csv")
    return response


def xlsx_bytes(title: str, columns: list[Column], rows: Iterable[dict]) -> bytes:
    """An XLSX workbook: a title row, a frozen bold header, widths, dates as dates."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31].replace("/", "-") or "报表")
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A3"
    head = WriteOnlyCell(ws, value=title)
    head.font = Font(bold=True, size=14)
    ws.append([head])
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B22222")
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for col in columns:
            cell = WriteOnlyCell(ws, value=_cell_value(row.get(col.key)))
            if col.number_format:
                cell.number_format = col.number_format
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(filename: str, title: str, columns: list[Column], rows: Iterable[dict]):
    """An XLSX download."""
    response = Response(xlsx_bytes(title, columns, rows), mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = _disposition(filename + ".xlsx")
    return response


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "report"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def export(fmt: str, filename: str, title: str, columns: list[Column], rows: Iterable[dict]):
    """The download in the requested format (csv or xlsx)."""
    if fmt == "csv":
        return csv_response(filename, title, columns, rows)
    return xlsx_response(filename, title, columns, rows)
