"""Where the local run keeps what outlives it, under one git-ignored folder (`.local/`, or $LOCAL_STATE_DIR):
the saved state of the emulated AWS (state.json), the running server's address (run.json), the JSON log lines
AWS would get (logs/), and the lock that keeps two runs from writing one state.

Standard library only: `python3 -m local.sign` and `python3 -m local.reset` read it with any Python 3.11."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR_ENV = "LOCAL_STATE_DIR"


class FolderInUse(Exception):
    """Another local run holds this folder's lock."""


@dataclass(frozen=True)
class LocalFolder:
    path: Path

    @classmethod
    def from_environment(cls) -> LocalFolder:
        configured = os.environ.get(STATE_DIR_ENV, "").strip()
        return cls(Path(configured).expanduser().resolve() if configured else ROOT / ".local")

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    @property
    def run_file(self) -> Path:
        return self.path / "run.json"

    @property
    def log_file(self) -> Path:
        return self.path / "logs" / "switchboard.log"

    @property
    def lock_file(self) -> Path:
        return self.path / "run.lock"

    def shown(self, path: Path | None = None) -> str:
        """A path as a person would type it: relative to the working directory when inside it."""
        target = path or self.path
        with contextlib.suppress(ValueError):
            return str(target.relative_to(Path.cwd())) + ("/" if target.is_dir() else "")
        return str(target)

    def saved_state(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none yet; ValueError when the file cannot be read as one."""
        try:
            text = self.state_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        state = json.loads(text)
        if not isinstance(state, dict):
            raise ValueError("it does not hold a JSON object")
        return state

    def running(self) -> dict[str, Any] | None:
        """What the running server wrote about itself (base_url, port, pid), or None when no run is alive."""
        try:
            run = json.loads(self.run_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(run, dict) or not _alive(run.get("pid")):
            return None
        return run

    def lock(self) -> IO[str]:
        """Hold the folder for this run (released when the process ends); FolderInUse when another run holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = self.lock_file.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise FolderInUse(str(self.path)) from None
        return handle

    def clear(self) -> None:
        """Everything the runs kept: saved state, address, logs (the lock file stays, unlocked)."""
        for entry in self.path.iterdir() if self.path.is_dir() else ():
            if entry == self.lock_file:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` whole or not at all (a crash mid-write leaves the previous file); readable by the owner only,
    since the state holds the run's secrets and tokens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
