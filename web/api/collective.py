"""Collective disputes (调解仲裁法 art.7): whether a case is one, and its elected representatives."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import CollectiveOut, ProblemOut, RepresentativesIn
from web.auth import api_actor, system

PREFIX = "/cases"
blp = Blueprint("collective", __name__, description="集体争议")


@blp.route("/<int:case_id>/representatives")
class Representatives(MethodView):
    @blp.response(200, CollectiveOut)
    def get(self, case_id: int) -> dict[str, Any]:
        """Whether the case is collective (ten or more worker applicants with a common claim),
        its worker applicants' number and the representatives they elected."""
        return asdict(system().collective.status(api_actor(), case_id))

    @blp.arguments(RepresentativesIn)
    @blp.response(200, CollectiveOut)
    @blp.alt_response(
        422,
        schema=ProblemOut,
        description="not a collective case (fewer than ten worker applicants, or no claim), not 3 to 5 "
        "representatives, or one who is not a worker applicant of the case (pointers /party_ids…)",
    )
    @blp.alt_response(403, schema=ProblemOut, description="only staff who handle the case record it")
    @blp.alt_response(409, schema=ProblemOut, description="the case is closed")
    def put(self, body: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Record the election of the workers' representatives from among the applicants; replaces an
        earlier election.  What the representatives do in the proceedings binds the workers."""
        view = system().collective.elect_representatives(api_actor(), case_id, body["party_ids"])
        return asdict(view)
