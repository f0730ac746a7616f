"""SKU mapping: which product each marketplace SKU counts as, and what mapping a SKU anew would
change in the lines stored under it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine, SkuMapping
from marketplace.imports.parsers import _
from marketplace.imports.services.uploads import (
    SkuKey,
    UploadedFile,
    dedupe,
    read_files,
    stall_products,
)


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


def resolve_mapping(stall: Stall, products: list[Product], keys: Iterable[SkuKey],
                    overrides: dict[SkuKey, str | int | None] | None) -> dict[SkuKey, int | None]:
    """The product each SKU counts as: the user's choice, else the stall's saved mapping.

    A choice naming another stall's product is refused (ValidationError).
    """
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


def check_remap(stall: Stall, overrides: dict[SkuKey, str | int | None] | None
                ) -> list[RemapEffect]:
    """What the user's SKU choices would change in stored lines, without reading the files.

    A choice naming another stall's product is refused (ValidationError).
    """
    if not overrides:
        return []
    products = stall_products(stall)
    mapping = resolve_mapping(stall, products, overrides.keys(), overrides)
    return remap_effects_for(stall, products, mapping, list(overrides))


def remap_effects_for(stall: Stall, product_list: list[Product],
                      mapping: dict[SkuKey, int | None], keys: list[SkuKey]) -> list[RemapEffect]:
    """Per SKU of `keys`, what its stored lines would change under `mapping` (kg, VND)."""
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
    products = {p.code.upper(): p for p in stall_products(stall)}
    lines, _dupes = dedupe(read_files(files))
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


def save_mappings(stall: Stall, products: list[Product], mapping: dict[SkuKey, int | None],
                  overrides: dict[SkuKey, object]) -> None:
    """Keep the user's SKU choices, and move the lines stored under those SKUs with them."""
    saved = {
        (m.platform, m.seller_sku): m
        for m in db.session.scalars(sa.select(SkuMapping).where(SkuMapping.stall_id == stall.id))
    }
    weight = {p.id: Decimal(p.net_weight_kg or 0) for p in products}
    for key in overrides:
        if key not in mapping:
            continue
        product_id = mapping[key]
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
