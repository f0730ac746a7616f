"""Shared bench plumbing: databases, gunicorn processes, wrk runs, result tables."""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from deploy.stack import free_port

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = sys.executable
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_url(name: str) -> str:
    """Return the URL of a bench's PostgreSQL database (on the server of BENCH_PG_URL)."""
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)


def pg_database(name: str) -> str:
    """(Re)create a PostgreSQL database for a bench and return its URL."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_url(name)


def sqlite_url(name: str) -> str:
    """Return the URL of a bench's SQLite file in bench/out/."""
    return f"sqlite:///{OUT / f'{name}.sqlite3'}"


def sqlite_database(name: str) -> str:
    """Delete a bench's SQLite file (and its WAL) and return its URL."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return sqlite_url(name)


def bench_database(backend: str, name: str, *, fresh: bool = True) -> str:
    """Return the URL of a bench database on a backend, emptied first when fresh."""
    if backend == "postgresql":
        return pg_database(f"cho40_bench_{name}") if fresh else pg_url(f"cho40_bench_{name}")
    if backend == "sqlite":
        return sqlite_database(name) if fresh else sqlite_url(name)
    raise ValueError(f"unknown backend {backend!r} (sqlite or postgresql)")


def backends(choice: str) -> list[str]:
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret",
        PUBLIC_BASE_URL="http://127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def sa_url(database_url: str) -> str:
    """Return a URL SQLAlchemy opens with psycopg 3 (the app's own rewrite, for scripts)."""
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return database_url


def make_app(database_url: str, **config):
    """Build the real app on a bench database (TESTING off: the production code paths)."""
    from marketplace import create_app

    # load_config() refuses a DATABASE_URL without a SECRET_KEY in the environment.
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    settings = {"SQLALCHEMY_DATABASE_URI": sa_url(database_url), "SECRET_KEY": "bench-secret",
                "PUBLIC_BASE_URL": "http://127.0.0.1", "TESTING": False}
    settings.update(config)
    return create_app(settings)


def create_schema(database_url: str) -> None:
    """Create every table with db.create_all().

    `flask db upgrade` is the real path, but migrations are being regenerated while the
    models change; create_all() builds exactly what the models say, which is what we measure.
    """
    from marketplace.extensions import db

    app = make_app(database_url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def flask(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [PY, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )
    return done.stdout


SERVERS: dict[str, int] = {}  # base URL -> gunicorn master pid, while it runs


def _proc_children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        kids += [int(x) for x in task.read_text().split()]
    return kids


def _proc_cpu(pid: int) -> float:
    """Return user + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(gunicorn_bases: list[str]) -> dict[str, float]:
    """CPU seconds used so far by the app servers, PostgreSQL, Redis and the whole machine."""
    app_pids = []
    for base in gunicorn_bases:
        master = SERVERS[base]
        app_pids += [master, *_proc_children(master)]
    pg = [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()
          and _comm(int(d.name)).startswith("postgres")]
    with open("/proc/stat") as fh:
        ticks = [int(x) for x in fh.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    return {
        "app": sum(_proc_cpu(p) for p in app_pids),
        "postgres": sum(_proc_cpu(p) for p in pg),
        "machine_busy": (sum(ticks) - ticks[3] - ticks[4]) / hz,  # minus idle and iowait
        "machine_total": sum(ticks) / hz,
        "pg_pids": {p: _proc_cpu(p) for p in pg},
    }


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def cpu_used(before: dict, after: dict, wall: float) -> dict[str, float]:
    """Turn two cpu_snapshot()s into CPU seconds per part (the rest: load generator, others)."""
    pg = sum(after["pg_pids"][p] - before["pg_pids"].get(p, 0.0) for p in after["pg_pids"])
    app = after["app"] - before["app"]
    busy = after["machine_busy"] - before["machine_busy"]
    return {
        "wall_s": round(wall, 2),
        "cores_available": os.cpu_count(),
        "app_cpu_s": round(app, 2),
        "postgres_cpu_s": round(pg, 2),
        "other_cpu_s (load generator, kernel, other work)": round(busy - app - pg, 2),
        "machine_busy_percent": round(100 * busy / ((after["machine_total"]
                                                     - before["machine_total"]) or 1), 1),
    }


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int, port: int | None = None):
    """Run gunicorn on a free port until the block ends; yield its base URL."""
    port = port or free_port()
    proc = subprocess.Popen(
        [PY, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "--backlog", "2048", "--graceful-timeout", "20", target],
        cwd=ROOT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:  # noqa: BLE001 - waiting for the server to come up
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"gunicorn {target} exited with {proc.returncode}") from None
                time.sleep(0.1)
        SERVERS[base] = proc.pid
        yield base
    finally:
        SERVERS.pop(base, None)
        # SIGTERM to the master only is gunicorn's graceful stop: it asks each worker once, and
        # workers finish their request and run atexit hooks (the scan recorder flushes its
        # buffer there). Signalling the whole group makes workers die of a second SIGTERM.
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wrk(url: str, seconds: float = 10, connections: int = 32, threads: int = 2,
        script: str | None = None, timeout: int = 10, env: dict[str, str] | None = None) -> dict:
    """Run wrk and return requests/s, latency and error counts."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--latency", "--timeout", f"{timeout}s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True,
                         timeout=seconds + timeout + 30, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {
        "rps": rps,
        "requests": total,
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in sock.groups()) if sock else 0,
        "p50": p50.group(1) if p50 else "",
        "p99": p99.group(1) if p99 else "",
        "raw": out,
    }


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}, "
            f"Python {platform.python_version()}")


def load_average() -> str:
    """Return the 1/5/15-minute load averages (how busy the machine was during a run)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def table(headers: list[str], rows: list[list]) -> str:
    """Format rows as a plain text table (also valid Markdown)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def save(name: str, result: dict) -> Path:
    """Write a result as bench/out/<name>.json, stamped with the machine and the time."""
    OUT.mkdir(parents=True, exist_ok=True)
    result = {"bench": name, "machine": machine(), "load_average_after": load_average(),
              "finished_at": time.strftime("%Y-%m-%d %H:%M:%S %z"), **result}
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    return path
