"""Cases: open, list, read, link, history, documents, and messages that correlate to a case."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import (
    AdvanceExecutionIn,
    ArbitrationApplicationIn,
    CaseListArgs,
    CaseOut,
    CasePage,
    DeliveryOut,
    DocumentOut,
    HistoryEvent,
    LinkIn,
    MessageIn,
    OpenCaseIn,
    PartyRequestOut,
    PostponementIn,
    RecusalIn,
    WithdrawIn,
)
from web.auth import api_actor, system
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.continuation import ArbitrationApplication

PREFIX = "/cases"
blp = Blueprint("cases", __name__, description="案件")


@blp.route("")
class Cases(MethodView):
    @blp.arguments(CaseListArgs, location="query")
    @blp.response(200, CasePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Cases the caller may see, newest first."""
        items, total = system().cases.list_cases(
            api_actor(),
            status=args["status"],
            case_type=args["case_type"],
            query=args["q"],
            limit=args["limit"],
            offset=args["offset"],
        )
        return {"items": items, "total": total}

    @blp.arguments(OpenCaseIn)
    @blp.response(201, CaseOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open a case: number it, record parties and claims, start its process."""
        command = OpenCase(
            process_key=body["process_key"],
            case_type=body["case_type"],
            title=body["title"],
            organisation_id=body["organisation_id"],
            parties=[PartyInput(**p) for p in body["parties"]],
            claims=[ClaimInput(**c) for c in body["claims"]],
            data=body["data"],
        )
        return asdict(system().cases.open_case(api_actor(), command))


@blp.route("/<int:case_id>")
class CaseItem(MethodView):
    @blp.response(200, CaseOut)
    def get(self, case_id: int) -> dict[str, Any]:
        return asdict(system().cases.get_case(api_actor(), case_id))


@blp.route("/<int:case_id>/history")
class CaseHistory(MethodView):
    @blp.response(200, HistoryEvent(many=True))
    def get(self, case_id: int) -> list[dict[str, Any]]:
        """The case's audit trail: who did what, when, before → after, hash-chained."""
        return system().cases.history(api_actor(), case_id)


@blp.route("/<int:case_id>/documents")
class CaseDocuments(MethodView):
    @blp.response(200, DocumentOut(many=True))
    def get(self, case_id: int) -> list[dict[str, Any]]:
        """Files kept for the case (formal documents, evidence), with their hashes."""
        return system().cases.documents(api_actor(), case_id)


@blp.route("/<int:case_id>/links")
class CaseLinks(MethodView):
    @blp.arguments(LinkIn)
    @blp.response(204)
    def post(self, body: dict[str, Any], case_id: int) -> None:
        system().cases.link_cases(api_actor(), case_id, body["to_case_id"], body["relation"])


@blp.route("/<int:case_id>/messages")
class CaseMessages(MethodView):
    @blp.arguments(MessageIn)
    @blp.response(202, DeliveryOut)
    def post(self, body: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Deliver a message event (e.g. defence_received) to the case's process."""
        delivery = system().messages.deliver(api_actor(), body["name"], body["payload"], case_id=case_id)
        return asdict(delivery)


@blp.route("/<int:case_id>/withdrawal")
class CaseWithdrawal(MethodView):
    @blp.arguments(WithdrawIn)
    @blp.response(204)
    def post(self, body: dict[str, Any], case_id: int) -> None:
        """The applicant withdraws the application (staff: record a written withdrawal) before
        the case is decided; everything still open in its process ends.  409 once decided."""
        system().withdrawal.withdraw(api_actor(), case_id, body["reason"])


@blp.route("/<int:case_id>/recusal")
class CaseRecusal(MethodView):
    @blp.arguments(RecusalIn)
    @blp.response(202, PartyRequestOut)
    def post(self, body: dict[str, Any], case_id: int) -> dict[str, Any]:
        """A party asks that a member of the tribunal withdraw (回避); the commission decides within
        three working days and the tribunal stops meanwhile (调解仲裁法 art.33-34).  422 if the
        person is not on the tribunal, 409 when no tribunal sits (before it is formed, after the award)."""
        request = system().party_requests.request_recusal(
            api_actor(), case_id, body["arbitrator"], body["reason"]
        )
        return asdict(request)


@blp.route("/<int:case_id>/postponement")
class CasePostponement(MethodView):
    @blp.arguments(PostponementIn)
    @blp.response(202, PartyRequestOut)
    def post(self, body: dict[str, Any], case_id: int) -> dict[str, Any]:
        """A party asks that the hearing be postponed, at the latest three days before it; the
        commission decides (调解仲裁法 art.35).  422 when too late, 409 when no hearing is notified."""
        return asdict(system().party_requests.request_postponement(api_actor(), case_id, body["reason"]))


@blp.route("/<int:case_id>/advance-execution")
class CaseAdvanceExecution(MethodView):
    @blp.arguments(AdvanceExecutionIn)
    @blp.response(202, PartyRequestOut)
    def post(self, body: dict[str, Any], case_id: int) -> dict[str, Any]:
        """The applicant asks that claims (by position) be executed before the award; only claims
        for labour remuneration, work-injury medical expenses, economic compensation or damages
        (调解仲裁法 art.44).  The tribunal decides; 403 for the respondent."""
        request = system().party_requests.request_advance_execution(
            api_actor(), case_id, body["claims"], body["reason"]
        )
        return asdict(request)


@blp.route("/<int:case_id>/arbitration")
class CaseToArbitration(MethodView):
    @blp.arguments(ArbitrationApplicationIn)
    @blp.response(201, CaseOut)
    def post(self, body: dict[str, Any], case_id: int) -> dict[str, Any]:
        """A party of a failed, expired or unperformed mediation (this case) applies for
        arbitration; parties and claims carry over (调解仲裁法 art.14, 15).  409 if too early."""
        application = ArbitrationApplication(case_id, body["commission_id"], body["title"])
        return asdict(system().continuation.apply_for_arbitration(api_actor(), application))
