"""Uploads: who may import into which stall, reading the uploaded files, and keeping an upload
between its preview and its confirmation."""

from __future__ import annotations

import secrets
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Stall
from marketplace.catalog.owners import owned_stalls_query
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.imports.models import MarketplaceImport, PendingImportFile
from marketplace.imports.parsers import ParsedLine, ParseResult, _, parse_file

MAX_FILES = 20
PENDING_TTL = timedelta(days=1)

UploadedFile = tuple[str, bytes]
SkuKey = tuple[str, str]  # (platform, seller SKU)


def importable_stalls(user: User) -> list[Stall]:
    """Stalls the user may import into: only a seller's own (organizers never write sales)."""
    if user.role != "seller":
        return []
    return list(db.session.scalars(owned_stalls_query(user.id).order_by(None)
                                   .order_by(Stall.name)))


def can_import(user: User, stall: Stall) -> bool:
    """Whether the user may import into this stall."""
    return any(s.id == stall.id for s in importable_stalls(user))


class Progress(Protocol):
    """Hears how far a long import is (a background job's progress on its JobRun)."""

    def update(self, stage: str, done: int, total: int, *, force: bool = False) -> None: ...

    def writing(self, stage: str, done: int, total: int) -> None: ...


def read_files(files: Sequence[UploadedFile],
               progress: Progress | None = None) -> list[ParseResult]:
    """Parse every uploaded file (at least one, at most MAX_FILES), reporting rows read."""
    if not files:
        raise ValidationError("files", _("Hãy chọn ít nhất một tệp xuất đơn hàng."))
    if len(files) > MAX_FILES:
        raise ValidationError("files", _("Tối đa %(n)s tệp mỗi lần.", n=MAX_FILES))
    if progress is None:
        return [parse_file(name, data) for name, data in files]
    # Rows read over all files, against an estimate refined as each file is opened (the
    # files not opened yet are guessed from their size).
    sizes = [len(data) for _name, data in files]
    results: list[ParseResult] = []
    read_before = 0
    for index, (name, data) in enumerate(files):
        seen = [0]

        def report(read: int, expected: int, index: int = index, seen: list = seen,
                   read_before: int = read_before) -> None:
            seen[0] = read
            rest = int(sum(sizes[index + 1:]) * expected / max(sizes[index], 1))
            progress.update("reading", read_before + read, read_before + expected + rest)

        results.append(parse_file(name, data, report))
        read_before += seen[0]
    return results


def dedupe(results: list[ParseResult]) -> tuple[list[ParsedLine], int]:
    """Keep one line per key across files; the last file wins (Shopee: whole orders)."""
    by_key: dict[tuple[str, str], ParsedLine] = {}
    shopee_orders: dict[str, list[ParsedLine]] = {}
    total = 0
    for result in results:
        groups: dict[str, list[ParsedLine]] = defaultdict(list)
        for line in result.lines:
            total += 1
            if line.platform == "shopee":
                groups[line.order_id].append(line)
            else:
                by_key[(line.platform, line.line_key)] = line
        shopee_orders.update(groups)
    lines = list(by_key.values()) + [x for group in shopee_orders.values() for x in group]
    return lines, total - len(lines)


def stall_products(stall: Stall) -> list[Product]:
    """The stall's products by name: what its SKUs can be mapped to."""
    return list(db.session.scalars(
        sa.select(Product).where(Product.stall_id == stall.id).order_by(Product.name)
    ))


_PACKED = b"cho40-zlib\x00"


def pack(data: bytes) -> bytes:
    """Compress an upload for keeping: a 38 MB CSV export is kept (and read back) as ~4 MB."""
    return _PACKED + zlib.compress(data, 1)


def unpack(data: bytes) -> bytes:
    """The upload as it was sent (uploads kept before packing are returned as they are)."""
    return zlib.decompress(data[len(_PACKED):]) if data.startswith(_PACKED) else data


def stash_upload(stall: Stall, user: User, files: Sequence[UploadedFile]) -> str:
    """Check the files parse, keep their bytes for the preview, return the batch id."""
    if not can_import(user, stall):
        raise ValidationError("stall", _("Bạn không thể nhập đơn cho gian hàng này."))
    read_files(files)  # a bad file is refused before anything is kept
    db.session.execute(sa.delete(PendingImportFile).where(
        PendingImportFile.uploaded_by_id == user.id,
        PendingImportFile.created_at < utcnow() - PENDING_TTL,
    ))
    batch = secrets.token_urlsafe(18)
    for name, data in files:
        db.session.add(PendingImportFile(batch=batch, stall_id=stall.id, uploaded_by_id=user.id,
                                         filename=name[:255], data=pack(data)))
    db.session.commit()
    return batch


def load_pending(batch: str, user: User) -> tuple[Stall, list[UploadedFile]] | None:
    """Return the stall and files of the user's pending upload, or None."""
    rows = list(db.session.scalars(
        sa.select(PendingImportFile)
        .where(PendingImportFile.batch == batch, PendingImportFile.uploaded_by_id == user.id)
        .order_by(PendingImportFile.id)
    ))
    if not rows or not can_import(user, rows[0].stall):
        return None
    return rows[0].stall, [(r.filename, unpack(r.data)) for r in rows]


def discard_pending(batch: str, user: User) -> None:
    """Forget a pending upload."""
    db.session.execute(sa.delete(PendingImportFile).where(
        PendingImportFile.batch == batch, PendingImportFile.uploaded_by_id == user.id))
    db.session.commit()


def pending_stall(batch: str, user: User) -> Stall | None:
    """The stall of the user's pending upload (its bytes are not read), or None."""
    stall = db.session.scalar(
        sa.select(Stall).join(PendingImportFile, PendingImportFile.stall_id == Stall.id)
        .where(PendingImportFile.batch == batch, PendingImportFile.uploaded_by_id == user.id)
        .limit(1))
    return stall if stall is not None and can_import(user, stall) else None


def recent_imports(stalls: list[Stall], limit: int = 20) -> list[MarketplaceImport]:
    """The latest imports into these stalls."""
    if not stalls:
        return []
    return list(db.session.scalars(
        sa.select(MarketplaceImport)
        .where(MarketplaceImport.stall_id.in_([s.id for s in stalls]))
        .order_by(MarketplaceImport.created_at.desc(), MarketplaceImport.id.desc())
        .limit(limit)
    ))
