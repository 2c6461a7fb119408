"""Import templates: the spreadsheets the member and question imports read, to fill in."""

from __future__ import annotations

from urllib.parse import quote

import marshmallow as ma
from flask import Response
from marshmallow import validate

from app.auth import Access, access
from app.members import import_template as member_template
from app.openapi import Blueprint
from app.study import import_template as question_template

blp = Blueprint("import_templates", __name__, url_prefix="/api/v1", description="Import templates")


class TemplateArgsSchema(ma.Schema):
    """The file format of the template."""

    format = ma.fields.String(load_default="xlsx", validate=validate.OneOf(("xlsx", "csv")))


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "").lstrip(".") or "template"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _download(made: tuple[bytes, str, str]) -> Response:
    body, mimetype, name = made
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = _disposition(name)
    return response


@blp.route("/members/import-template", methods=["GET"])
@blp.arguments(TemplateArgsSchema, location="query")
@blp.doc(responses={"200": {"description": "XLSX or CSV with the import's columns"}})
@access(Access.STAFF)
def member_import_template(args):
    """The member import template (姓名、手机号、身份、所属组织、入党日期、性别)."""
    return _download(member_template.template_bytes(args["format"]))


@blp.route("/quiz/questions/import-template", methods=["GET"])
@blp.arguments(TemplateArgsSchema, location="query")
@blp.doc(responses={"200": {"description": "XLSX or CSV with the import's columns"}})
@access(Access.STAFF)
def question_import_template(args):
    """The question bank import template (题型、题目、选项A…、答案、解析、标签)."""
    return _download(question_template.template_bytes(args["format"]))
