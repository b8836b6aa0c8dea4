"""Issue 13: progress bars on a terminal only; nothing when piped, in CI or with -q."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from tests.conftest import MINI

KG = [sys.executable, "-m", "kg"]


def _on_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run kg with stderr on a pseudo-terminal (stdout piped); what the terminal showed."""
    master, slave = pty.openpty()
    process = subprocess.Popen([*KG, *args], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=60)
    os.close(master)
    assert process.returncode == 0, shown.decode(errors="replace")
    return shown.decode("utf-8", errors="replace")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return {**env, **extra}


def test_build_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    shown = _on_terminal(["--store", str(tmp_path / "s"), "-v", "build", "--only", str(MINI)], _env())
    assert "Loading" in shown and "Validating" in shown
    assert "check/s" in shown or "checks/s" in shown or "s/check" in shown, shown  # a rate


def test_no_progress_when_quiet_or_in_ci(tmp_path: Path) -> None:
    quiet = _on_terminal(["--store", str(tmp_path / "a"), "-q", "build", "--only", str(MINI)], _env())
    ci = _on_terminal(["--store", str(tmp_path / "b"), "build", "--only", str(MINI)], _env(CI="true"))
    for shown in (quiet, ci):
        assert "Loading" not in shown and "Validating" not in shown and "\r" not in shown


def test_no_progress_when_piped(tmp_path: Path) -> None:
    done = subprocess.run(
        [*KG, "--store", str(tmp_path / "s"), "build", "--only", str(MINI)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Loading" not in done.stderr and "Validating" not in done.stderr and "\r" not in done.stderr
    assert done.stdout.startswith("Built ")


def test_add_shows_progress_on_a_terminal_and_not_when_piped(tmp_path: Path) -> None:
    sheet = Path(__file__).resolve().parents[2] / "examples" / "factsheet" / "facts.yaml"
    shown = _on_terminal(["--store", str(tmp_path / "t"), "-v", "add", str(sheet)], _env())
    assert "Reading entries" in shown and ("entry/s" in shown or "s/entry" in shown), shown
    piped = subprocess.run(
        [*KG, "--store", str(tmp_path / "p"), "add", str(sheet)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert "Reading entries" not in piped.stderr and "\r" not in piped.stderr
