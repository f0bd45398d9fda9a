"""Signing configuration, and the one call that turns it into a sealer and a verifier.

Embedded default (nothing set): a dev PKI in `<instance>/pki` created on first run, our RFC 3161
TSA with the PKI's CRL/OCSP endpoints on loopback (`LABORCASE_PKI_PORT`, default 8470 — its URLs
are written into the dev certificates), B-T seals by the dev seal certificate.

Production: `LABORCASE_TSA_URL` (an accredited TSA), the seal key either in files
(`LABORCASE_SEAL_CERT`, `LABORCASE_SEAL_KEY`, `LABORCASE_SEAL_KEY_PASSPHRASE`,
`LABORCASE_SEAL_CHAIN`) or on an HSM (`LABORCASE_PKCS11_MODULE` and friends, see
`signing.keys.Pkcs11Settings`), external trust roots in `LABORCASE_TRUST_ROOTS`, and
`LABORCASE_REVOCATION_FETCH=1` to fetch CRLs/OCSP from the URLs in certificates.  Keys never live
in the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workflows.errors import SealingError

from .appearance import SealDesign
from .keys import Pkcs11Seal, Pkcs11Settings, load_certificates, load_credentials_from_files
from .pki import DEFAULT_ORGANISATION, DevPki, PkiSettings
from .seal import SealingService
from .trust import TrustSettings
from .tsa import TimestampAuthority
from .verify import DEFAULT_MAX_BYTES, SignatureVerifier

DEFAULT_PKI_PORT = 8470


@dataclass(frozen=True)
class SigningConfig:
    """Everything the signing package needs; `from_env` reads the LABORCASE_* variables."""

    instance_dir: Path
    secret: str
    organisation: str = DEFAULT_ORGANISATION
    seal_number: str | None = None
    seal_label: str | None = None
    tsa_url: str | None = None  # None: run our own TSA on loopback
    pki_port: int = DEFAULT_PKI_PORT
    seal_cert: Path | None = None
    seal_key: Path | None = None
    seal_key_passphrase: str | None = None
    seal_chain: tuple[Path, ...] = ()
    pkcs11: Pkcs11Settings | None = None
    trust_roots: tuple[Path, ...] = ()
    fetch_revocation: bool = False
    max_upload_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_env(
        cls,
        instance_dir: Path,
        secret: str,
        *,
        tsa_url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> SigningConfig:
        env = os.environ if env is None else env

        def paths(name: str) -> tuple[Path, ...]:
            return tuple(Path(p) for p in env.get(name, "").split(os.pathsep) if p)

        def path(name: str) -> Path | None:
            value = env.get(name)
            return Path(value) if value else None

        return cls(
            instance_dir=Path(instance_dir),
            secret=secret,
            organisation=env.get("LABORCASE_SEAL_ORGANISATION") or DEFAULT_ORGANISATION,
            seal_number=env.get("LABORCASE_SEAL_NUMBER") or None,
            seal_label=env.get("LABORCASE_SEAL_LABEL") or None,
            tsa_url=tsa_url or env.get("LABORCASE_TSA_URL") or None,
            pki_port=int(env.get("LABORCASE_PKI_PORT") or DEFAULT_PKI_PORT),
            seal_cert=path("LABORCASE_SEAL_CERT"),
            seal_key=path("LABORCASE_SEAL_KEY"),
            seal_key_passphrase=env.get("LABORCASE_SEAL_KEY_PASSPHRASE") or None,
            seal_chain=paths("LABORCASE_SEAL_CHAIN"),
            pkcs11=Pkcs11Settings.from_env(env),
            trust_roots=paths("LABORCASE_TRUST_ROOTS"),
            fetch_revocation=env.get("LABORCASE_REVOCATION_FETCH", "0") not in ("0", "false", "no", ""),
            max_upload_bytes=int(env.get("LABORCASE_VERIFY_MAX_BYTES") or DEFAULT_MAX_BYTES),
        )


class Signing:
    """The assembled signing side: a `Sealer`, a `Verifier`, and what they run on.  `close()` at exit."""

    def __init__(
        self,
        sealer: SealingService,
        verifier: SignatureVerifier,
        pki: DevPki,
        tsa: TimestampAuthority | None,
        pkcs11: Pkcs11Seal | None = None,
    ):
        self.sealer = sealer
        self.verifier = verifier
        self.pki = pki
        self.tsa = tsa
        self._pkcs11 = pkcs11

    def close(self) -> None:
        self.sealer.close()
        if self.tsa is not None:
            self.tsa.stop()
        if self._pkcs11 is not None:
            self._pkcs11.close()


def open_signing(config: SigningConfig, *, start_tsa: bool = True) -> Signing:
    """Build sealer and verifier from `config`; in the embedded default also start the loopback TSA.

    The dev PKI is always opened: it issues the per-user signing certificates (and, without
    external keys, the seal).  `start_tsa=False` leaves our TSA to another process (workers).
    """
    base_url = f"http://127.0.0.1:{config.pki_port}"
    pki = DevPki.open(
        config.instance_dir / "pki",
        config.secret,
        PkiSettings(organisation=config.organisation, base_url=base_url),
    )
    extra_roots = []
    for root_file in config.trust_roots:
        try:
            extra_roots.extend(load_certificates(root_file.read_bytes()))
        except OSError as e:
            raise SealingError(f"cannot read trust roots {root_file}: {e}") from e
    trust = TrustSettings.for_pki(pki, extra_roots=extra_roots, allow_fetching=config.fetch_revocation)

    pkcs11 = None
    if config.pkcs11 is not None:
        pkcs11 = Pkcs11Seal(config.pkcs11)
        signer = pkcs11.signer
    elif config.seal_cert is not None or config.seal_key is not None:
        if config.seal_cert is None or config.seal_key is None:
            raise SealingError("set both LABORCASE_SEAL_CERT and LABORCASE_SEAL_KEY (or neither)")
        passphrase = config.seal_key_passphrase.encode() if config.seal_key_passphrase else None
        signer = load_credentials_from_files(
            config.seal_cert, config.seal_key, passphrase=passphrase, chain_files=config.seal_chain
        ).signer()
    else:
        signer = pki.seal_credentials().signer()

    tsa = None
    tsa_url = config.tsa_url
    if tsa_url is None:
        tsa = TimestampAuthority.for_pki(pki, port=config.pki_port)
        tsa_url = tsa.start() if start_tsa else f"{base_url}/tsa"
    sealer = SealingService(
        signer,
        design=SealDesign(config.organisation, config.seal_number, config.seal_label),
        timestamper_url=tsa_url,
        trust=trust,
    )
    verifier = SignatureVerifier(trust, max_bytes=config.max_upload_bytes)
    return Signing(sealer, verifier, pki, tsa if start_tsa else None, pkcs11)
