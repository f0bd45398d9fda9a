"""Signing keys held in memory, and the pyHanko signers built on them.

Stock `SimpleSigner` parses its private key again for every signature (`cryptography` validates
an RSA key on load, ~33 ms), which caps RSA-2048 sealing at ~22 per second.  `LoadedKeySigner`
parses the key once.  Keys on an HSM go through pyHanko's PKCS#11 signer instead.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as c509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from pyhanko.sign import attributes
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from workflows.errors import SealingError

from .der import tlv


def to_asn1(cert: c509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto form pyHanko works with."""
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    """Every certificate in a PEM bundle or a single DER certificate."""
    if b"-----BEGIN" in data:
        return [to_asn1(c) for c in c509.load_pem_x509_certificates(data)]
    return [asn1_x509.Certificate.load(data)]


@dataclass(frozen=True, eq=False)
class SigningCredentials:
    """A certificate, its private key (already parsed) and the issuing chain up to the root."""

    certificate: asn1_x509.Certificate
    private_key: PrivateKeyTypes
    chain: tuple[asn1_x509.Certificate, ...] = ()

    @property
    def common_name(self) -> str:
        return str(self.certificate.subject.native.get("common_name", ""))

    @property
    def organisation(self) -> str | None:
        value = self.certificate.subject.native.get("organization_name")
        return str(value) if value else None

    @property
    def serial_number(self) -> int:
        return int(self.certificate.serial_number)

    def signer(self, *, embed_roots: bool = True) -> LoadedKeySigner:
        """A pyHanko signer on this key; build it once and keep it."""
        return LoadedKeySigner(self, embed_roots=embed_roots)


class LoadedKeySigner(SimpleSigner):
    """`SimpleSigner` that signs with a key parsed once instead of once per signature."""

    def __init__(self, credentials: SigningCredentials, *, embed_roots: bool = True):
        key = credentials.private_key
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SealingError(f"unsupported signing key type {type(key).__name__} (use RSA or ECDSA)")
        key_info = asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        super().__init__(
            signing_cert=credentials.certificate,
            signing_key=key_info,
            cert_registry=_chain_registry(tuple(c.dump() for c in credentials.chain)),
            embed_roots=embed_roots,
        )
        self._key = key
        self._signing_certificate_attr = _FixedAttribute(
            "signing_certificate_v2", signing_certificate_v2_der(credentials.certificate)
        )

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Iterator[attributes.CMSAttributeProvider]:
        # The ESS signing-certificate-v2 attribute is the same in every signature of this key, and
        # asn1crypto takes ~1 ms to assemble it (nested re-encoding): build it once.
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if isinstance(provider, attributes.SigningCertificateV2Provider) and (
                provider.signing_cert is self.signing_cert
            ):
                yield self._signing_certificate_attr
            else:
                yield provider

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism.signature_algo
        if algo == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algo == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        # PSS and anything unusual: the stock path (re-parses the key, but stays correct)
        return bytes(super().sign_raw(data, digest_algorithm))


@functools.lru_cache(maxsize=64)
def _chain_registry(chain: tuple[bytes, ...]) -> SimpleCertificateStore:
    """One registry per issuing chain, shared by every signer it issued: registering
    certificates (name normalisation) costs about a millisecond, and pyHanko only reads it."""
    return SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(der) for der in chain])


class _FixedAttribute(attributes.CMSAttributeProvider):
    """A signed attribute whose value never changes, kept as DER and handed out freshly parsed."""

    def __init__(self, attribute_type: str, der: bytes):
        self.attribute_type = attribute_type
        self._der = der

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return cms.CMSAttribute.load(self._der)


def signing_certificate_v2_der(cert: asn1_x509.Certificate) -> bytes:
    """The ESS signing-certificate-v2 attribute (RFC 5035) naming `cert`, as DER.

    The same bytes as pyHanko's `simple_cms_attribute("signing_certificate_v2",
    as_signing_certificate_v2(cert))` (SHA-256, the default hash, is left out as DER requires),
    written directly from the certificate's own DER: asn1crypto takes ~2 ms to assemble it, and
    every worker's first signature pays that.
    """
    serial = int(cert.serial_number)
    issuer_serial = tlv(
        0x30,
        tlv(0x30, tlv(0xA4, cert.issuer.dump()))  # GeneralNames: [4] directoryName
        + tlv(0x02, serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=True)),
    )
    cert_id = tlv(0x30, tlv(0x04, hashlib.sha256(cert.dump()).digest()) + issuer_serial)
    value = tlv(0x30, tlv(0x30, cert_id))  # SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 }
    return tlv(0x30, _SIGNING_CERTIFICATE_V2_OID + tlv(0x31, value))


_SIGNING_CERTIFICATE_V2_OID = bytes.fromhex("060b2a864886f70d010910022f")  # 1.2.840.113549.1.9.16.2.47


# -- keys at rest --------------------------------------------------------------------------


