"""Start the production set from Python (tests and benches): gunicorn instances behind nginx.

The same files as production and deploy/rehearse.sh: deploy/gunicorn.conf.py for each instance,
deploy/nginx/cho40.conf rendered by deploy/render_nginx.py into a private prefix.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from deploy.render_nginx import ROOT, write_rehearsal

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_available() -> str | None:
    """Return why nginx cannot run here, or None when it can."""
    if not os.path.exists(NGINX):
        return f"{NGINX} not found (apt-get install nginx)"
    return None


def wait_http(url: str, seconds: float = 30, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception as exc:  # noqa: BLE001 - waiting for a server to come up
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}") from exc
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer in {seconds} s: {exc}") from exc
            time.sleep(0.1)


class AppInstance:
    """One gunicorn instance (master + workers) on a loopback port."""

    def __init__(self, port: int, env: dict[str, str], workers: int, log: Path):
        self.port, self.env, self.workers, self.log = port, env, workers, log
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(self.env, GUNICORN_BIND=f"127.0.0.1:{self.port}",
                   GUNICORN_WORKERS=str(self.workers),
                   GUNICORN_ACCESS_LOG=str(self.log.with_suffix(".access")))
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(self.base + "/healthz", 60, self.proc)

    def kill(self) -> None:
        """Crash the instance: SIGKILL to the master and every worker at once."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop gracefully (workers finish their request and flush buffered scans)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class Stack:
    """nginx on a free port in front of `instances` gunicorn instances, all under `prefix`."""

    def __init__(self, prefix: Path, env: dict[str, str], *, instances: int = 2,
                 workers: int = 2, fail_timeout: int = 5):
        self.prefix = Path(prefix)
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.env = dict(env, PYTHONPATH=str(ROOT), PROXY_FIX_X_FOR="1", PROXY_FIX_X_PROTO="1",
                        PROXY_FIX_X_HOST="1", PROXY_FIX_X_PORT="1")
        self.apps = [AppInstance(free_port(), self.env, workers,
                                 self.prefix / f"gunicorn-{i}.log") for i in range(instances)]
        self.port = free_port()
        self.fail_timeout = fail_timeout
        self.conf: Path | None = None
        # nginx's workers (www-data when started by root) must reach their prefix: pytest's
        # temporary directories are private, so nginx gets a directory of its own in /tmp.
        self.nginx_dir = Path(tempfile.mkdtemp(prefix="cho40-nginx-"))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _nginx(self, *args: str) -> None:
        subprocess.run([NGINX, "-q", "-p", str(self.nginx_dir),
                        "-e", str(self.nginx_dir / "error.log"), "-c", str(self.conf),
                        *args], check=True, capture_output=True, timeout=30)

    def start(self) -> Stack:
        for app in self.apps:
            app.start()
        self.conf = write_rehearsal(self.nginx_dir, [f"127.0.0.1:{a.port}"
                                                            for a in self.apps],
                                    f"127.0.0.1:{self.port}", fail_timeout=self.fail_timeout)
        self._nginx("-t")
        self._nginx()
        wait_http(self.base + "/healthz")
        return self

    def stop(self) -> None:
        if self.conf and (self.nginx_dir / "nginx.pid").exists():
            try:
                self._nginx("-s", "quit")
            except subprocess.CalledProcessError:
                pass
            pid_file = self.nginx_dir / "nginx.pid"
            for _ in range(100):
                if not pid_file.exists():
                    break
                time.sleep(0.05)
        for app in self.apps:
            app.stop()
        shutil.rmtree(self.nginx_dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


class TcpProxy:
    """A TCP relay on a free port to `target` that can be cut and restored (an outage).

    Between the app and PostgreSQL it simulates the database going away and coming back,
    without touching a server other people use. Runs in threads of this process.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        import threading

        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._threading = threading

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        self._threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: the outage began
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut while connecting: drop it
                    client.close()
                    upstream.close()
                    continue
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self._threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()  # both directions' threads close both: a second close is a no-op

    def cut(self) -> None:
        """Go down: refuse new connections and reset every open one (the server is gone)."""
        if self._listener is not None:
            try:  # wakes the thread blocked in accept(); close() alone would not
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                # Linger 0: close sends a reset, as a crashed server's kernel would.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            except OSError:
                pass

    def restore(self) -> None:
        """Come back on the same port."""
        self.start()

    def stop(self) -> None:
        self.cut()
