"""`make reset` (`python3 -m local.reset`): forget everything the local runs kept (.local/: tables, secrets,
queues, webhook URLs, call history, logs), so the next `make run` starts clean with a new demo. Refused while a
run is using the folder. Standard library only."""

from __future__ import annotations

import sys

from local.folder import FolderInUse, LocalFolder


def main() -> int:
    folder = LocalFolder.from_environment()
    if not folder.path.exists():
        print(f"Nothing to reset: {folder.shown()} does not exist; the next `make run` starts clean.")
        return 0
    try:
        lock = folder.lock()
    except FolderInUse:
        running = folder.running() or {}
        where = f" at {running['base_url']}" if running.get("base_url") else ""
        print(
            f"A local run{where} is using {folder.shown()}: stop it (Ctrl-C in its terminal), then `make reset` again.",
            file=sys.stderr,
        )
        return 1
    with lock:
        folder.clear()
    print(f"Reset: {folder.shown()} is empty; the next `make run` starts clean with new webhook URLs and demo history.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
