"""The real signing side for tests: a dev PKI and our RFC 3161 TSA on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from documents import ensure_fonts
from signing.config import Signing, SigningConfig, open_signing
from tests.support import SECRET

#: the organisation of tests.support.make_people: its seal may seal that commission's documents
ORGANISATION = "某市劳动人事争议仲裁委员会"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signing]:
    ensure_fonts()
    side = open_signing(
        SigningConfig(
            instance_dir=tmp_path_factory.mktemp("instance"),
            secret=SECRET,
            organisation=ORGANISATION,
            pki_port=free_port(),
        )
    )
    yield side
    side.close()
