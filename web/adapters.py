"""The composition root of the adapters: renderer, seal, verifier, object store and SMS from settings.

`web` is the only package that knows every adapter; the domain sees them through
`workflows.ports`.  Opening creates what the embedded default needs on first run (dev PKI,
storage buckets) and, unless told otherwise, starts our loopback timestamp authority.
"""

from __future__ import annotations

from dataclasses import dataclass

from documents import Renderer, ensure_fonts
from documents.contracts import ContractRenderer
from integrations.sms.factory import sms_sender_from_url
from integrations.sms.outbox import OutboxSmsSender
from integrations.storage.factory import store_from_url
from signing.config import Signing, SigningConfig, open_signing
from signing.contracts import ContractSigningService
from workflows.config import Settings
from workflows.ports import DocumentAdapters, DocumentStore, SmsSender


@dataclass
class DocumentSide:
    adapters: DocumentAdapters
    signing: Signing
    store: DocumentStore

    def close(self) -> None:
        self.signing.close()


def open_documents(settings: Settings, *, start_tsa: bool = True) -> DocumentSide:
    """Build the adapters for `settings`; `start_tsa=False` where another process runs our TSA."""
    ensure_fonts()
    store = store_from_url(settings.storage_url, settings.secret_key)
    store.ensure_buckets()
    signing = open_signing(
        SigningConfig.from_env(settings.instance_dir, settings.secret_key, tsa_url=settings.tsa_url or None),
        start_tsa=start_tsa,
    )
    adapters = DocumentAdapters(
        renderer=Renderer(),
        sealer=signing.sealer,
        store=store,
        verifier=signing.verifier,
        verify_base_url=settings.public_url.rstrip("/") + "/verify",
        contract_renderer=ContractRenderer(),
        contract_signer=ContractSigningService(signing.sealer, signing.pki),
    )
    return DocumentSide(adapters, signing, store)


def open_sms(settings: Settings) -> SmsSender:
    """The SMS sender for `settings.sms_url` (the development outbox unless a gateway is configured).

    ValueError when no adapter exists for the URL: better to refuse to start than to drop codes.
    """
    return sms_sender_from_url(settings.sms_url)


def sms_outbox(settings: Settings) -> OutboxSmsSender | None:
    """The development outbox, if that is where this instance's text messages go."""
    sender = sms_sender_from_url(settings.sms_url)
    return sender if isinstance(sender, OutboxSmsSender) else None
