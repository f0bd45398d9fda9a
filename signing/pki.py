"""The development PKI: created on first run in a folder, reused on every later run.

Root CA → issuing CA → {agency seal, TSA, OCSP responder, one certificate per user}.  Private keys
are PKCS#8, encrypted with a passphrase derived from the instance secret; an append-only registry
records every certificate issued and revoked, from which the CRLs and OCSP answers are made.  When
`base_url` is set, certificates point there for CRLs, OCSP and issuer certificates (the loopback
server in `signing.tsa` serves them).  Production uses external certificates or PKCS#11 instead
(`signing.keys`); nothing here is meant for real seals.
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes, PrivateKeyTypes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from workflows.errors import SealingError

from .keys import SigningCredentials, encrypt_private_key, load_private_key, to_asn1

DEFAULT_ORGANISATION = "某某市劳动人事争议仲裁委员会"

ROOT, ISSUING, SEAL, TSA, OCSP = "root-ca", "issuing-ca", "seal", "tsa", "ocsp"
CRL_VALIDITY = timedelta(days=7)
CRL_REFRESH = timedelta(days=1)  # re-sign a CRL when less than this is left of its validity
RENEW_BEFORE = timedelta(days=30)

_VALIDITY = {
    ROOT: timedelta(days=20 * 365),
    ISSUING: timedelta(days=10 * 365),
    SEAL: timedelta(days=3 * 365),
    TSA: timedelta(days=5 * 365),
    OCSP: timedelta(days=2 * 365),
    "user": timedelta(days=2 * 365),
}


@dataclass(frozen=True)
class PkiSettings:
    """What the dev PKI looks like.  Changing `organisation` re-issues the seal certificate."""

    organisation: str = DEFAULT_ORGANISATION
    base_url: str | None = None  # e.g. http://127.0.0.1:8470 — CRL, OCSP and CA-issuer URLs
    key_size: int = 2048
    country: str = "CN"
    #: keys of newly issued personal and employer-seal certificates: "ec-p256" (ECDSA P-256, made in
    #: ~0.1 ms) or "rsa" (`key_size` bits, ~60 ms to make and ~35 ms to load on these machines).
    #: The CA hierarchy, the agency seal and the TSA keep RSA.
    personal_keys: str = "ec-p256"


@dataclass(frozen=True)
class CertificateRecord:
    """One certificate the issuing CA (or the root, for the issuing CA) has issued."""

    serial: int
    kind: str  # seal, tsa, ocsp, user, issuing-ca
    issuer: str  # root-ca or issuing-ca
    subject: str
    not_after: datetime
    user_id: str | None = None
    revoked_at: datetime | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": format(self.serial, "x"),
            "kind": self.kind,
            "issuer": self.issuer,
            "subject": self.subject,
            "not_after": self.not_after.isoformat(),
            "user_id": self.user_id,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CertificateRecord:
        return cls(
            serial=int(d["serial"], 16),
            kind=d["kind"],
            issuer=d["issuer"],
            subject=d["subject"],
            not_after=datetime.fromisoformat(d["not_after"]),
            user_id=d.get("user_id"),
            revoked_at=datetime.fromisoformat(d["revoked_at"]) if d.get("revoked_at") else None,
            reason=d.get("reason"),
        )


@dataclass(frozen=True)
class _Registry:
    """What this process has read of the registry file: up to `offset` of file `inode`."""

    inode: int
    offset: int
    records: dict[int, CertificateRecord]


def derive_passphrase(secret: str | bytes) -> bytes:
    """The key-encryption passphrase: HKDF-SHA256 of the instance secret (never stored)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    if not raw:
        raise SealingError("the dev PKI needs a non-empty instance secret to encrypt its keys")
    okm = HKDF(hashes.SHA256(), 32, salt=b"laborcase dev pki", info=b"private keys at rest").derive(raw)
    return base64.urlsafe_b64encode(okm)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _slug(user_id: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", user_id)[:40]
    return f"{readable}-{hashlib.sha256(user_id.encode()).hexdigest()[:10]}"


def mask_id_number(id_number: str) -> str:
    """Keep the first 4 and last 4 characters (x in between: serialNumber is a PrintableString)."""
    n = re.sub(r"[^A-Za-z0-9]", "", id_number)
    return n if len(n) <= 8 else n[:4] + "x" * (len(n) - 8) + n[-4:]


class DevPki:
    """A folder holding the dev CA hierarchy; open it with `DevPki.open(folder, secret)`."""

    def __init__(self, folder: Path, passphrase: bytes, settings: PkiSettings):
        self.folder = folder
        self.settings = settings
        self._passphrase = passphrase
        self._mutex = threading.RLock()
        self._certs: dict[str, x509.Certificate] = {}
        self._keys: dict[str, PrivateKeyTypes] = {}
        self._credentials: dict[str, SigningCredentials] = {}
        self._crl_cache: dict[str, tuple[int, bytes, datetime]] = {}
        self._revoked_cache: dict[str, tuple[bytes, frozenset[int]]] = {}
        self._registry: _Registry | None = None

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | Path, secret: str | bytes, settings: PkiSettings | None = None) -> DevPki:
        """Create the PKI in `folder` if needed (idempotent, safe between processes), then load it.

        `settings=None` keeps the settings the folder was created with.
        """
        folder = Path(folder)
        stored = folder / "settings.json"
        if settings is None:  # reuse what the PKI was made with (e.g. a separate TSA process)
            settings = (
                PkiSettings(**json.loads(stored.read_text("utf-8"))) if stored.exists() else PkiSettings()
            )
        pki = cls(folder, derive_passphrase(secret), settings)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "users").mkdir(exist_ok=True)
        (folder / "crl").mkdir(exist_ok=True)
        with pki._locked():
            pki._migrate_registry()
            pki._ensure_hierarchy()
            pki._write(stored, json.dumps(dataclasses.asdict(settings), ensure_ascii=False).encode())
        return pki

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise changes between threads and processes sharing the folder."""
        with self._mutex, open(self.folder / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _ensure_hierarchy(self) -> None:
        s = self.settings
        root_name = self._name("Laborcase Dev Root CA (开发测试根证书)")
        self._ensure(ROOT, None, root_name, self._ca_extensions(path_length=1, issuer=None))
        self._ensure(
            ISSUING,
            ROOT,
            self._name("Laborcase Dev Issuing CA (开发测试签发证书)"),
            self._issuing_extensions(),
        )
        seal_name = self._name(s.organisation, unit="电子印章")
        self._ensure(SEAL, ISSUING, seal_name, self._end_entity_extensions(), match_subject=True)
        tsa_ext = self._end_entity_extensions(eku=ExtendedKeyUsageOID.TIME_STAMPING)
        self._ensure(TSA, ISSUING, self._name("Laborcase Dev TSA (开发测试时间戳)"), tsa_ext)
        ocsp_ext = self._end_entity_extensions(eku=ExtendedKeyUsageOID.OCSP_SIGNING, revocation=False)
        self._ensure(OCSP, ISSUING, self._name("Laborcase Dev OCSP Responder"), ocsp_ext)
        for ca in (ROOT, ISSUING):
            self._refresh_crl(ca, force=not (self.folder / "crl" / f"{ca}.crl").exists())

    def _name(self, common_name: str, *, unit: str | None = None) -> x509.Name:
        """A subject name; the unit is varied if needed to dodge asn1crypto's 0x80 trap (see below)."""
        for ou in (unit, f"{unit or 'Laborcase'} dev", f"{unit or 'Laborcase'} development"):
            attrs = [
                x509.NameAttribute(NameOID.COUNTRY_NAME, self.settings.country),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.settings.organisation),
            ]
            if ou:
                attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
            attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
            name = x509.Name(attrs)
            if not trips_asn1crypto(name.public_bytes()):
                return name
        return name

    # -- extensions ------------------------------------------------------------------------

    def _url(self, path: str) -> str | None:
        base = self.settings.base_url
        return f"{base.rstrip('/')}/{path}" if base else None

    def _ca_extensions(
        self, *, path_length: int, issuer: str | None
    ) -> list[tuple[x509.ExtensionType, bool]]:
        ext: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=True, path_length=path_length), True),
            (_key_usage(cert_sign=True), True),
        ]
        if issuer is not None:
            ext += self._revocation_pointers(issuer, ocsp=False)
        return ext

    def _issuing_extensions(self) -> list[tuple[x509.ExtensionType, bool]]:
        return self._ca_extensions(path_length=0, issuer=ROOT)

    def _end_entity_extensions(
        self, *, eku: x509.ObjectIdentifier | None = None, revocation: bool = True
    ) -> list[tuple[x509.ExtensionType, bool]]:
        ext: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(signing=True), True),
        ]
        if eku is not None:
            # RFC 3161 §2.3: a TSA certificate has exactly this EKU, marked critical
            ext.append((x509.ExtendedKeyUsage([eku]), True))
        if eku == ExtendedKeyUsageOID.OCSP_SIGNING:
            ext.append((x509.OCSPNoCheck(), False))
        if revocation:
            ext += self._revocation_pointers(ISSUING, ocsp=True)
        return ext

    def _revocation_pointers(self, issuer: str, *, ocsp: bool) -> list[tuple[x509.ExtensionType, bool]]:
        crl_url = self._url(f"crl/{issuer}.crl")
        if crl_url is None:
            return []
        dp = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        access = [
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(self._url(f"certs/{issuer}.cer") or ""),
            )
        ]
        if ocsp:
            access.insert(
                0,
                x509.AccessDescription(
                    x509.oid.AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(self._url("ocsp") or ""),
                ),
            )
        return [
            (x509.CRLDistributionPoints([dp]), False),
            (x509.AuthorityInformationAccess(access), False),
        ]

    # -- files -----------------------------------------------------------------------------

    def _cert_path(self, name: str) -> Path:
        return self.folder / f"{name}.pem"

    def _key_path(self, name: str) -> Path:
        return self.folder / f"{name}.key"

    def _ensure(
        self,
        name: str,
        issuer: str | None,
        subject: x509.Name,
        extensions: list[tuple[x509.ExtensionType, bool]],
        *,
        match_subject: bool = False,
    ) -> None:
        path = self._cert_path(name)
        if path.exists():
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            fresh = cert.not_valid_after_utc - _now() > RENEW_BEFORE
            if fresh and (not match_subject or cert.subject == subject):
                self._certs[name] = cert
                return
        key = rsa.generate_private_key(public_exponent=65537, key_size=self.settings.key_size)
        cert = self._issue(subject, key, issuer, extensions, _VALIDITY.get(name, _VALIDITY["user"]))
        self._write(path, cert.public_bytes(serialization.Encoding.PEM))
        self._write(self._key_path(name), encrypt_private_key(key, self._passphrase), private=True)
        self._certs[name] = cert
        self._keys[name] = key
        self._credentials.pop(name, None)
        if issuer is not None:
            self._record(cert, kind=name if name != ISSUING else "issuing-ca", issuer=issuer)

    def _write(self, path: Path, data: bytes, *, private: bool = False) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def _issue(
        self,
        subject: x509.Name,
        key: PrivateKeyTypes,
        issuer: str | None,
        extensions: list[tuple[x509.ExtensionType, bool]],
        validity: timedelta,
    ) -> x509.Certificate:
        now = _now()
        public = key.public_key()
        if issuer is None:
            issuer_name, issuer_key, issuer_public = subject, key, public
        else:
            issuer_cert = self._certs[issuer]
            issuer_name, issuer_key, issuer_public = issuer_cert.subject, self._key(issuer), None
        not_after = now + validity
        if issuer is not None:  # never outlive the issuer
            not_after = min(not_after, self._certs[issuer].not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(public)  # type: ignore[arg-type]
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)  # type: ignore[arg-type]
        )
        if issuer is None:
            assert issuer_public is not None
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public)  # type: ignore[arg-type]
        else:
            ski = self._certs[issuer].extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
        builder = builder.add_extension(aki, critical=False)
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        cert = None
        for bits in (159, 151, 143, 135, 127, 119):  # serial sizes: each shifts the DER lengths
            serial = secrets.randbits(bits) | (1 << (bits - 1))
            cert = builder.serial_number(serial).sign(_issuer_key(issuer_key), hashes.SHA256())
            if not trips_asn1crypto(cert.public_bytes(serialization.Encoding.DER)):
                break
        assert cert is not None
        return cert

    def _key(self, name: str) -> PrivateKeyTypes:
        key = self._keys.get(name)
        if key is None:
            key = load_private_key(
                self._key_path(name).read_bytes(), self._passphrase, what=f"the dev {name}"
            )
            self._keys[name] = key
        return key

    # -- registry --------------------------------------------------------------------------
    # Append-only, one JSON record a line; a later line for a serial (its revocation) replaces the
    # earlier one.  Issuing appends one line, and each process reads only the lines appended since
    # it last looked: rewriting a whole registry file on every issue made each certificate cost
    # more as the registry grew, and made every process re-read it after another one wrote.

    @property
    def _registry_path(self) -> Path:
        return self.folder / "registry.jsonl"

    def records(self) -> dict[int, CertificateRecord]:
        """Every certificate issued below the root, by serial (do not change the dict returned)."""
        try:
            with open(self._registry_path, "rb") as f:
                st = os.fstat(f.fileno())
                state = self._registry
                if state is None or state.inode != st.st_ino or st.st_size < state.offset:
                    state = _Registry(st.st_ino, 0, {})
                if st.st_size > state.offset:
                    f.seek(state.offset)
                    chunk = f.read(st.st_size - state.offset)
                    end = chunk.rfind(b"\n") + 1  # a line being appended now is read next time
                    if end:
                        records = dict(state.records)  # a new dict: callers may hold the old one
                        for line in chunk[:end].splitlines():
                            if line.strip():
                                record = CertificateRecord.from_json(json.loads(line))
                                records[record.serial] = record
                        state = _Registry(st.st_ino, state.offset + end, records)
                self._registry = state
                return state.records
        except FileNotFoundError:
            return {}

    def _append_record(self, record: CertificateRecord) -> None:
        """One line, one write, under the lock (O_APPEND: never over another process's line)."""
        line = (json.dumps(record.to_json(), ensure_ascii=False) + "\n").encode()
        fd = os.open(self._registry_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def _migrate_registry(self) -> None:
        """A folder made before the registry was append-only: its records, one a line (under the lock)."""
        old = self.folder / "registry.json"
        if not old.exists() or self._registry_path.exists():
            return
        rows = json.loads(old.read_text(encoding="utf-8"))["certificates"]
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        self._write(self._registry_path, lines.encode())
        old.unlink()

    def _record(self, cert: x509.Certificate, *, kind: str, issuer: str, user_id: str | None = None) -> None:
        self._append_record(
            CertificateRecord(
                serial=cert.serial_number,
                kind=kind,
                issuer=issuer,
                subject=cert.subject.rfc4514_string(),
                not_after=cert.not_valid_after_utc,
                user_id=user_id,
            )
        )

    # -- certificates and credentials ------------------------------------------------------

    def certificate(self, name: str) -> asn1_x509.Certificate:
        return to_asn1(self._certs[name])

    @property
    def root_certificate(self) -> asn1_x509.Certificate:
        return self.certificate(ROOT)

    @property
    def issuing_certificate(self) -> asn1_x509.Certificate:
        return self.certificate(ISSUING)

    @property
    def trust_roots(self) -> tuple[asn1_x509.Certificate, ...]:
        return (self.root_certificate,)

    @property
    def chain(self) -> tuple[asn1_x509.Certificate, ...]:
        """Issuing CA and root, as embedded in signatures."""
        return (self.issuing_certificate, self.root_certificate)

    def _credentials_for(self, name: str) -> SigningCredentials:
        with self._mutex:
            cred = self._credentials.get(name)
            if cred is None:
                cred = SigningCredentials(self.certificate(name), self._key(name), self.chain)
                self._credentials[name] = cred
            return cred

    def seal_credentials(self) -> SigningCredentials:
        """The agency seal's certificate and key (loaded once per process)."""
        return self._credentials_for(SEAL)

    def tsa_credentials(self) -> SigningCredentials:
        return self._credentials_for(TSA)

    def ocsp_credentials(self) -> SigningCredentials:
        return self._credentials_for(OCSP)

    def _personal_key(self) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
        if self.settings.personal_keys == "rsa":
            return rsa.generate_private_key(public_exponent=65537, key_size=self.settings.key_size)
        if self.settings.personal_keys == "ec-p256":
            return ec.generate_private_key(ec.SECP256R1())
        raise SealingError(f"unknown personal key type {self.settings.personal_keys!r} (ec-p256 or rsa)")

    def issue_user_certificate(
        self, user_id: str, name: str, id_number: str | None = None
    ) -> SigningCredentials:
        """A personal signing certificate for `user_id`; reused while valid and for the same name.

        The identity number goes into the subject masked (first and last four characters kept): the
        certificate travels inside every document the person signs.
        """
        base = self.folder / "users" / _slug(user_id)
        cert_path, key_path = base.with_suffix(".pem"), base.with_suffix(".key")
        subject_attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, self.settings.country),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
        if id_number:
            subject_attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, mask_id_number(id_number)))
        subject = x509.Name(subject_attrs)
        with self._locked():
            existing = self._load_user(cert_path, key_path)
            if existing is not None:
                cert, key = existing
                record = self.records().get(cert.serial_number)
                usable = (
                    cert.subject == subject
                    and cert.not_valid_after_utc - _now() > RENEW_BEFORE
                    and not (record and record.revoked_at)
                )
                if usable:
                    return SigningCredentials(to_asn1(cert), key, self.chain)
                if record and not record.revoked_at:
                    self._revoke_locked(cert.serial_number, "superseded")
            key = self._personal_key()
            cert = self._issue(subject, key, ISSUING, self._end_entity_extensions(), _VALIDITY["user"])
            self._write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
            self._write(key_path, encrypt_private_key(key, self._passphrase), private=True)
            self._record(cert, kind="user", issuer=ISSUING, user_id=user_id)
            return SigningCredentials(to_asn1(cert), key, self.chain)

    def issue_organisation_seal(
        self, organisation_id: str, name: str, uscc: str | None = None
    ) -> SigningCredentials:
        """An electronic seal certificate of another organisation (an employer), reused while valid.

        Subject O and CN are the organisation's name, OU 电子印章, serialNumber its unified social
        credit code; kept apart from the agency's own seal, which never signs for anyone else.
        """
        base = self.folder / "organisations" / _slug(organisation_id)
        base.parent.mkdir(exist_ok=True)
        cert_path, key_path = base.with_suffix(".pem"), base.with_suffix(".key")
        subject = _organisation_name(self.settings.country, name, uscc)
        with self._locked():
            existing = self._load_user(cert_path, key_path)
            if existing is not None:
                cert, key = existing
                record = self.records().get(cert.serial_number)
                if (
                    cert.subject == subject
                    and cert.not_valid_after_utc - _now() > RENEW_BEFORE
                    and not (record and record.revoked_at)
                ):
                    return SigningCredentials(to_asn1(cert), key, self.chain)
                if record and not record.revoked_at:
                    self._revoke_locked(cert.serial_number, "superseded")
            key = self._personal_key()
            cert = self._issue(subject, key, ISSUING, self._end_entity_extensions(), _VALIDITY[SEAL])
            self._write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
            self._write(key_path, encrypt_private_key(key, self._passphrase), private=True)
            self._record(cert, kind="organisation_seal", issuer=ISSUING, user_id=organisation_id)
            return SigningCredentials(to_asn1(cert), key, self.chain)

    def user_credentials(self, user_id: str) -> SigningCredentials | None:
        """The current certificate of `user_id`, or None if none was issued."""
        base = self.folder / "users" / _slug(user_id)
        loaded = self._load_user(base.with_suffix(".pem"), base.with_suffix(".key"))
        if loaded is None:
            return None
        return SigningCredentials(to_asn1(loaded[0]), loaded[1], self.chain)

    def _load_user(self, cert_path: Path, key_path: Path) -> tuple[x509.Certificate, PrivateKeyTypes] | None:
        if not (cert_path.exists() and key_path.exists()):
            return None
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = load_private_key(
            key_path.read_bytes(), self._passphrase, what=f"user certificate {cert_path.stem}"
        )
        return cert, key

    # -- revocation ------------------------------------------------------------------------

    def revoke(self, serial: int, reason: str = "key_compromise") -> None:
        """Revoke a certificate issued here (`reason` is an RFC 5280 reason, e.g. key_compromise)."""
        with self._locked():
            self._revoke_locked(serial, reason)

    def _revoke_locked(self, serial: int, reason: str) -> None:
        x509.ReasonFlags[reason]  # validates the name (key_compromise, superseded, ...)
        record = self.records().get(serial)
        if record is None:
            raise SealingError(f"certificate {serial:x} was not issued by this PKI")
        if record.revoked_at is None:
            self._append_record(
                dataclasses.replace(record, revoked_at=_now() - timedelta(seconds=1), reason=reason)
            )
            self._refresh_crl(record.issuer, force=True)

    def status(self, serial: int) -> CertificateRecord | None:
        """What the registry knows about a serial (None: not issued here)."""
        return self.records().get(serial)

    def _refresh_crl(self, ca: str, *, force: bool = False) -> bytes:
        path = self.folder / "crl" / f"{ca}.crl"
        if not force and path.exists():
            current = x509.load_der_x509_crl(path.read_bytes())
            next_update = current.next_update_utc
            if next_update is not None and next_update - _now() > CRL_REFRESH:
                return path.read_bytes()
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self._certs[ca].subject)
            .last_update(now - timedelta(seconds=1))
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
        )
        ski = self._certs[ca].extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        for record in self.records().values():
            if record.issuer == ca and record.revoked_at is not None:
                entry = (
                    x509.RevokedCertificateBuilder()
                    .serial_number(record.serial)
                    .revocation_date(record.revoked_at)
                    .add_extension(x509.CRLReason(x509.ReasonFlags[record.reason or "unspecified"]), False)
                    .build()
                )
                builder = builder.add_revoked_certificate(entry)
        crl = builder.sign(_issuer_key(self._key(ca)), hashes.SHA256())
        data = crl.public_bytes(serialization.Encoding.DER)
        self._write(path, data)
        return data

    def crl(self, ca: str = ISSUING) -> bytes:
        """The current CRL (DER) of `ca` (root-ca or issuing-ca), re-signed when it nears expiry."""
        if ca not in (ROOT, ISSUING):
            raise KeyError(ca)
        path = self.folder / "crl" / f"{ca}.crl"
        with self._mutex:
            mtime = path.stat().st_mtime_ns if path.exists() else -1
            cached = self._crl_cache.get(ca)
            if cached is None or cached[0] != mtime or cached[2] - _now() <= CRL_REFRESH:
                with self._locked():
                    data = self._refresh_crl(ca)
                next_update = x509.load_der_x509_crl(data).next_update_utc or _now()
                cached = (path.stat().st_mtime_ns, data, next_update)
                self._crl_cache[ca] = cached
            return cached[1]

    def is_revoked(self, serial: int, ca: str = ISSUING) -> bool:
        """Whether the current CRL of `ca` lists `serial` (the CRL is parsed once per change)."""
        data = self.crl(ca)
        with self._mutex:
            cached = self._revoked_cache.get(ca)
            if cached is None or cached[0] != data:
                cached = (data, frozenset(entry.serial_number for entry in x509.load_der_x509_crl(data)))
                self._revoked_cache[ca] = cached
        return serial in cached[1]

    def crls(self) -> list[bytes]:
        """Both CRLs: what a validator needs to check every certificate of this PKI."""
        return [self.crl(ISSUING), self.crl(ROOT)]

    def certificate_der(self, name: str) -> bytes:
        return self._certs[name].public_bytes(serialization.Encoding.DER)

    def certificate_pem(self, name: str) -> bytes:
        return self._certs[name].public_bytes(serialization.Encoding.PEM)


