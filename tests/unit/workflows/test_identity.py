"""Users and authentication: Argon2 passwords, staff TOTP, access tokens, API keys, resident ids."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pyotp
import pytest
from argon2 import PasswordHasher, profiles
from cryptography.fernet import InvalidToken
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from workflows import identity
from workflows.audit import SYSTEM, Actor
from workflows.db import Database
from workflows.errors import AuthenticationError, NotFoundError, ValidationError
from workflows.identity import (
    ACCESS_TOKEN_SALT,
    BAD_CREDENTIALS,
    actor_for_api_key,
    api_key_info,
    authenticate,
    create_api_key,
    create_user,
    decrypt_totp_secret,
    hash_password,
    is_valid_resident_id,
    issue_access_token,
    read_access_token,
    reset_totp,
    revoke_api_key,
    set_active,
    set_password,
    totp_provisioning_uri,
    verify_password,
)
from workflows.models import ApiToken, AuditEvent, Organisation, User
from workflows.roles import ALL_ROLES, PARTY_ROLES, STAFF_ROLES, requires_totp, role_label

SECRET = "unit-test-secret-key"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Argon2 at its cheapest keeps the tests fast; one test checks the default parameters."""
    previous = identity.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    identity.set_password_hasher(previous)


def _org(db: Database, name: str = "某市劳动人事争议仲裁委员会") -> int:
    with db.transaction() as s:
        org = Organisation(kind="commission", name=name)
        s.add(org)
        s.flush()
        return org.id


def _clerk(db: Database, org_id: int, username: str = "clerk1") -> tuple[int, str]:
    with db.transaction() as s:
        user, secret = create_user(
            s,
            username=username,
            display_name="王书记员",
            password=PASSWORD,
            roles={"clerk"},
            organisation_id=org_id,
            actor=SYSTEM,
            secret_key=SECRET,
        )
        assert secret is not None
        return user.id, secret


def _worker(
    db: Database, username: str = "worker1", resident_id: str | None = None, phone: str | None = None
) -> int:
    with db.transaction() as s:
        user, secret = create_user(
            s,
            username=username,
            display_name="张三",
            password=PASSWORD,
            roles={"worker"},
            actor=SYSTEM,
            secret_key=SECRET,
            resident_id=resident_id,
            phone=phone,
        )
        assert secret is None
        return user.id


def _login(db: Database, username: str, password: str = PASSWORD, code: str | None = None) -> Actor:
    with db.transaction() as s:
        return authenticate(s, username, password, code, SECRET)


# -- roles ------------------------------------------------------------------


def test_staff_roles_are_all_but_parties_and_court_client_and_need_totp() -> None:
    assert ALL_ROLES - {"worker", "employer_agent", "court_client"} == STAFF_ROLES
    assert {"worker", "employer_agent"} == PARTY_ROLES
    assert requires_totp({"clerk"}) and requires_totp({"worker", "admin"})
    assert not requires_totp({"worker"}) and not requires_totp({"court_client"})
    assert role_label("arbitrator") == "仲裁员"
    assert len(ALL_ROLES) == 12


# -- passwords ------------------------------------------------------------------


def test_password_is_stored_as_argon2id_hash_not_plaintext(db: Database) -> None:
    user_id = _worker(db)
    with db.transaction() as s:
        stored = s.get(User, user_id).password_hash  # type: ignore[union-attr]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")


def test_verify_password_rejects_malformed_hash() -> None:
    assert not verify_password("not-a-hash", PASSWORD)


def test_same_password_hashes_differently_each_time() -> None:
    assert hash_password(PASSWORD) != hash_password(PASSWORD)


def test_password_rehashed_at_login_when_parameters_change(db: Database) -> None:
    user_id = _worker(db)
    with db.transaction() as s:
        old = s.get(User, user_id).password_hash  # type: ignore[union-attr]
    identity.set_password_hasher(PasswordHasher())  # production defaults
    _login(db, "worker1")
    with db.transaction() as s:
        new = s.get(User, user_id).password_hash  # type: ignore[union-attr]
    assert new != old
    assert PasswordHasher().check_needs_rehash(new) is False
    assert verify_password(new, PASSWORD)


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1!", "至少需要 10 个字符"),
        ("1234567890123", "不能全部为数字"),
        ("          ", "空白"),
        ("a" * 300, "不能超过"),
    ],
)
def test_password_policy_rejects_weak_passwords(db: Database, password: str, message: str) -> None:
    with db.transaction() as s, pytest.raises(ValidationError) as err:
        create_user(
            s,
            username="weak",
            display_name="弱",
            password=password,
            roles={"worker"},
            actor=SYSTEM,
            secret_key=SECRET,
        )
    pointers = [p.pointer for p in err.value.problems]
    assert pointers == ["/password"]
    assert message in err.value.problems[0].message


