"""Ingest benchmark: generated article folders of 20k and 100k files into a fresh SQLite database
(or PostgreSQL with --postgres), against a bare loop that only reads and YAML-parses the same
files with PyYAML's C loader.

    .venv/bin/python -m bench.ingest                  # 20k and 100k files, SQLite
    .venv/bin/python -m bench.ingest --files 5000     # one size
    .venv/bin/python -m bench.ingest --postgres postgresql://postgres@127.0.0.1:5432/postgres

Reports ratios measured in this run (the machines are shared and noisy): ingest wall time / bare
loop time (goal <= 1.5), the ingest process's peak RSS (it runs in a subprocess, so the RSS is its
own), and the rescan of the unchanged folder (goal <= 1 s, no file parsed)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from bench.articles_gen import write_articles


def list_files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*.md"))


def bare_loop(paths: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds to read and parse every file's front matter with the C loader,
    nothing else."""
    start, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with open(path, "rb") as handle:  # noqa: PTH123 - the plainest read there is
            text = handle.read().decode("utf-8")
        with contextlib.suppress(yaml.YAMLError):
            # "---\n<front matter>" up to the closing line is one YAML document.
            yaml.load(text.partition("\n---\n")[0], Loader=yaml.CSafeLoader)
    return time.perf_counter() - start, time.process_time() - cpu


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _child(url: str, folder: Path) -> dict[str, float]:
    from jobs.ingest.files import ingest_files
    from storage.database import create_engine, create_sessionmaker, upgrade_to_head
    from storage.unit_of_work import UnitOfWork

    upgrade_to_head(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    parsed = {"total": 0}

    def progress(done: int, total: int) -> None:
        parsed["total"] = max(parsed["total"], total)

    try:
        start, cpu = time.perf_counter(), cpu_seconds()
        first = await ingest_files(lambda: UnitOfWork(sessions), [folder], progress=progress)
        ingest_s = time.perf_counter() - start
        ingest_cpu = cpu_seconds() - cpu
        ingest_rss = peak_rss_mb()
        parsed_first = parsed["total"]
        parsed["total"] = 0
        start = time.perf_counter()
        again = await ingest_files(lambda: UnitOfWork(sessions), [folder], progress=progress)
        rescan_s = time.perf_counter() - start
    finally:
        await engine.dispose()
    return {
        "ingest_s": ingest_s,
        "ingest_cpu_s": ingest_cpu,
        "ingest_rss_mb": ingest_rss,
        "new": first.new,
        "skipped": len(first.skipped),
        "parsed_first": parsed_first,
        "rescan_s": rescan_s,
        "rescan_parsed": parsed["total"],
        "rescan_unchanged": again.unchanged,
        "rescan_new_or_updated": again.new + again.updated,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(url: str, folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--child", url, str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _postgres_db(admin: str) -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"feedbot_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_db(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(count: int, postgres: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="feedbot-bench-") as tmp:
        folder = Path(tmp) / "articles"
        write_articles(folder, count)
        paths = list_files(folder)
        bare_loop(paths)  # warm the page cache: both sides then read from memory
        wall_before, cpu_before = bare_loop(paths)
        if postgres:
            url, name = _postgres_db(postgres)
        else:
            url, name = f"sqlite:///{Path(tmp) / 'bench.db'}", ""
        try:
            child = run_child(url, folder)
        finally:
            if name and postgres:
                _drop_postgres_db(postgres, name)
        wall_after, cpu_after = bare_loop(paths)
    # Before and after the ingest: load from other processes on a shared machine shifts both.
    bare = (wall_before + wall_after) / 2
    bare_cpu = (cpu_before + cpu_after) / 2
    return {
        "files": count,
        "bare_s": bare,
        "ratio": child["ingest_s"] / bare,
        "cpu_ratio": child["ingest_cpu_s"] / bare_cpu,
        **child,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, action="append", help="default: 20000 and 100000")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="ingest into PostgreSQL instead")
    parser.add_argument("--child", nargs=2, metavar=("DB_URL", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child[0], Path(args.child[1])))))
        return
    sizes = args.files or [20_000, 100_000]
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"ingest benchmark ({backend}, {os.cpu_count()} CPUs)")
    header = (
        f"{'files':>8} {'bare s':>7} {'ingest s':>9} {'ratio':>6} {'CPU ratio':>9} "
        f"{'peak RSS MB':>12} "
        f"{'rescan s':>9} {'rescan parsed':>14}"
    )
    print(header)
    for count in sizes:
        r = measure(count, args.postgres)
        print(
            f"{count:>8} {r['bare_s']:>7.2f} {r['ingest_s']:>9.2f} {r['ratio']:>6.2f} "
            f"{r['cpu_ratio']:>9.2f} "
            f"{r['ingest_rss_mb']:>12.0f} "
            f"{r['rescan_s']:>9.2f} {r['rescan_parsed']:>14.0f}",
            flush=True,
        )
        assert r["rescan_parsed"] == 0 and r["rescan_new_or_updated"] == 0, r
        assert r["new"] + r["skipped"] == count, r
    print("ratio: ingest wall time / bare read+C-loader loop over the same files (goal <= 1.5)")
    print("CPU ratio: the same with CPU seconds, steadier when other processes share the CPUs")
    print("peak RSS: the ingest subprocess (its own: a fresh process per size)")
    print("rescan: a second pass over the unchanged folder, and how many files it parsed")


if __name__ == "__main__":
    main()