def trips_asn1crypto(der: bytes) -> bool:
    """True if a constructed DER element has a length header ending in byte 0x80 (length 128, 384, …).

    asn1crypto takes such a header for BER indefinite length and then re-encodes the whole
    structure from scratch on every `dump()` — a CA name of exactly 128 bytes made every pyHanko
    signature three times slower.  We issue certificates that avoid it.
    """
    stack = [der]
    while stack:
        data = stack.pop()
        i = 0
        while i + 1 < len(data):
            tag = data[i]
            j = i + 1
            if tag & 0x1F == 0x1F:  # high tag number form
                while j < len(data) and data[j] & 0x80:
                    j += 1
                j += 1
            if j >= len(data):
                return False
            first = data[j]
            if first & 0x80:
                n = first & 0x7F
                length = int.from_bytes(data[j + 1 : j + 1 + n], "big")
                end_of_header = j + 1 + n
            else:
                length, end_of_header = first, j + 1
            if tag & 0x20:
                if data[end_of_header - 1] == 0x80:
                    return True
                stack.append(data[end_of_header : end_of_header + length])
            i = end_of_header + length
    return False


def _organisation_name(country: str, name: str, uscc: str | None) -> x509.Name:
    """C, O, OU 电子印章, CN and the credit code; the unit varied to dodge asn1crypto's 0x80 trap."""
    for unit in ("电子印章", "电子印章 dev", "电子印章 development"):
        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
        if uscc:
            attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, uscc))
        subject = x509.Name(attrs)
        if not trips_asn1crypto(subject.public_bytes()):
            break
    return subject


def _key_usage(*, cert_sign: bool = False, signing: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,  # non-repudiation: pyHanko requires it of signers by default
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _issuer_key(key: PrivateKeyTypes) -> CertificateIssuerPrivateKeyTypes:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SealingError("dev PKI keys are RSA")
    return key
