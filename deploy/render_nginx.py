"""Render deploy/nginx/cho40.conf (and, for a rehearsal, a whole nginx.conf) with real values.

Production (as root, then `nginx -t && systemctl reload nginx`):
    python3 deploy/render_nginx.py --app 127.0.0.1:8001 --app 127.0.0.1:8002 \\
        --listen 80 --server-name cho40.example.vn --static /srv/cho40/app/static \\
        --cache-dir /var/cache/nginx/cho40 > /etc/nginx/conf.d/cho40.conf
Rehearsal or test (everything under PREFIX, nginx -p PREFIX -c PREFIX/nginx.conf):
    python3 deploy/render_nginx.py --main PREFIX --listen 127.0.0.1:8080 --app ... --app ...
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def render_site(apps: list[str], listen: str, *, server_name: str = "_",
                static_root: Path = ROOT / "static", cache_dir: Path, max_body: str = "16m",
                max_import_body: str = "64m",
                fail_timeout: int = 5,
                access_log: str = "/var/log/nginx/cho40.access.log") -> str:
    """Return the http-level config for these gunicorn instances."""
    servers = "\n".join(f"    server {a} max_fails=1 fail_timeout={fail_timeout}s;" for a in apps)
    values = {"APP_SERVERS": servers, "LISTEN": listen, "SERVER_NAME": server_name,
              "STATIC_ROOT": str(static_root), "CACHE_DIR": str(cache_dir), "MAX_BODY": max_body,
              "MAX_IMPORT_BODY": max_import_body,
              "ACCESS_LOG": access_log}
    text = (HERE / "nginx" / "cho40.conf").read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def write_rehearsal(prefix: Path, apps: list[str], listen: str, **site) -> Path:
    """Write PREFIX/nginx.conf and PREFIX/cho40.conf for a private nginx; return the first.

    Started by root, nginx's workers drop to an unprivileged user (www-data on Debian): the
    prefix must then be reachable by it and its cache and temp directories its own.
    """
    prefix = prefix.resolve()
    subdirs = [prefix / d for d in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi",
                                    "tmp/scgi", "cache")]
    for sub in subdirs:
        sub.mkdir(parents=True, exist_ok=True)
    user_line = ""
    if os.geteuid() == 0:
        worker = "www-data" if _user_exists("www-data") else "nobody"
        user_line = f"user {worker};"
        pw = pwd.getpwnam(worker)
        for path in [prefix / "tmp", *subdirs]:
            os.chown(path, pw.pw_uid, pw.pw_gid)
        prefix.chmod(0o755)
    # The static files go into the prefix too: the checkout may sit under a directory the
    # workers cannot enter (a 0700 `mktemp -d`, a home directory).
    static = prefix / "static"
    shutil.copytree(site.get("static_root", ROOT / "static"), static, dirs_exist_ok=True)
    site["static_root"] = static
    site.setdefault("cache_dir", prefix / "cache")
    site.setdefault("access_log", str(prefix / "access.log"))
    (prefix / "cho40.conf").write_text(render_site(apps, listen, **site))
    main = (HERE / "nginx" / "rehearsal-main.conf").read_text()
    main = main.replace("@PREFIX@", str(prefix)).replace("@USER@", user_line)
    (prefix / "nginx.conf").write_text(main)
    return prefix / "nginx.conf"


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app", action="append", required=True, help="host:port of gunicorn")
    parser.add_argument("--listen", default="80")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--static", default=str(ROOT / "static"))
    parser.add_argument("--cache-dir", default="/var/cache/nginx/cho40")
    parser.add_argument("--max-body", default="16m")
    parser.add_argument("--max-import-body", default="64m")
    parser.add_argument("--main", metavar="PREFIX", help="write a rehearsal nginx.conf there")
    args = parser.parse_args()
    if args.main:
        print(write_rehearsal(Path(args.main), args.app, args.listen,
                              server_name=args.server_name, static_root=Path(args.static),
                              max_body=args.max_body, max_import_body=args.max_import_body))
    else:
        print(render_site(args.app, args.listen, server_name=args.server_name,
                          static_root=Path(args.static), cache_dir=Path(args.cache_dir),
                          max_body=args.max_body, max_import_body=args.max_import_body),
              end="")


if __name__ == "__main__":
    main()
