"""Run every benchmark in its own process and print their RESULT lines.

Usage: ``python -m bench [name ...]``. Each module ``bench/<name>.py`` (not starting with ``_``) runs
as ``python -m bench.<name>``, so one benchmark's database, caches and imports never warm up the
next. The exit status is non-zero when any benchmark fails or prints no RESULT line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmark_names() -> list[str]:
    return sorted(path.stem for path in HERE.glob("*.py") if not path.stem.startswith("_"))


def run(name: str) -> tuple[int, str | None]:
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{name}"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    result = lines[-1] if lines and lines[-1].startswith("RESULT ") else None
    if completed.returncode != 0 or result is None:
        sys.stderr.write(f"bench.{name} failed (exit {completed.returncode})\n{completed.stdout}{completed.stderr}\n")
    return completed.returncode, result


def main(argv: list[str]) -> int:
    known = benchmark_names()
    wanted = argv or known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        sys.stderr.write(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}\n")
        return 2
    failed = 0
    for name in wanted:
        status, result = run(name)
        if result:
            print(result, flush=True)
        if status != 0 or result is None:
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
