"""The question bank import template: the columns the importer reads, with one example row."""

from __future__ import annotations

from app.members.import_template import build

COLUMNS = ("题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "标签")
EXAMPLE = (
    "单选",
    "党的最高理想和最终目标是什么？",
    "实现共产主义",
    "全面建成小康社会",
    "实现现代化",
    "实现中华民族伟大复兴",
    "A",
    "党章总纲：党的最高理想和最终目标是实现共产主义。",
    "党章",
)
NOTES = (
    "题型：单选 / 多选 / 判断；多选题答案写成 AC；判断题答案写 对 或 错，不填选项。"
    "标签用逗号分隔。请删除示例行后再导入。"
)


def template_bytes(fmt: str) -> tuple[bytes, str, str]:
    """The template as (bytes, mimetype, file name) in `fmt` (csv or xlsx)."""
    return build(fmt, "题库导入模板", COLUMNS, EXAMPLE, NOTES)
