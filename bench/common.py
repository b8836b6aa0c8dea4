"""Small helpers shared by the benchmark scripts: medians, timing, the machine, seconds as text."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def machine(packages: Sequence[str]) -> dict[str, Any]:
    """Date, CPU, memory, Python and the versions of `packages`, for a results header."""
    cpu, memory_text = "unknown CPU", "unknown memory"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        memory_text = f"{int(memory) / 2**20:.0f} GiB"
    except OSError:
        pass
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {memory_text}",
        "python": platform.python_version(),
        "versions": {name: version(name) for name in packages},
    }


def seconds(value: float | None, cap: float | None = None) -> str:
    """ "1.23 s", "12.3 s", or "> CAP s" for a run stopped at its cap (None without a cap: "–")."""
    if value is None:
        return f"> {cap:.0f} s" if cap else "–"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
