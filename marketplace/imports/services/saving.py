"""Saving an import in one transaction: new lines are inserted, lines stored under the same key
are updated (the newest export wins), a re-exported Shopee order replaces its lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.catalog.models import Stall
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine, MarketplaceImport, PendingImportFile
from marketplace.imports.parsers import ParsedLine, _
from marketplace.imports.services.mapping import RemapNotConfirmed, save_mappings
from marketplace.imports.services.preview import (
    CHUNK,
    Preview,
    build_preview,
    chunks,
    fingerprint,
    stored_lines,
)
from marketplace.imports.services.uploads import Progress, SkuKey, UploadedFile
from marketplace.once import services as once_svc


@dataclass
class ImportOutcome:
    """What a confirmed import changed."""

    preview: Preview
    imports: list[MarketplaceImport]
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # Shopee lines gone from a re-exported order


def _values(line: ParsedLine, product_id: int | None, weight: dict[int, Decimal],
            import_id: int) -> dict:
    """The columns a parsed line sets on its stored row."""
    return {
        "external_order_id": line.order_id, "import_id": import_id,
        "created_at_source": line.created_at, "paid_at": line.paid_at,
        "status_raw": line.status_raw, "status_class": line.status_class,
        "product_name": line.product_name, "seller_sku": line.seller_sku,
        "variation": line.variation, "qty": line.qty, "returned_qty": line.returned_qty,
        "net_amount": line.net_amount, "buyer_province": line.buyer_province,
        "product_id": product_id,
        "net_weight_kg": weight.get(product_id) if product_id is not None else None,
        "source_file": line.source_file, "source_row": line.source_row,
    }


def _apply(row: ImportedSaleLine, line: ParsedLine, product_id: int | None,
           weight: dict[int, Decimal], import_id: int) -> None:
    for name, value in _values(line, product_id, weight, import_id).items():
        setattr(row, name, value)


class _Inserter:
    """Insert new lines in batches as they come (one INSERT per batch, no ORM object each)."""

    def __init__(self, stall: Stall, size: int = 2000):
        self.stall_id, self.size, self.rows = stall.id, size, []

    def append(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.size:
            self.flush()

    def extend(self, rows: Iterable[dict]) -> None:
        for row in rows:
            self.append(row)

    def flush(self) -> None:
        if self.rows:
            db.session.execute(sa.insert(ImportedSaleLine),
                               [{"stall_id": self.stall_id, **row} for row in self.rows])
            self.rows = []


def save_import(stall: Stall, files: Sequence[UploadedFile], *, user: User | None,
                overrides: dict[SkuKey, str | int | None] | None = None,
                pending_batch: str | None = None, accept_remap: bool = False,
                once: once_svc.Once | None = None, progress: Progress | None = None,
                finish: Callable[[ImportOutcome], bool] | None = None) -> ImportOutcome | None:
    """Save the files' lines in one transaction: upsert by key, newest export wins.

    A mapping that would change lines stored earlier is refused unless accept_remap.
    `finish(outcome)` runs last inside the transaction; when it answers False (a background
    run already saved this import) everything is rolled back and None is returned.
    """
    preview = build_preview(stall, files, overrides, progress)
    if preview.remaps and not accept_remap:
        raise RemapNotConfirmed(_("Ghép lại mã SKU sẽ thay đổi số liệu đã có: hãy xem lại và "
                                  "xác nhận."))
    if progress is not None:
        progress.writing("saving", 0, len(preview.lines))
    claim_id = once_svc.claim(once) if once is not None else None
    try:
        if overrides:
            save_mappings(stall, preview.products, preview.mapping, overrides)
        outcome = _write_lines(stall, preview, user, progress)
        if claim_id is not None:
            once_svc.settle(claim_id, ImportCounts.of(outcome).ref)
        if pending_batch:
            db.session.execute(sa.delete(PendingImportFile).where(
                PendingImportFile.batch == pending_batch))
        if finish is not None and not finish(outcome):
            db.session.rollback()
            return None
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("Tệp đang được nhập ở nơi khác. Vui lòng thử lại.")) from exc
    except Exception:
        db.session.rollback()
        raise
    return outcome


def _write_lines(stall: Stall, preview: Preview, user: User | None,
                 progress: Progress | None = None) -> ImportOutcome:
    weight = {p.id: Decimal(p.net_weight_kg or 0) for p in preview.products}
    records: list[MarketplaceImport] = []
    import_of: dict[int, MarketplaceImport] = {}  # id(parsed line) -> its file's import
    for result in preview.files:
        record = MarketplaceImport(
            stall_id=stall.id, platform=result.platform, filename=result.filename[:255],
            uploaded_by_id=user.id if user else None, rows_counted=0,
            rows_skipped=len(result.skipped),
        )
        db.session.add(record)
        records.append(record)
        import_of.update((id(line), record) for line in result.lines)
    db.session.flush()

    outcome = ImportOutcome(preview=preview, imports=records)
    existing = stored_lines(stall, preview.lines)
    shopee: dict[str, list[ParsedLine]] = defaultdict(list)
    new_rows = _Inserter(stall)
    total = len(preview.lines)
    for done, line in enumerate(preview.lines):
        if progress is not None and done % CHUNK == 0:
            progress.update("saving", done, total)
        import_of[id(line)].rows_counted += 1
        if line.platform == "shopee":
            shopee[line.order_id].append(line)
            continue
        _upsert(stall, line, existing.get((line.platform, line.line_key)), preview, weight,
                import_of[id(line)].id, outcome, new_rows)

    stored_by_order: dict[str, list[ImportedSaleLine]] = defaultdict(list)
    for (platform, _key), row in existing.items():
        if platform == "shopee":
            stored_by_order[row.external_order_id].append(row)
    replace = []
    for order_id, group in shopee.items():
        stored = {row.line_key: row for row in stored_by_order.get(order_id, [])}
        same = stored.keys() == {x.line_key for x in group} and all(
            fingerprint(stored[x.line_key]) == fingerprint(x)
            and stored[x.line_key].product_id == preview.mapping[(x.platform, x.seller_sku)]
            for x in group
        )
        if same:
            outcome.unchanged += len(group)
            continue
        replace.append(order_id)
        outcome.removed += max(len(stored) - len(group), 0)
        outcome.updated += min(len(stored), len(group))
        outcome.inserted += max(len(group) - len(stored), 0)
    # Shopee has no line id: drop the order's stored lines, then write the new ones.
    for chunk in chunks(replace):
        db.session.execute(sa.delete(ImportedSaleLine).where(
            ImportedSaleLine.stall_id == stall.id, ImportedSaleLine.platform == "shopee",
            ImportedSaleLine.external_order_id.in_(chunk),
        ).execution_options(synchronize_session=False))
    replaced = set(replace)
    for row in existing.values():
        if row.platform == "shopee" and row.external_order_id in replaced:
            db.session.expunge(row)
    new_rows.extend(
        {"platform": "shopee", "line_key": line.line_key,
         **_values(line, preview.mapping[("shopee", line.seller_sku)], weight,
                   import_of[id(line)].id)}
        for order_id in replace for line in shopee[order_id]
    )
    db.session.flush()
    new_rows.flush()
    if progress is not None:
        progress.update("saving", total, total)
    return outcome


def _upsert(stall: Stall, line: ParsedLine, row: ImportedSaleLine | None, preview: Preview,
            weight: dict[int, Decimal], import_id: int, outcome: ImportOutcome,
            new_rows: _Inserter) -> None:
    product_id = preview.mapping[(line.platform, line.seller_sku)]
    if row is None:
        new_rows.append({"platform": line.platform, "line_key": line.line_key,
                         **_values(line, product_id, weight, import_id)})
        outcome.inserted += 1
        return
    if fingerprint(row) == fingerprint(line) and row.product_id == product_id:
        outcome.unchanged += 1
        return
    outcome.updated += 1
    _apply(row, line, product_id, weight, import_id)


@dataclass(frozen=True)
class ImportCounts:
    """How many lines a confirmed import added, changed and left alone."""

    inserted: int
    updated: int
    unchanged: int

    @classmethod
    def of(cls, outcome: ImportOutcome) -> ImportCounts:
        return cls(outcome.inserted, outcome.updated, outcome.unchanged)

    @property
    def ref(self) -> str:
        return f"import:{self.inserted}/{self.updated}/{self.unchanged}"

    @classmethod
    def from_ref(cls, ref: str) -> ImportCounts:
        inserted, updated, unchanged = (int(n) for n in ref.partition(":")[2].split("/"))
        return cls(inserted, updated, unchanged)
