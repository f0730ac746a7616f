"""Count label scans without writing in the page's transaction: buffer them, insert in batches.

A write per page view serialises on SQLite ("database is locked" under load), so the page only
appends to a buffer: this process's memory, or a Redis list when REDIS_URL is set (a worker
that dies loses nothing there). A background thread inserts the buffer every
SCANS_FLUSH_INTERVAL seconds (2) or as soon as SCANS_FLUSH_BATCH events (200) wait, with one
multi-row INSERT per chunk; `flask scans flush` does it on demand and atexit does it at exit.
Each event carries a random uid and the INSERT skips uids already stored, so a chunk inserted
twice (a worker died before trimming the Redis list) still counts once. Under TESTING the
background thread is off unless SCANS_BACKGROUND is set: tests flush explicitly.

Honest counts: a visitor counts once per product per SCAN_REPEAT_SECONDS (30 minutes). The
visitor is a keyed hash of (product, IP address, User-Agent) whose key is a random salt drawn
each Vietnam day; the hash lives only in Redis (one SET NX with a TTL, in the same round trip as
the push) or in this process's memory, never in the database, and cannot be traced back once the
day's salt is gone.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import redis
import sqlalchemy as sa
from flask import Flask, current_app

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.provenance.models import ScanEvent

log = logging.getLogger(__name__)

EXTENSION_KEY = "provenance_scans"
CHUNK = 500  # rows per INSERT: 2,500 parameters, well under SQLite's and PostgreSQL's limits
MAX_BUFFERED = 100_000  # while the database is down, keep at most this many in memory
REPEAT_SECONDS = 30 * 60  # a visitor's views of one product count once in this window
MAX_SEEN = 200_000  # visitor hashes kept in memory (without Redis); the oldest go first
# Count the scan unless this visitor's hash is already there: one round trip for both.
PUSH_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('RPUSH', KEYS[2], ARGV[1])
end
return -1
"""
_registry_lock = threading.Lock()


@dataclass(frozen=True)
class Scan:
    """One buffered scan, ready to become a ScanEvent row."""

    uid: str
    product_id: int
    batch_id: int | None
    fair_id: int | None
    scanned_at: float  # POSIX timestamp, UTC
    qr: bool = False

    def to_row(self) -> dict:
        return {
            "uid": self.uid,
            "product_id": self.product_id,
            "batch_id": self.batch_id,
            "fair_id": self.fair_id,
            "scanned_at": datetime.fromtimestamp(self.scanned_at, UTC),
            "qr": self.qr,
        }

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Scan:
        data = json.loads(raw)
        return cls(
            uid=str(data["uid"]),
            product_id=int(data["product_id"]),
            batch_id=None if data.get("batch_id") is None else int(data["batch_id"]),
            fair_id=None if data.get("fair_id") is None else int(data["fair_id"]),
            scanned_at=float(data["scanned_at"]),
            qr=bool(data.get("qr", False)),
        )


def _insert(scans: list[Scan]) -> int:
    """Insert scans with one multi-row INSERT per chunk, skipping uids already stored.

    Return how many rows were inserted.
    """
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        insert = None
    inserted = 0
    with db.engine.begin() as conn:
        for start in range(0, len(scans), CHUNK):
            rows = [s.to_row() for s in scans[start : start + CHUNK]]
            if insert is None:
                stmt = sa.insert(ScanEvent.__table__).values(rows)
            else:
                stmt = insert(ScanEvent.__table__).values(rows)
                stmt = stmt.on_conflict_do_nothing(index_elements=["uid"])
            # RETURNING counts the rows really inserted (rowcount is -1 on psycopg here).
            stmt = stmt.returning(ScanEvent.__table__.c.id)
            inserted += len(conn.execute(stmt).all())
    return inserted


def _insert_salvaging(scans: list[Scan]) -> int:
    """Insert scans; if the batch breaks a constraint, insert one by one and drop the bad ones.

    Raises only when the database itself is unreachable (the caller keeps the scans).
    """
    try:
        return _insert(scans)
    except sa.exc.IntegrityError:
        log.warning("scan batch of %d broke a constraint; inserting one by one", len(scans))
    saved = 0
    for scan in scans:
        try:
            saved += _insert([scan])
        except sa.exc.IntegrityError:
            # A product or batch deleted since the scan: nothing to count it against.
            log.warning("dropping scan %s of product %s", scan.uid, scan.product_id)
    return saved


