"""Unit tests run with sockets off: nothing here may reach a network (moto in-process and the fake
ThunderPhone's in-process transport need none)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    disable_socket()
    yield
    enable_socket()
