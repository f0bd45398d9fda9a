"""Signatures on labour contracts: the worker's personal signature and the employer's own seal.

Both are PAdES B-T with our TSA (`SealingService.sign_as`): each signature carries a trusted
timestamp.  Certificates come from the dev PKI (a personal one per worker, an organisation seal
per employer); the agency's seal certificate is never used — a contract is not the agency's
document, and `SealingService.seal` stays reserved for the agency's own.
"""

from __future__ import annotations

from workflows.errors import SealingError
from workflows.ports import OrganisationSigner, PersonalSigner, SealLevel

from .pki import DevPki
from .seal import SealingService


class ContractSigningService:
    """The `ContractSigner` port on a sealing service (for its TSA session) and the dev PKI."""

    def __init__(self, sealing: SealingService, pki: DevPki, *, level: SealLevel = SealLevel.B_T):
        self.sealing = sealing
        self.pki = pki
        self.level = level

    def sign_personally(self, pdf: bytes, signer: PersonalSigner, field_name: str) -> bytes:
        credentials = self.pki.issue_user_certificate(signer.key, signer.name, signer.resident_id)
        return self.sealing.sign_as(
            credentials, pdf, field_name, level=self.level, reason="劳动者签署劳动合同"
        )

    def seal_for(self, pdf: bytes, organisation: OrganisationSigner, field_name: str) -> bytes:
        credentials = self.pki.issue_organisation_seal(organisation.key, organisation.name, organisation.uscc)
        agency = self.sealing.signer.signing_cert
        if agency is not None and credentials.certificate.dump() == agency.dump():
            raise SealingError("the agency's seal never seals an employer's contract")
        subject = credentials.certificate.subject.native
        if subject.get("organization_name") != organisation.name:
            raise SealingError(f"the seal certificate is not {organisation.name!r}'s")
        return self.sealing.sign_as(
            credentials,
            pdf,
            field_name,
            level=self.level,
            reason="用人单位签署劳动合同",
            mark_label="电子印章",
        )
