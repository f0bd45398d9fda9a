"""The composition root of the document side: renderer, seal, verifier and object store from settings.

`web` is the only package that knows every adapter; the domain sees them through
`workflows.ports`.  Opening creates what the embedded default needs on first run (dev PKI,
storage buckets) and, unless told otherwise, starts our loopback timestamp authority.
"""

from __future__ import annotations

from dataclasses import dataclass

from documents import Renderer, ensure_fonts
from integrations.storage.factory import store_from_url
from signing.config import Signing, SigningConfig, open_signing
from workflows.config import Settings
from workflows.ports import DocumentAdapters, DocumentStore


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
    )
    return DocumentSide(adapters, signing, store)
