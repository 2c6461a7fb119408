"""The member's part in branch democracy (issue 20): my votes and surveys, a secret ballot,
a questionnaire.

Like every member page these are shells: their scripts read the member's own votes from
/api/mp/v1 and /api/v1 with the member's token. Nothing here, nor in the page's storage,
ever holds what the member chose: after voting the page knows only that they voted.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from app.auth import Access, access
from app.web.common import web, web_page

bp = Blueprint("member_democracy", __name__, url_prefix="/m")


@bp.route("/votes", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def votes():
    """My votes (open, and results of the last 30 days) and the surveys addressed to me."""
    return render_template("member/votes.html", page="votes", page_title="表决与问卷")


@bp.route("/votes/<int:vote_id>", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def vote(vote_id):
    """One vote: the secret ballot while it is open, then whether I voted and the result."""
    return render_template("member/vote.html", page="vote", page_title="表决", vote_id=vote_id)


@bp.route("/surveys/<int:survey_id>", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def survey(survey_id):
    """One survey: answer it once."""
    return render_template(
        "member/survey.html", page="survey", page_title="问卷", survey_id=survey_id
    )


web.register_blueprint(bp)
