"""Preview and save marketplace exports: map SKUs, upsert lines by key, count once."""

from __future__ import annotations

import secrets
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Stall
from marketplace.catalog.owners import owned_stalls_query
from marketplace.database import utcnow
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.imports.models import (
    ImportedSaleLine,
    MarketplaceImport,
    PendingImportFile,
    SkuMapping,
)
from marketplace.imports.parsers import (
    STATUS_CLASSES,
    ImportFileError,
    ParsedLine,
    ParseResult,
    _,
    parse_file,
)
from marketplace.jobs import progress as job_progress
from marketplace.once import services as once_svc

MAX_FILES = 20
PENDING_TTL = timedelta(days=1)
CHUNK = 500

UploadedFile = tuple[str, bytes]
SkuKey = tuple[str, str]  # (platform, seller SKU)


# ---------------------------------------------------------------- who may import where


def importable_stalls(user: User) -> list[Stall]:
    """Stalls the user may import into: only a seller's own (organizers never write sales)."""
    if user.role != "seller":
        return []
    return list(db.session.scalars(owned_stalls_query(user.id).order_by(None)
                                   .order_by(Stall.name)))


def can_import(user: User, stall: Stall) -> bool:
    return any(s.id == stall.id for s in importable_stalls(user))


# ---------------------------------------------------------------- preview


@dataclass
class ClassTotals:
    """Lines, quantities, VND and kg of one status class."""

    lines: int = 0
    qty: int = 0
    returned_qty: int = 0
    amount: int = 0  # the kept units' share of the line amount
    kg: Decimal = Decimal("0.000")

    @property
    def net_qty(self) -> int:
        return self.qty - self.returned_qty


@dataclass
class SkuRow:
    """A seller SKU found in the files, with the product it maps to (or None)."""

    platform: str
    sku: str
    product_name: str
    lines: int
    qty: int
    product_id: int | None


@dataclass
class RemapEffect:
    """What mapping a SKU anew would change in the lines already stored under it."""

    platform: str
    sku: str
    old_product: str | None  # None: the lines were unmapped
    new_product: str | None  # None: the mapping is removed
    lines: int
    qty: int
    kg_before: Decimal
    kg_after: Decimal
    vnd: int  # the kept VND of those lines, moving from one product to the other


class RemapNotConfirmed(Conflict):
    """A new SKU mapping would rewrite past figures and the user has not agreed yet."""


@dataclass
class Preview:
    """What an import would save, computed before anything is written."""

    stall: Stall
    files: list[ParseResult]
    lines: list[ParsedLine]
    totals: dict[str, ClassTotals]
    skus: list[SkuRow]
    unknown_statuses: list[tuple[str, str, int]]  # platform, status, lines
    skipped: list[tuple[str, int, str]]  # file, row, reason
    duplicates: int  # lines that appear in several files of the upload
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    products: list[Product] = field(default_factory=list)
    mapping: dict[SkuKey, int | None] = field(default_factory=dict)
    remaps: list[RemapEffect] = field(default_factory=list)

    @property
    def unmapped(self) -> list[SkuRow]:
        return [s for s in self.skus if s.product_id is None]

    @property
    def counted(self) -> ClassTotals:
        """Sales and in-progress lines: what campaign tallies count (provisionally)."""
        total = ClassTotals()
        for cls in ("sale", "in_progress"):
            t = self.totals[cls]
            total.lines += t.lines
            total.qty += t.qty
            total.returned_qty += t.returned_qty
            total.amount += t.amount
            total.kg += t.kg
        return total


class Progress(Protocol):
    """Hears how far a long import is (a background job's progress on its JobRun)."""

    def update(self, stage: str, done: int, total: int, *, force: bool = False) -> None: ...

    def writing(self, stage: str, done: int, total: int) -> None: ...


def _parse_all(files: Sequence[UploadedFile],
               progress: Progress | None = None) -> list[ParseResult]:
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


def _dedupe(results: list[ParseResult]) -> tuple[list[ParsedLine], int]:
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


def _stall_products(stall: Stall) -> list[Product]:
    return list(db.session.scalars(
        sa.select(Product).where(Product.stall_id == stall.id).order_by(Product.name)
    ))


