"""LOCAL_SAVE_SECONDS is checked before anything starts: a positive number of seconds, or one sentence that says
what to give (not a state keeper saving non-stop, nor a traceback once the emulator is up)."""

from __future__ import annotations

import pytest

from local.run import SAVE_SECONDS_ENV, CannotStart, _save_seconds
from local.state import SAVE_SECONDS


def test_unset_or_empty_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SAVE_SECONDS_ENV, raising=False)
    assert _save_seconds() == SAVE_SECONDS
    monkeypatch.setenv(SAVE_SECONDS_ENV, " ")
    assert _save_seconds() == SAVE_SECONDS


def test_a_positive_number_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAVE_SECONDS_ENV, "2.5")
    assert _save_seconds() == 2.5


@pytest.mark.parametrize("text", ["0", "-1", "five", "nan", "inf", "1e999"])
def test_anything_else_is_refused_in_one_sentence(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(SAVE_SECONDS_ENV, text)
    with pytest.raises(CannotStart) as refused:
        _save_seconds()
    message = str(refused.value)
    assert f"{SAVE_SECONDS_ENV}={text} is not a number of seconds" in message
    assert "positive number" in message and "\n" not in message
