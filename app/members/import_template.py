"""The member import template: the columns the importer reads, with one example row."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

COLUMNS = ("姓名", "手机号", "身份", "所属组织", "入党日期", "性别")
EXAMPLE = (
    "张三",
    "13800000000",
    "正式党员",
    "（填支部名称，或留空导入到所选支部）",
    "2015-07-01",
    "男",
)
NOTES = (
    "身份：正式党员 / 预备党员 / 入党积极分子 / 群众；入党日期写成 2015-07-01；"
    "性别：男 / 女。请删除示例行后再导入。"
)


def template_bytes(fmt: str) -> tuple[bytes, str, str]:
    """The template as (bytes, mimetype, file name) in `fmt` (csv or xlsx)."""
    return build(fmt, "党员导入模板", COLUMNS, EXAMPLE, NOTES)


def build(
    fmt: str, name: str, columns: tuple, example: tuple, notes: str
) -> tuple[bytes, str, str]:
    """A one-sheet template: header, one example row; XLSX adds the notes on a second sheet."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerow(example)
        # UTF-8 with BOM: Excel on Windows opens it as Chinese text
        return out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8", name + ".csv"
    wb = Workbook()
    ws = wb.active
    ws.title = "导入"
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B22222")
    ws.append([str(v) for v in example])
    for column, value in zip("ABCDEFGHIJKLMN", columns, strict=False):
        ws.column_dimensions[column].width = max(12, len(value) * 3)
    for row in ws.iter_rows(min_row=2, max_row=2):
        for cell in row:
            cell.number_format = "@"  # text: phone numbers and dates stay as typed
    ws.freeze_panes = "A2"
    help_sheet = wb.create_sheet("说明")
    help_sheet.append([notes])
    help_sheet.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return out.getvalue(), mimetype, name + ".xlsx"
