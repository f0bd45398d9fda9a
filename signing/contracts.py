"""Signatures on labour contracts: the worker's personal signature and the employer's own seal.

Both are PAdES B-T with our TSA (`SealingService.sign_as`): each signature carries a trusted
timestamp.  Certificates come from the dev PKI (a personal one per worker, an organisation seal
per employer); the agency's seal certificate is never used — a contract is not the agency's
document, and `SealingService.seal` stays reserved for the agency's own.

Credentials are kept per signer once issued or loaded (key parsed, pyHanko signer built): an
employer sealing a thousand contracts loads its key once, not a thousand times (an RSA key
costs ~35 ms to load).  A kept credential is used only while it is the one the PKI would hand
out — same subject name, not revoked, not due for renewal; otherwise it is fetched again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from workflows.errors import SealingError
from workflows.ports import OrganisationSigner, PersonalSigner, SealLevel

from .keys import LoadedKeySigner, SigningCredentials
from .pki import RENEW_BEFORE, DevPki
from .seal import SealingService

CACHE_SIZE = 4096  # signers kept per process (a personal credential is ~3 KB with its signer)


class _KeptCredentials(SigningCredentials):
    """Credentials whose pyHanko signer is built once (`sign_as` asks for it on every signature)."""

    _signer: LoadedKeySigner | None = None

    def signer(self, *, embed_roots: bool = True) -> LoadedKeySigner:
        if not embed_roots:
            return super().signer(embed_roots=embed_roots)
        if self._signer is None:
            object.__setattr__(self, "_signer", super().signer())
        assert self._signer is not None
        return self._signer


class ContractSigningService:
    """The `ContractSigner` port on a sealing service (for its TSA session) and the dev PKI."""

    def __init__(self, sealing: SealingService, pki: DevPki, *, level: SealLevel = SealLevel.B_T):
        self.sealing = sealing
        self.pki = pki
        self.level = level
        self._kept: OrderedDict[tuple[str, str, str | None], _KeptCredentials] = OrderedDict()
        self._lock = threading.Lock()

    def sign_personally(self, pdf: bytes, signer: PersonalSigner, field_name: str) -> bytes:
        credentials = self._credentials(
            ("user", signer.key, signer.resident_id),
            signer.name,
            lambda: self.pki.issue_user_certificate(signer.key, signer.name, signer.resident_id),
        )
        return self.sealing.sign_as(
            credentials, pdf, field_name, level=self.level, reason="劳动者签署劳动合同"
        )

    def seal_for(self, pdf: bytes, organisation: OrganisationSigner, field_name: str) -> bytes:
        credentials = self._credentials(
            ("organisation", organisation.key, organisation.uscc),
            organisation.name,
            lambda: self.pki.issue_organisation_seal(organisation.key, organisation.name, organisation.uscc),
        )
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

    def _credentials(
        self, key: tuple[str, str, str | None], name: str, issue: Callable[[], SigningCredentials]
    ) -> SigningCredentials:
        """The kept credentials of a signer while still valid for `name`, else issued/loaded anew."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and self._usable(kept, name):
                self._kept.move_to_end(key)
                return kept
        fresh = issue()
        kept = _KeptCredentials(fresh.certificate, fresh.private_key, fresh.chain)
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > CACHE_SIZE:
                self._kept.popitem(last=False)
        return kept

    def _usable(self, kept: SigningCredentials, name: str) -> bool:
        cert = kept.certificate
        if kept.common_name != name:
            return False
        not_after = cert["tbs_certificate"]["validity"]["not_after"].native
        if not_after - datetime.now(UTC) <= RENEW_BEFORE:
            return False
        return not self.pki.is_revoked(kept.serial_number)  # revoking re-signs the CRL at once