def encrypt_private_key(key: PrivateKeyTypes, passphrase: bytes) -> bytes:
    """PKCS#8, encrypted with the best scheme `cryptography` offers (PBES2 / AES-256)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def load_private_key(data: bytes, passphrase: bytes | None, *, what: str) -> PrivateKeyTypes:
    """Parse a PEM or DER private key; a wrong passphrase becomes a SealingError that says so."""
    try:
        if b"-----BEGIN" in data:
            return serialization.load_pem_private_key(data, password=passphrase)
        return serialization.load_der_private_key(data, password=passphrase)
    except (ValueError, TypeError) as e:
        raise SealingError(
            f"cannot read the private key of {what}: wrong passphrase (did the instance secret change?) "
            f"or not a key ({e})"
        ) from e


def load_credentials_from_files(
    cert_file: str | Path,
    key_file: str | Path,
    *,
    passphrase: bytes | None = None,
    chain_files: Iterable[str | Path] = (),
) -> SigningCredentials:
    """External certificate and key files (production without an HSM)."""
    try:
        cert_data = Path(cert_file).read_bytes()
        key_data = Path(key_file).read_bytes()
        chain: list[asn1_x509.Certificate] = []
        for f in chain_files:
            chain.extend(load_certificates(Path(f).read_bytes()))
    except OSError as e:
        raise SealingError(f"cannot read signing certificate or key: {e}") from e
    certs = load_certificates(cert_data)
    if not certs:
        raise SealingError(f"no certificate in {cert_file}")
    key = load_private_key(key_data, passphrase, what=str(key_file))
    # a PEM bundle may hold the leaf followed by its issuers
    return SigningCredentials(certificate=certs[0], private_key=key, chain=tuple(certs[1:] + chain))


# -- keys on an HSM ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pkcs11Settings:
    """Where the seal key lives on a PKCS#11 token (HSM, smart card, SoftHSM)."""

    module: str  # path to the vendor's PKCS#11 library (.so)
    key_label: str | None = None
    cert_label: str | None = None
    token_label: str | None = None
    slot_no: int | None = None
    user_pin: str | None = None
    chain_files: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Any = None) -> Pkcs11Settings | None:
        """`LABORCASE_PKCS11_MODULE` (+ `_TOKEN`, `_SLOT`, `_KEY_LABEL`, `_CERT_LABEL`, `_PIN`, `_CHAIN`)."""
        env = os.environ if env is None else env
        module = env.get("LABORCASE_PKCS11_MODULE")
        if not module:
            return None
        slot = env.get("LABORCASE_PKCS11_SLOT")
        chain = env.get("LABORCASE_PKCS11_CHAIN", "")
        return cls(
            module=module,
            key_label=env.get("LABORCASE_PKCS11_KEY_LABEL") or None,
            cert_label=env.get("LABORCASE_PKCS11_CERT_LABEL") or None,
            token_label=env.get("LABORCASE_PKCS11_TOKEN") or None,
            slot_no=int(slot) if slot else None,
            user_pin=env.get("LABORCASE_PKCS11_PIN") or None,
            chain_files=tuple(p for p in chain.split(os.pathsep) if p),
        )


class Pkcs11Seal:
    """An open session on the token and the pyHanko signer using it; `close()` when done."""

    def __init__(self, settings: Pkcs11Settings):
        try:
            from pyhanko.config.pkcs11 import TokenCriteria
            from pyhanko.sign import pkcs11 as p11
        except ImportError as e:
            raise SealingError(
                "PKCS#11 seal keys need the python-pkcs11 package: "
                "install it with `pip install 'python-pkcs11>=0.7'` (and the HSM vendor's PKCS#11 module)"
            ) from e
        if not Path(settings.module).exists():
            raise SealingError(f"PKCS#11 module {settings.module} not found")
        chain: list[asn1_x509.Certificate] = []
        for f in settings.chain_files:
            chain.extend(load_certificates(Path(f).read_bytes()))
        try:
            self._session = p11.open_pkcs11_session(
                settings.module,
                slot_no=settings.slot_no,
                token_criteria=TokenCriteria(label=settings.token_label) if settings.token_label else None,
                user_pin=settings.user_pin,
            )
            self.signer: Signer = p11.PKCS11Signer(
                self._session,
                cert_label=settings.cert_label or settings.key_label,
                key_label=settings.key_label,
                ca_chain=chain,
            )
        except (SigningError, Exception) as e:  # python-pkcs11 raises its own hierarchy
            raise SealingError(f"cannot open the PKCS#11 seal key: {e}") from e

    def close(self) -> None:
        self._session.close()


__all__ = [
    "LoadedKeySigner",
    "Pkcs11Seal",
    "Pkcs11Settings",
    "SigningCredentials",
    "encrypt_private_key",
    "load_certificates",
    "load_credentials_from_files",
    "load_private_key",
    "to_asn1",
]