def test_set_password_enforces_policy_and_replaces_hash(db: Database) -> None:
    user_id = _worker(db)
    with db.transaction() as s, pytest.raises(ValidationError):
        set_password(s, user_id, "12345678901", actor=SYSTEM)
    with db.transaction() as s:
        set_password(s, user_id, "another good one", actor=SYSTEM)
    with pytest.raises(AuthenticationError):
        _login(db, "worker1")
    assert _login(db, "worker1", "another good one").user_id == user_id


# -- create_user validation --------------------------------------------------


def test_duplicate_username_is_refused_case_insensitively(db: Database) -> None:
    _worker(db, "worker1")
    with db.transaction() as s, pytest.raises(ValidationError) as err:
        create_user(
            s,
            username="Worker1",
            display_name="李四",
            password=PASSWORD,
            roles={"worker"},
            actor=SYSTEM,
            secret_key=SECRET,
        )
    assert [(p.pointer, p.message) for p in err.value.problems] == [("/username", "用户名已被使用")]


def test_create_user_reports_every_bad_field_at_once(db: Database) -> None:
    with db.transaction() as s, pytest.raises(ValidationError) as err:
        create_user(
            s,
            username="x",
            display_name=" ",
            password="123",
            roles={"clerk", "wizard"},
            organisation_id=None,
            actor=SYSTEM,
            secret_key=SECRET,
            resident_id="110105194912310021",
            phone="call me",
        )
    pointers = sorted({p.pointer for p in err.value.problems})
    assert pointers == [
        "/display_name",
        "/organisation_id",
        "/password",
        "/phone",
        "/resident_id",
        "/roles",
        "/username",
    ]
    assert any("wizard" in p.message for p in err.value.problems if p.pointer == "/roles")


def test_staff_needs_an_existing_organisation(db: Database) -> None:
    with db.transaction() as s, pytest.raises(ValidationError) as err:
        create_user(
            s,
            username="clerk1",
            display_name="书记员",
            password=PASSWORD,
            roles={"clerk"},
            organisation_id=999_999,
            actor=SYSTEM,
            secret_key=SECRET,
        )
    assert [p.pointer for p in err.value.problems] == ["/organisation_id"]


def test_resident_id_is_normalised_and_stored(db: Database) -> None:
    user_id = _worker(db, resident_id="11010519491231002x", phone="13800138000")
    with db.transaction() as s:
        user = s.get(User, user_id)
        assert user is not None
        assert user.resident_id == "11010519491231002X"
        assert user.phone == "13800138000"


def test_create_user_records_audit_event_without_password_or_secret(db: Database) -> None:
    org_id = _org(db)
    user_id, secret = _clerk(db, org_id)
    with db.transaction() as s:
        user = s.get(User, user_id)
        assert user is not None
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "user.created")).scalars().all()
        assert len(events) == 1
        ev = events[0]
        assert ev.chain == "global" and ev.entity == f"user:{user_id}"
        assert ev.after is not None
        assert ev.after["roles"] == ["clerk"] and ev.after["totp_enrolled"] is True
        dumped = json.dumps([ev.before, ev.after], ensure_ascii=False)
        for leaked in (PASSWORD, secret, user.password_hash, user.totp_secret_enc):
            assert leaked is not None and leaked not in dumped


# -- authentication -------------------------------------------------------------


def test_worker_logs_in_with_password_only(db: Database) -> None:
    user_id = _worker(db)
    actor = _login(db, "  WORKER1 ")
    assert actor == Actor(user_id, "张三", frozenset({"worker"}), None)


def test_wrong_password_is_refused_with_uniform_message(db: Database) -> None:
    _worker(db)
    with pytest.raises(AuthenticationError) as err:
        _login(db, "worker1", "wrong password!")
    assert err.value.message == BAD_CREDENTIALS == "用户名或密码错误"


def test_unknown_user_gets_the_same_message_as_a_wrong_password(db: Database) -> None:
    with pytest.raises(AuthenticationError) as err:
        _login(db, "nobody", PASSWORD)
    assert err.value.message == BAD_CREDENTIALS