class ScanRecorder:
    """Buffer scans of one app and insert them in batches."""

    def __init__(self, app: Flask):
        cfg = app.config
        self.app = app
        self.interval = float(cfg.get("SCANS_FLUSH_INTERVAL", 2.0))
        self.batch_size = int(cfg.get("SCANS_FLUSH_BATCH", 200))
        self.background = bool(cfg.get("SCANS_BACKGROUND", not app.testing))
        self.redis_url = cfg.get("REDIS_URL") or None
        prefix = cfg.get("RATELIMIT_KEY_PREFIX") or "cho40"
        self.redis_key = cfg.get("SCANS_REDIS_KEY") or f"{prefix}:scans"
        self.repeat_seconds = int(cfg.get("SCAN_REPEAT_SECONDS", REPEAT_SECONDS))
        self._reset()

    def _reset(self) -> None:
        # Also called in a forked child: threads and locks do not survive fork.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._events: list[Scan] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._redis: redis.Redis | None = None
        self._push_once = None
        self._atexit = False
        self._seen: OrderedDict[str, float] = OrderedDict()  # visitor hash -> expiry
        self._salt: tuple[str, bytes] | None = None  # (Vietnam day, salt)

    def _check_fork(self) -> None:
        if os.getpid() != self._pid:
            self._reset()

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                self.redis_url, socket_connect_timeout=1, socket_timeout=2
            )
        return self._redis

    @property
    def pending(self) -> int:
        """Scans waiting in this process's memory (not counting Redis)."""
        with self._lock:
            return len(self._events)

    def _day_salt(self) -> bytes:
        """Return today's random salt (shared through Redis when there is one)."""
        day = vn_today().isoformat()
        if self._salt is None or self._salt[0] != day:
            salt = os.urandom(16).hex()
            if self.redis_url:
                try:
                    key = f"{self.redis_key}:salt:{day}"
                    client = self._client()
                    client.set(key, salt, nx=True, ex=2 * 86400)
                    salt = (client.get(key) or salt.encode()).decode()
                except redis.RedisError as exc:
                    log.warning("Redis unavailable for the scan salt (%s)", exc)
                    return salt.encode()  # not kept: retried on the next scan
            self._salt = (day, salt.encode())
        return self._salt[1]

    def _visitor_hash(self, product_id: int, visitor: tuple[str, str]) -> str:
        data = f"{product_id}\n{visitor[0]}\n{visitor[1]}".encode("utf-8", "replace")
        return hashlib.blake2b(data, key=self._day_salt(), digest_size=16).hexdigest()

    def _seen_recently(self, digest: str) -> bool:
        """Remember a visitor hash in memory; tell whether it was already there."""
        now = time.time()
        with self._lock:
            seen = self._seen
            while seen and (len(seen) >= MAX_SEEN or next(iter(seen.values())) <= now):
                seen.popitem(last=False)  # same window for all: oldest first = expiring first
            if seen.get(digest, 0) > now:
                return True
            seen.pop(digest, None)  # an expired entry: renewed at the end, keeping the order
            seen[digest] = now + self.repeat_seconds
            return False

    def record(self, product_id: int, batch_id: int | None, fair_id: int | None, *,
               qr: bool = False, visitor: tuple[str, str] | None = None) -> None:
        """Buffer one scan unless this visitor (IP, User-Agent) counted for it lately.

        Never raises: a lost count must not break the page.
        """
        try:
            self._check_fork()
            scan = Scan(uuid.uuid4().hex, product_id, batch_id, fair_id, utcnow().timestamp(),
                        qr)
            once = visitor is not None and self.repeat_seconds > 0
            digest = self._visitor_hash(product_id, visitor) if once else None
            waiting = None
            if self.redis_url:
                try:
                    if digest is None:
                        waiting = self._client().rpush(self.redis_key, scan.to_json())
                    else:
                        if self._push_once is None:
                            self._push_once = self._client().register_script(PUSH_ONCE)
                        waiting = self._push_once(
                            keys=[f"{self.redis_key}:seen:{digest}", self.redis_key],
                            args=[scan.to_json(), self.repeat_seconds])
                        if waiting == -1:
                            return
                except redis.RedisError as exc:
                    log.warning("Redis unavailable for scans (%s); buffering in memory", exc)
            if waiting is None and digest is not None and self._seen_recently(digest):
                return
            if waiting is None:
                with self._lock:
                    if len(self._events) >= MAX_BUFFERED:
                        del self._events[0]
                        log.error("scan buffer full; dropping the oldest scan")
                    self._events.append(scan)
                    waiting = len(self._events)
            if waiting >= self.batch_size:
                self._wake.set()
            self._ensure_thread()
        except Exception:
            log.exception("could not record a scan")

    def flush(self) -> int:
        """Insert every buffered scan now (memory, then Redis); return how many rows were new."""
        self._check_fork()
        with self._flush_lock, self.app.app_context():
            saved = self._flush_memory()
            if self.redis_url:
                saved += self._flush_redis()
            return saved

    def _flush_memory(self) -> int:
        with self._lock:
            scans, self._events = self._events, []
        if not scans:
            return 0
        try:
            return _insert_salvaging(scans)
        except sa.exc.SQLAlchemyError as exc:
            log.error("could not save %d scans (%s); will retry", len(scans), exc)
            with self._lock:
                self._events[:0] = scans[-MAX_BUFFERED:]
            return 0

    def _flush_redis(self) -> int:
        saved = 0
        try:
            client = self._client()
            # One flusher at a time across workers; the uid makes an overlap harmless anyway.
            lock = client.lock(f"{self.redis_key}:lock", timeout=60)
            if not lock.acquire(blocking=False):
                return 0
            try:
                while True:
                    raw = client.lrange(self.redis_key, 0, CHUNK - 1)
                    if not raw:
                        break
                    scans = []
                    for item in raw:
                        try:
                            scans.append(Scan.from_json(item))
                        except (ValueError, KeyError, TypeError):
                            log.warning("dropping an unreadable scan from Redis: %r", item[:80])
                    try:
                        saved += _insert_salvaging(scans) if scans else 0
                    except sa.exc.SQLAlchemyError as exc:
                        log.error("could not save scans from Redis (%s); will retry", exc)
                        break
                    client.ltrim(self.redis_key, len(raw), -1)
            finally:
                try:
                    lock.release()
                except redis.exceptions.LockError:
                    log.warning("scan flush lock expired before release")
        except redis.RedisError as exc:
            log.error("could not read scans from Redis (%s)", exc)
        return saved

    def _ensure_thread(self) -> None:
        if not self.background or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="scan-flusher", daemon=True)
            self._thread.start()
            if not self._atexit:
                atexit.register(self.close)
                self._atexit = True

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("scan flush failed")

    def close(self) -> None:
        """Stop the background thread and flush what is left."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._thread = None
        try:
            self.flush()
        except Exception:
            log.exception("final scan flush failed")


def recorder(app: Flask | None = None) -> ScanRecorder:
    """Return the app's scan recorder, creating it on first use."""
    app = app or current_app._get_current_object()
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        with _registry_lock:
            found = app.extensions.get(EXTENSION_KEY)
            if found is None:
                found = app.extensions[EXTENSION_KEY] = ScanRecorder(app)
    return found


def visitor_of(environ: dict) -> tuple[str, str]:
    """Return what tells visitors apart for counting (IP address, User-Agent); never stored."""
    return environ.get("REMOTE_ADDR") or "", environ.get("HTTP_USER_AGENT") or ""


def record_scan(product_id: int, batch_id: int | None = None, fair_id: int | None = None, *,
                qr: bool = False, visitor: tuple[str, str] | None = None) -> None:
    """Count one opening of a label's page (buffered; never raises)."""
    try:
        rec = recorder()
    except Exception:
        log.exception("no scan recorder")
        return
    rec.record(product_id, batch_id, fair_id, qr=qr, visitor=visitor)


def flush_scans(app: Flask | None = None) -> int:
    """Insert the buffered scans now; return how many rows were saved."""
    return recorder(app).flush()
