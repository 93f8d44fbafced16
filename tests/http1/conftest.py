"""Fixtures for the agentci.http1 tests: raw servers on 127.0.0.1, a throwaway CA."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.servers.raw_http import Peer, RawServer


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def make(handler: Callable[[Peer], None], **options: Any) -> RawServer:
        servers.append(RawServer(handler, **options))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(ca, tmp_path, monkeypatch) -> Path:
    """SSL_CERT_FILE names the test CA, as a runner with a private CA bundle would."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return path
