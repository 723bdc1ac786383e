"""What the benchmarks read about a process from Linux's /proc: its memory and its CPU time."""

from __future__ import annotations

import os
from pathlib import Path


def status_mb(pid: int, field: str) -> float:
    """A /proc/<pid>/status size field (VmRSS, VmHWM) in MB; NaN when the field is missing."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU-seconds the process has used so far."""
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
