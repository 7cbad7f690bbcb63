"""``lgsp dev`` waits for the mock by polling its port, never a fixed sleep, and says why it
gives up."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, cast

import pytest
import typer

from gateway.cli import _wait_until_listening


@dataclass
class _Process:
    alive: bool
    exitcode: int | None = None
    terminated: bool = False

    def is_alive(self) -> bool:
        return self.alive

    def terminate(self) -> None:
        self.terminated = True


def test_returns_as_soon_as_the_mock_listens() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        _wait_until_listening(cast(Any, _Process(alive=True)), "127.0.0.1", port)


def test_a_mock_that_died_ends_dev_with_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as raised:
        _wait_until_listening(cast(Any, _Process(alive=False, exitcode=3)), "127.0.0.1", 9)
    assert raised.value.exit_code == 1
    assert "mock national side exited (3)" in capsys.readouterr().err


def test_a_port_nobody_opens_is_given_up_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("gateway.cli._MOCK_START_S", 0.2)
    with socket.socket() as unused:  # a port just freed: nothing listens there
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    process = _Process(alive=True)
    with pytest.raises(typer.Exit):
        _wait_until_listening(cast(Any, process), "127.0.0.1", port)
    assert process.terminated
    assert "--mock-port" in capsys.readouterr().err
