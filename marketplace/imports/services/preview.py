"""The preview of an import: what saving the files would count, computed before anything is
written, and how the new lines compare with those stored under the same keys."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine
from marketplace.imports.parsers import STATUS_CLASSES, ParsedLine, ParseResult
from marketplace.imports.services.mapping import RemapEffect, remap_effects_for, resolve_mapping
from marketplace.imports.services.uploads import (
    Progress,
    SkuKey,
    UploadedFile,
    dedupe,
    read_files,
    stall_products,
)

CHUNK = 500


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


def fingerprint(line) -> tuple:
    """The values that make a stored line differ from a parsed one."""
    if isinstance(line, ImportedSaleLine):
        return (line.status_raw, line.qty, line.returned_qty, int(line.net_amount),
                line.seller_sku, line.product_name, line.variation, line.created_at_source,
                line.paid_at, line.buyer_province)
    return (line.status_raw, line.qty, line.returned_qty, line.net_amount, line.seller_sku,
            line.product_name, line.variation, line.created_at, line.paid_at,
            line.buyer_province)


def chunks(items: list, size: int = CHUNK):
    """The items in slices of `size`, so no IN (…) list grows past it."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def stored_lines(stall: Stall,
                 lines: list[ParsedLine]) -> dict[tuple[str, str], ImportedSaleLine]:
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
        for chunk in chunks(sorted(keys)):
            for row in db.session.scalars(base.where(
                ImportedSaleLine.platform == platform, ImportedSaleLine.line_key.in_(chunk)
            )):
                found[(platform, row.line_key)] = row
    for chunk in chunks(sorted(shopee_orders)):
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
    results = read_files(files, progress)
    lines, duplicates = dedupe(results)
    products = stall_products(stall)
    weight = {p.id: Decimal(p.net_weight_kg or 0) for p in products}
    sku_lines: dict[SkuKey, list[ParsedLine]] = defaultdict(list)
    for line in lines:
        sku_lines[(line.platform, line.seller_sku)].append(line)
    mapping = resolve_mapping(stall, products, sku_lines.keys(), overrides)

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
    existing = stored_lines(stall, lines)
    for line in lines:
        stored = existing.get((line.platform, line.line_key))
        if stored is None:
            preview.new += 1
        elif fingerprint(stored) == fingerprint(line):
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
    return remap_effects_for(stall, preview.products, preview.mapping,
                             [k for k in overrides if k in preview.mapping])