def _resolve_mapping(stall: Stall, products: list[Product], keys: Iterable[SkuKey],
                     overrides: dict[SkuKey, str | int | None] | None) -> dict[SkuKey, int | None]:
    saved = {
        (m.platform, m.seller_sku): m.product_id
        for m in db.session.scalars(sa.select(SkuMapping).where(SkuMapping.stall_id == stall.id))
    }
    product_ids = {p.id for p in products}
    mapping: dict[SkuKey, int | None] = {}
    for key in keys:
        if overrides is not None and key in overrides:
            value = overrides[key]
            if value in (None, ""):
                mapping[key] = None
                continue
            try:
                product_id = int(value)
            except (TypeError, ValueError):
                product_id = -1
            if product_id not in product_ids:
                raise ValidationError(None, _(
                    "Mã SKU “%(sku)s” được ghép với một sản phẩm không thuộc gian hàng này.",
                    sku=key[1]))
            mapping[key] = product_id
        else:
            mapping[key] = saved.get(key)
    return mapping


def _fingerprint(line) -> tuple:
    """The values that make a stored line differ from a parsed one."""
    if isinstance(line, ImportedSaleLine):
        return (line.status_raw, line.qty, line.returned_qty, int(line.net_amount),
                line.seller_sku, line.product_name, line.variation, line.created_at_source,
                line.paid_at, line.buyer_province)
    return (line.status_raw, line.qty, line.returned_qty, line.net_amount, line.seller_sku,
            line.product_name, line.variation, line.created_at, line.paid_at,
            line.buyer_province)


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _existing(stall: Stall, lines: list[ParsedLine]) -> dict[tuple[str, str], ImportedSaleLine]:
    """Load the stored lines these parsed lines would replace, keyed by (platform, key)."""
    found: dict[tuple[str, str], ImportedSaleLine] = {}
    by_platform: dict[str, set[str]] = defaultdict(set)
    shopee_orders: set[str] = set()
    for line in lines:
        if line.platform == "shopee":
            shopee_orders.add(line.order_id)
        else:
            by_platform[line.platform].add(line.line_key)
    base = sa.select(ImportedSaleLine).where(ImportedSaleLine.stall_id == stall.id)
    for platform, keys in by_platform.items():
        for chunk in _chunks(sorted(keys)):
            for row in db.session.scalars(base.where(
                ImportedSaleLine.platform == platform, ImportedSaleLine.line_key.in_(chunk)
            )):
                found[(platform, row.line_key)] = row
    for chunk in _chunks(sorted(shopee_orders)):
        for row in db.session.scalars(base.where(
            ImportedSaleLine.platform == "shopee",
            ImportedSaleLine.external_order_id.in_(chunk),
        )):
            found[("shopee", row.line_key)] = row
    return found


def build_preview(stall: Stall, files: Sequence[UploadedFile],
                  overrides: dict[SkuKey, str | int | None] | None = None,
                  progress: Progress | None = None) -> Preview:
    """Parse the files and tell what saving them would count; write nothing."""
    results = _parse_all(files, progress)
    lines, duplicates = _dedupe(results)
    products = _stall_products(stall)
    weight = {p.id: Decimal(p.net_weight_kg or 0) for p in products}
    sku_lines: dict[SkuKey, list[ParsedLine]] = defaultdict(list)
    for line in lines:
        sku_lines[(line.platform, line.seller_sku)].append(line)
    mapping = _resolve_mapping(stall, products, sku_lines.keys(), overrides)

    totals = {cls: ClassTotals() for cls in STATUS_CLASSES}
    for line in lines:
        t = totals[line.status_class]
        t.lines += 1
        t.qty += line.qty
        t.returned_qty += line.returned_qty
        if line.status_class == "returned":
            t.amount += line.net_amount  # the money of the goods that came back
        else:
            t.amount += line.net_amount * line.net_qty // line.qty if line.qty else 0
        product_id = mapping[(line.platform, line.seller_sku)]
        if product_id is not None:
            t.kg += weight[product_id] * line.net_qty

    skus = [
        SkuRow(platform=k[0], sku=k[1], product_name=group[0].product_name, lines=len(group),
               qty=sum(x.qty for x in group), product_id=mapping[k])
        for k, group in sorted(sku_lines.items())
    ]
    unknown: Counter = Counter()
    for result in results:
        for status, n in result.unknown_statuses.items():
            unknown[(result.platform, status)] += n
    preview = Preview(
        stall=stall, files=results, lines=lines, totals=totals, skus=skus,
        unknown_statuses=[(p, s, n) for (p, s), n in sorted(unknown.items())],
        skipped=[(r.filename, row, reason) for r in results for row, reason in r.skipped],
        duplicates=duplicates, products=products, mapping=mapping,
    )
    existing = _existing(stall, lines)
    for line in lines:
        stored = existing.get((line.platform, line.line_key))
        if stored is None:
            preview.new += 1
        elif _fingerprint(stored) == _fingerprint(line):
            preview.unchanged += 1
        else:
            preview.changed += 1
    preview.remaps = remap_effects(stall, preview, overrides)
    return preview


