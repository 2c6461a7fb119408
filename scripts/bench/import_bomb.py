"""Measure how a spreadsheet bomb is refused: time and memory of the member-import reader.

Builds (in memory) an XLSX whose first sheet inflates to 4,000,000 rows (~240 MB of XML,
a few hundred KB deflated) and one with a single 300 MB cell, then times `read_table` on
each inside an app context and reports the allocation peak (tracemalloc) and the growth of
the process's maximum RSS. Usage: `.venv/bin/python scripts/bench/import_bomb.py`.
"""

from __future__ import annotations

import io
import resource
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from openpyxl import Workbook

from app import create_app
from app.errors import APIError
from app.members.importer import read_table

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
TAIL = "</sheetData></worksheet>"


def _bomb(write_sheet) -> bytes:
    book = io.BytesIO()
    Workbook().save(book)
    out = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename == SHEET:
                with dst.open(SHEET, "w", force_zip64=True) as sheet:
                    write_sheet(sheet)
            else:
                dst.writestr(item.filename, src.read(item.filename))
    return out.getvalue()


def _rows(sheet) -> None:
    sheet.write(HEAD.encode())
    chunk = "".join('<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(10_000))
    for _ in range(400):  # 4,000,000 rows
        sheet.write(chunk.encode())
    sheet.write(TAIL.encode())


def _one_cell(sheet) -> None:
    sheet.write((HEAD + '<row><c t="inlineStr"><is><t>').encode())
    block = b"x" * (1024 * 1024)
    for _ in range(300):  # one 300 MB cell
        sheet.write(block)
    sheet.write(("</t></is></c></row>" + TAIL).encode())


def measure(name: str, data: bytes) -> None:
    """Time and memory of one refusal."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "LOG_LEVEL": "ERROR"})
    with app.app_context():
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        try:
            read_table("bomb.xlsx", data)
            outcome = "accepted (!)"
        except APIError as exc:
            outcome = f"{exc.status} {exc.code} {exc.details}"
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    print(
        f"{name}: {len(data) / 1024:.0f} KB on the wire → {outcome}; "
        f"{elapsed * 1000:.1f} ms, allocation peak {peak / 1024 / 1024:.2f} MB, "
        f"max RSS growth {rss_growth / 1024:.1f} MB"
    )


if __name__ == "__main__":
    measure("4,000,000 rows", _bomb(_rows))
    measure("one 300 MB cell", _bomb(_one_cell))
