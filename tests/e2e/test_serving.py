"""`repairlens app` serves the workbench and takes its server down with it when stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import _free_port, _wait_until_healthy


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in {"Z", "X"}


def test_stopping_repairlens_app_stops_the_streamlit_server_it_started(data_dir):
    port = _free_port()
    env = {**os.environ, "REPAIRLENS_DATA_DIR": str(data_dir)}
    script = Path(sys.executable).parent / "repairlens"
    process = subprocess.Popen(
        [str(script), "app", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_healthy(f"http://127.0.0.1:{port}", process)
        [server] = _children(process.pid)
        process.terminate()
        process.wait(timeout=20)
        assert not _alive(server)
    finally:
        if process.poll() is None:
            process.kill()
