"""Which certificates we trust and where revocation data comes from — shared by sealing and checking."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext

from .pki import DevPki


@dataclass(frozen=True)
class TrustSettings:
    """Trust roots, extra intermediates, and revocation data we hold ourselves.

    `local_crls` returns current CRLs (DER) known without the network — the dev PKI's own.
    `allow_fetching` lets the validator download CRLs and OCSP answers from the URLs in
    certificates (production CAs); without it, certificates we hold no data for are reported as
    "revocation not checked" rather than failing.
    """

    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...] = ()
    local_crls: Callable[[], Sequence[bytes]] | None = field(default=None, compare=False)
    allow_fetching: bool = False
    fetch_timeout: float = 5.0

    @classmethod
    def for_pki(
        cls, pki: DevPki, *, extra_roots: Iterable[asn1_x509.Certificate] = (), allow_fetching: bool = False
    ) -> TrustSettings:
        """Our dev root (plus any configured external roots), revocation from the PKI's CRLs."""
        return cls(
            roots=(pki.root_certificate, *extra_roots),
            intermediates=(pki.issuing_certificate,),
            local_crls=pki.crls,
            allow_fetching=allow_fetching,
        )

    def validation_context(
        self, *, revocation_mode: str = "soft-fail", moment: datetime | None = None
    ) -> ValidationContext:
        """A fresh context (they cache revocation data, so make one per operation)."""
        kwargs: dict[str, object] = {}
        if self.allow_fetching:
            from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

            kwargs["fetcher_backend"] = AIOHttpFetcherBackend(per_request_timeout=int(self.fetch_timeout))
        return ValidationContext(
            trust_roots=list(self.roots),
            other_certs=list(self.intermediates),
            crls=list(self.local_crls()) if self.local_crls else None,
            allow_fetching=self.allow_fetching,
            revocation_mode=revocation_mode,
            moment=moment,
            **kwargs,  # type: ignore[arg-type]
        )