def test_unknown_user_costs_a_password_verification(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """No timing oracle: an unknown name still runs Argon2 once."""
    calls: list[str] = []
    real = identity.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(identity, "verify_password", counting)
    with pytest.raises(AuthenticationError):
        _login(db, "nobody", PASSWORD)
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_inactive_user_is_refused(db: Database) -> None:
    user_id = _worker(db)
    with db.transaction() as s:
        set_active(s, user_id, False, actor=SYSTEM)
    with pytest.raises(AuthenticationError) as err:
        _login(db, "worker1")
    assert err.value.message == "账户已停用"
    with db.transaction() as s:
        set_active(s, user_id, True, actor=SYSTEM)
    assert _login(db, "worker1").user_id == user_id


def test_staff_without_one_time_code_is_refused(db: Database) -> None:
    _clerk(db, _org(db))
    for code in (None, "", "  "):
        with pytest.raises(AuthenticationError) as err:
            _login(db, "clerk1", PASSWORD, code)
        assert "动态口令" in err.value.message


def test_staff_with_wrong_one_time_code_is_refused(db: Database) -> None:
    _, secret = _clerk(db, _org(db))
    good = pyotp.TOTP(secret).now()
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    for code in (wrong, "abcdef", "12345"):
        with pytest.raises(AuthenticationError) as err:
            _login(db, "clerk1", PASSWORD, code)
        assert err.value.message == identity.TOTP_INVALID


def test_staff_with_valid_one_time_code_is_accepted(db: Database) -> None:
    org_id = _org(db)
    user_id, secret = _clerk(db, org_id)
    actor = _login(db, "clerk1", PASSWORD, pyotp.TOTP(secret).now())
    assert actor == Actor(user_id, "王书记员", frozenset({"clerk"}), org_id)


def test_wrong_password_is_reported_before_the_code_is_asked_for(db: Database) -> None:
    _, secret = _clerk(db, _org(db))
    with pytest.raises(AuthenticationError) as err:
        _login(db, "clerk1", "wrong password!", pyotp.TOTP(secret).now())
    assert err.value.message == BAD_CREDENTIALS


def test_staff_login_without_code_when_totp_is_switched_off(db: Database) -> None:
    _clerk(db, _org(db))
    with db.transaction() as s:
        actor = authenticate(s, "clerk1", PASSWORD, None, SECRET, require_totp_for_staff=False)
    assert actor.roles == {"clerk"}


def test_totp_secret_is_encrypted_at_rest(db: Database) -> None:
    user_id, secret = _clerk(db, _org(db))
    with db.transaction() as s:
        stored = s.get(User, user_id).totp_secret_enc  # type: ignore[union-attr]
    assert stored is not None
    assert stored != secret and secret not in stored
    assert decrypt_totp_secret(stored, SECRET) == secret
    with pytest.raises(InvalidToken):
        decrypt_totp_secret(stored, "another-secret-key")


def test_login_with_another_secret_key_cannot_read_the_totp_secret(db: Database) -> None:
    _, secret = _clerk(db, _org(db))
    with db.transaction() as s, pytest.raises(AuthenticationError) as err:
        authenticate(s, "clerk1", PASSWORD, pyotp.TOTP(secret).now(), "rotated-secret-key")
    assert err.value.message == identity.TOTP_UNREADABLE


def test_reset_totp_replaces_the_secret(db: Database) -> None:
    user_id, old = _clerk(db, _org(db))
    with db.transaction() as s:
        new = reset_totp(s, user_id, actor=SYSTEM, secret_key=SECRET)
    assert new != old
    assert _login(db, "clerk1", PASSWORD, pyotp.TOTP(new).now()).user_id == user_id


def test_provisioning_uri_names_user_and_issuer() -> None:
    secret = pyotp.random_base32()
    uri = totp_provisioning_uri(secret, "clerk1")
    assert uri.startswith("otpauth://totp/Laborcase:clerk1?")
    assert f"secret={secret}" in uri and "issuer=Laborcase" in uri


# -- access tokens -------------------------------------------------------------

ALICE = Actor(7, "王书记员", frozenset({"clerk", "supervisor"}), 3)


def test_access_token_round_trip() -> None:
    token = issue_access_token(ALICE, SECRET, 600)
    assert read_access_token(token, SECRET, max_age=600) == ALICE


def test_expired_access_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    past = int(time.time()) - 3600
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: past)
        token = issue_access_token(ALICE, SECRET, 600)
    with pytest.raises(AuthenticationError) as err:
        read_access_token(token, SECRET, max_age=600)
    assert err.value.message == identity.TOKEN_EXPIRED