def remap_effects(stall: Stall, preview: Preview,
                  overrides: dict[SkuKey, object] | None) -> list[RemapEffect]:
    """Tell, per SKU the user maps anew, what its stored lines would change (kg, VND)."""
    if not overrides:
        return []
    return _remap_effects(stall, preview.products, preview.mapping,
                          [k for k in overrides if k in preview.mapping])


def check_remap(stall: Stall, overrides: dict[SkuKey, str | int | None] | None
                ) -> list[RemapEffect]:
    """What the user's SKU choices would change in stored lines, without reading the files.

    A choice naming another stall's product is refused (ValidationError).
    """
    if not overrides:
        return []
    products = _stall_products(stall)
    mapping = _resolve_mapping(stall, products, overrides.keys(), overrides)
    return _remap_effects(stall, products, mapping, list(overrides))


def _remap_effects(stall: Stall, product_list: list[Product], mapping: dict[SkuKey, int | None],
                   keys: list[SkuKey]) -> list[RemapEffect]:
    products = {p.id: p for p in product_list}
    effects = []
    for key in sorted(keys):
        new_id = mapping[key]
        stored = list(db.session.scalars(sa.select(ImportedSaleLine).where(
            ImportedSaleLine.stall_id == stall.id, ImportedSaleLine.platform == key[0],
            ImportedSaleLine.seller_sku == key[1],
            sa.or_(ImportedSaleLine.product_id.is_(None), ImportedSaleLine.product_id != new_id)
            if new_id is not None else ImportedSaleLine.product_id.is_not(None),
        )))
        if not stored:
            continue
        new_weight = Decimal(products[new_id].net_weight_kg or 0) if new_id else Decimal(0)
        old_ids = {row.product_id for row in stored}
        old_id = old_ids.pop() if len(old_ids) == 1 else None
        counted = [row for row in stored if row.status_class in ("sale", "in_progress")]
        effects.append(RemapEffect(
            platform=key[0], sku=key[1],
            old_product=products[old_id].name if old_id in products else None,
            new_product=products[new_id].name if new_id else None,
            lines=len(stored), qty=sum(row.net_qty for row in counted),
            kg_before=sum((Decimal(row.net_weight_kg or 0) * row.net_qty for row in counted),
                          Decimal("0.000")),
            kg_after=sum((new_weight * row.net_qty for row in counted), Decimal("0.000")),
            vnd=sum(row.net_amount * row.net_qty // row.qty for row in counted if row.qty),
        ))
    return effects


def product_codes_overrides(stall: Stall, files: Sequence[UploadedFile],
                            pairs: Iterable[tuple[str, str]]) -> dict[SkuKey, int]:
    """Turn SKU=PRODUCT_CODE pairs into mapping choices for every platform the SKU is on."""
    pairs = list(pairs)
    if not pairs:
        return {}
    products = {p.code.upper(): p for p in _stall_products(stall)}
    lines, _dupes = _dedupe(_parse_all(files))
    keys = {(line.platform, line.seller_sku) for line in lines}
    overrides: dict[SkuKey, int] = {}
    for sku, code in pairs:
        product = products.get(code.strip().upper())
        if product is None:
            raise ValidationError("map", _("Gian hàng không có sản phẩm mã “%(code)s”.",
                                           code=code))
        matched = [key for key in keys if key[1] == sku]
        if not matched:
            raise ValidationError("map", _("Không có mã SKU “%(sku)s” trong các tệp.", sku=sku))
        overrides.update((key, product.id) for key in matched)
    return overrides


# ---------------------------------------------------------------- saving


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


def _save_mappings(stall: Stall, preview: Preview, overrides: dict[SkuKey, object]) -> None:
    saved = {
        (m.platform, m.seller_sku): m
        for m in db.session.scalars(sa.select(SkuMapping).where(SkuMapping.stall_id == stall.id))
    }
    weight = {p.id: Decimal(p.net_weight_kg or 0) for p in preview.products}
    for key in overrides:
        if key not in preview.mapping:
            continue
        product_id = preview.mapping[key]
        current = saved.get(key)
        if product_id is None and current is not None:
            db.session.delete(current)
        elif product_id is not None and current is None:
            db.session.add(SkuMapping(stall_id=stall.id, platform=key[0], seller_sku=key[1],
                                      product_id=product_id))
        elif product_id is not None:
            current.product_id = product_id
        # Lines imported earlier under this SKU follow the new mapping too.
        db.session.execute(
            sa.update(ImportedSaleLine)
            .where(ImportedSaleLine.stall_id == stall.id, ImportedSaleLine.platform == key[0],
                   ImportedSaleLine.seller_sku == key[1])
            .values(product_id=product_id,
                    net_weight_kg=weight.get(product_id) if product_id is not None else None)
        )


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
            _save_mappings(stall, preview, overrides)
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
    existing = _existing(stall, preview.lines)
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
            _fingerprint(stored[x.line_key]) == _fingerprint(x)
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
    for chunk in _chunks(replace):
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
    if _fingerprint(row) == _fingerprint(line) and row.product_id == product_id:
        outcome.unchanged += 1
        return
    outcome.updated += 1
    _apply(row, line, product_id, weight, import_id)


# ---------------------------------------------------------------- pending uploads (web)


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
    _parse_all(files)  # a bad file is refused before anything is kept
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


# ---------------------------------------------------------------- the background job (web)

IMPORT_JOB = "marketplace.imports.services.run_import_job"


def pending_stall(batch: str, user: User) -> Stall | None:
    """The stall of the user's pending upload (its bytes are not read), or None."""
    stall = db.session.scalar(
        sa.select(Stall).join(PendingImportFile, PendingImportFile.stall_id == Stall.id)
        .where(PendingImportFile.batch == batch, PendingImportFile.uploaded_by_id == user.id)
        .limit(1))
    return stall if stall is not None and can_import(user, stall) else None


def start_import(batch: str, user: User, overrides: dict[SkuKey, str | int | None] | None,
                 once: once_svc.Once, accept_remap: bool = False) -> int:
    """Queue the saving of a pending upload as a background job; return its run id.

    The one-time key is spent on the run: the same confirmation posted again answers with the
    same run, so one confirmation makes one run, and a run saves its import once.
    """
    started = False

    def act() -> int:
        nonlocal started
        stall = pending_stall(batch, user)
        if stall is None:
            raise Conflict(_("Lần tải lên này đã được lưu hoặc đã hết hạn."))
        if check_remap(stall, overrides) and not accept_remap:
            raise RemapNotConfirmed(_("Ghép lại mã SKU sẽ thay đổi số liệu đã có: hãy xem lại "
                                      "và xác nhận."))
        claim_id = once_svc.claim(once)
        run = job_progress.create("import", user.id, {
            "batch": batch, "stall_id": stall.id, "accept_remap": accept_remap,
            "overrides": [[p, sku, value] for (p, sku), value in (overrides or {}).items()],
        })
        once_svc.settle(claim_id, f"job:{run.id}")
        db.session.commit()
        started = True
        return run.id

    run_id = once_svc.run_once(once, act, _job_from_ref)
    if started:
        job_progress.enqueue(IMPORT_JOB, run_id)
    return run_id


def _job_from_ref(ref: str) -> int:
    kind, _sep, value = ref.partition(":")
    if kind != "job":
        raise Conflict(_("Biểu mẫu này đã được dùng cho việc khác. Vui lòng tải lại trang."))
    return int(value)


def run_import_job(run_id: int) -> None:
    """The background job: save the run's pending upload in one transaction, once."""
    run = job_progress.begin(run_id)
    if run is None:
        return  # already saved (a duplicate or late retry): nothing to do
    args = job_progress.params(run)
    user = db.session.get(User, run.user_id)
    reporter = job_progress.Reporter(run_id)

    def finish(outcome: ImportOutcome) -> bool:
        counts = ImportCounts.of(outcome)
        return job_progress.finish(run_id, {
            "inserted": counts.inserted, "updated": counts.updated,
            "unchanged": counts.unchanged, "removed": outcome.removed,
            "lines": len(outcome.preview.lines)})

    def work() -> None:
        pending = load_pending(args["batch"], user) if user is not None else None
        if pending is None:
            raise Conflict(_("Lần tải lên này đã được lưu hoặc đã hết hạn."))
        stall, files = pending
        overrides = {(p, sku): value for p, sku, value in args["overrides"]} or None
        save_import(stall, files, user=user, overrides=overrides, pending_batch=args["batch"],
                    accept_remap=args["accept_remap"], progress=reporter, finish=finish)

    job_progress.run_guarded(run_id, work)


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


__all__ = [
    "ImportCounts", "ImportFileError", "ImportOutcome", "Preview", "RemapEffect",
    "RemapNotConfirmed", "build_preview", "can_import", "check_remap", "run_import_job",
    "start_import", "product_codes_overrides", "remap_effects",
    "discard_pending", "importable_stalls", "load_pending", "recent_imports",
    "save_import", "stash_upload",
]
