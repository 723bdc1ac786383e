"""Every benchmark, one after the other, each in its own process (so one's memory and imports do
not colour the next's):

    .venv/bin/python -m bench                          # all: about 16 minutes on 2 cores
    .venv/bin/python -m bench ingest scheduled_run     # some of them
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "fanout",
    "engine_cpu",
    "transport",
    "ingest",
    "scheduled_run",
    "bot_rss",
    "corpus_quality",
    "latency",
    "workers",
    "flood",
)


def main() -> int:
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in names:
        print(f"\n== bench.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