def test_token_is_not_accepted_beyond_its_own_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader with a generous max_age still honours the shorter TTL the token was issued with."""
    past = int(time.time()) - 120
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: past)
        token = issue_access_token(ALICE, SECRET, 60)
    with pytest.raises(AuthenticationError):
        read_access_token(token, SECRET, max_age=3600)


def test_tampered_access_token_is_refused() -> None:
    token = issue_access_token(ALICE, SECRET, 600)
    payload, rest = token.split(".", 1)
    forged = URLSafeTimedSerializer("guess", salt=ACCESS_TOKEN_SALT).dumps(
        {"u": 1, "n": "admin", "r": ["admin"], "o": 3, "t": 600}
    )
    for bad in (
        payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + rest,
        # a middle character of the signature: the last base64 character may carry only padding bits
        token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:],
        forged,
        "not a token",
    ):
        with pytest.raises(AuthenticationError) as err:
            read_access_token(bad, SECRET, max_age=600)
        assert err.value.message == identity.TOKEN_INVALID


def test_token_signed_for_another_purpose_is_refused() -> None:
    other = URLSafeTimedSerializer(SECRET, salt="password-reset").dumps(
        {"u": 7, "n": "x", "r": ["admin"], "o": 3, "t": 600}
    )
    with pytest.raises(AuthenticationError):
        read_access_token(other, SECRET, max_age=600)


def test_well_signed_token_with_malformed_payload_is_refused() -> None:
    bad = URLSafeTimedSerializer(SECRET, salt=ACCESS_TOKEN_SALT).dumps({"u": None, "n": "system", "r": []})
    with pytest.raises(AuthenticationError):
        read_access_token(bad, SECRET, max_age=600)


def test_no_access_token_for_the_system_actor() -> None:
    with pytest.raises(ValueError):
        issue_access_token(SYSTEM, SECRET, 600)
    with pytest.raises(ValueError):
        issue_access_token(ALICE, SECRET, 0)


# -- API keys ------------------------------------------------------------------


def _court_client(db: Database) -> int:
    org_id = _org(db, "某市中级人民法院")
    with db.transaction() as s:
        user, secret = create_user(
            s,
            username="court-client",
            display_name="法院对接系统",
            password=PASSWORD,
            roles={"court_client"},
            organisation_id=org_id,
            actor=SYSTEM,
            secret_key=SECRET,
        )
        assert secret is None
        return user.id


def test_api_key_resolves_to_its_user_and_only_its_hash_is_stored(db: Database) -> None:
    user_id = _court_client(db)
    with db.transaction() as s:
        key = create_api_key(s, user_id, "法院交换", ["court_exchange", "cases:read"])
    with db.transaction() as s:
        row = s.execute(select(ApiToken)).scalar_one()
        assert key not in row.token_hash and row.token_hash != key and len(row.token_hash) == 64
        info = api_key_info(s, key)
        assert info.scopes == ("cases:read", "court_exchange")
        assert actor_for_api_key(s, key) == Actor(
            user_id, "法院对接系统", frozenset({"court_client"}), info.actor.organisation_id
        )


def test_revoked_api_key_is_refused(db: Database) -> None:
    user_id = _court_client(db)
    with db.transaction() as s:
        key = create_api_key(s, user_id, "法院交换", [])
        key_id = s.execute(select(ApiToken.id)).scalar_one()
    with db.transaction() as s:
        revoke_api_key(s, key_id, actor=SYSTEM)
    with db.transaction() as s, pytest.raises(AuthenticationError):
        actor_for_api_key(s, key)


def test_unknown_or_malformed_api_key_is_refused(db: Database) -> None:
    user_id = _court_client(db)
    with db.transaction() as s:
        key = create_api_key(s, user_id, "法院交换", [])
    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), "lck_", "", key.removeprefix("lck_")):
        with db.transaction() as s, pytest.raises(AuthenticationError):
            actor_for_api_key(s, bad)


def test_api_key_of_deactivated_user_is_refused(db: Database) -> None:
    user_id = _court_client(db)
    with db.transaction() as s:
        key = create_api_key(s, user_id, "法院交换", [])
        set_active(s, user_id, False, actor=SYSTEM)
    with db.transaction() as s, pytest.raises(AuthenticationError):
        actor_for_api_key(s, key)


def test_api_key_needs_an_existing_user_and_a_label(db: Database) -> None:
    with db.transaction() as s, pytest.raises(NotFoundError):
        create_api_key(s, 424242, "x", [])
    user_id = _court_client(db)
    with db.transaction() as s, pytest.raises(ValidationError) as err:
        create_api_key(s, user_id, "  ", ["ok", ""])
    assert sorted(p.pointer for p in err.value.problems) == ["/label", "/scopes"]


# -- resident identity numbers (GB 11643-1999) -------------------------------------


@pytest.mark.parametrize("value", ["11010519491231002X", "11010519491231002x", "440524188001010014"])
def test_resident_id_with_correct_check_digit_is_valid(value: str) -> None:
    assert is_valid_resident_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "11010519491331002X",  # month 13
        "1101051949123100AX",  # letter in the body
        "110105300001010000",  # born in the future
        "",
    ],
)
def test_resident_id_with_bad_check_digit_length_or_date_is_invalid(value: str) -> None:
    assert not is_valid_resident_id(value)
