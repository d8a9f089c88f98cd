"""`make test`: lint, then the suite on SQLite and on every database in
TEST_DATABASE_URLS (space-separated server URLs; each pass creates and drops databases of its
own), against TEST_REDIS_URL when set, else an embedded Redis.

Browser, translation and lint checks run once, on the SQLite pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def _run(title: str, cmd: list[str], env: dict[str, str] | None = None) -> tuple[bool, float]:
    print(f"\n=== {title} ===", flush=True)
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    elapsed = time.monotonic() - started
    print(f"--- {title}: {'ok' if result.returncode == 0 else 'FAILED'} in {elapsed:.1f} s", flush=True)
    return result.returncode == 0, elapsed


def _label(url: str) -> str:
    scheme = url.split(":", 1)[0]
    return {"postgresql+psycopg": "PostgreSQL", "mysql+pymysql": "MariaDB"}.get(scheme, scheme)


def main() -> int:
    run_id = os.environ.get("ERP_TEST_RUN_ID") or f"{os.getpid()}"
    base_env = dict(os.environ, ERP_ENV="test", ERP_TEST_RUN_ID=run_id, PYTHONDONTWRITEBYTECODE="1")
    base_env.pop("ERP_TEST_DATABASE_URL", None)
    results: list[tuple[str, bool, float]] = []

    ok, t = _run("ruff check", [str(VENV_BIN / "ruff"), "check", "."])
    results.append(("ruff check", ok, t))
    ok, t = _run("ruff format --check", [str(VENV_BIN / "ruff"), "format", "--check", "."])
    results.append(("ruff format", ok, t))

    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *sys.argv[1:]]
    ok, t = _run("pytest on SQLite", pytest, base_env)
    results.append(("pytest SQLite", ok, t))

    for url in os.environ.get("TEST_DATABASE_URLS", "").split():
        env = dict(base_env, ERP_TEST_DATABASE_URL=url)
        label = _label(url)
        ok, t = _run(f"pytest on {label}", pytest, env)
        results.append((f"pytest {label}", ok, t))

    print("\n=== summary ===")
    for name, ok, t in results:
        print(f"  {'ok    ' if ok else 'FAILED'} {name} ({t:.1f} s)")
    total = sum(t for _n, _ok, t in results)
    print(f"  total {total:.1f} s")
    return 0 if all(ok for _n, ok, _t in results) else 1


if __name__ == "__main__":
    sys.exit(main())
