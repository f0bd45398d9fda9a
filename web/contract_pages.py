"""What the employer's and the worker's contract pages share: the service, scoped reads, PDF responses."""

from __future__ import annotations

from flask import Response, abort, request

from web.auth import client_ip, system
from web.downloads import file_response
from workflows.audit import Actor
from workflows.contract_template_service import ContractTemplateService
from workflows.contract_views import ContractView, ContractViews
from workflows.contracts import ClientInfo, ContractService
from workflows.errors import NotFoundError, StorageUnavailableError

PDF = "application/pdf"


def contracts() -> ContractService:
    """The contract service; StorageUnavailableError (503) where documents or SMS are not wired in."""
    service = system().contracts
    if service is None:
        raise StorageUnavailableError("电子劳动合同未开通：未配置文书签章、存储或短信服务")
    return service


def template_service() -> ContractTemplateService:
    """Employers' contract templates; StorageUnavailableError (503) where contracts are not wired in."""
    service = system().contract_templates
    if service is None:
        raise StorageUnavailableError("电子劳动合同未开通：未配置文书签章、存储或短信服务")
    return service


def views() -> ContractViews:
    return ContractViews(system().db)


def contract_or_404(actor: Actor, contract_id: int) -> ContractView:
    """The contract if `actor` is a party who may read it; 404 otherwise (never a hint it exists)."""
    try:
        return views().get(actor, contract_id)
    except NotFoundError:
        abort(404)


def client() -> ClientInfo:
    """Where the request came from, kept as evidence of each step."""
    return ClientInfo(ip=client_ip(), user_agent=request.user_agent.string)


def pdf_inline(data: bytes, filename: str) -> Response:
    """A PDF to read in the browser (its own viewer), never cached."""
    response = file_response(data, PDF, filename)
    response.headers["Content-Disposition"] = response.headers["Content-Disposition"].replace(
        "attachment", "inline", 1
    )
    return response
