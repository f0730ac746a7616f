"""Provenance use cases: keep batches, the diary and certificates; assemble the public page."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from marketplace.catalog.models import (
    CERTIFICATE_KINDS,
    Certificate,
    Product,
    ProductImage,
    Stall,
)
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.provenance.models import Batch, ScanEvent, TimelineStep
from marketplace.provenance.versions import invalidate_product_pages
from marketplace.sanitize import text_field
from marketplace.storage import save_image

MAX_TIMELINE_STEPS = 40  # on the public page; the page must stay small on a cheap phone


def product_path(code: str, lot: str | None = None, *, scan: bool = False) -> str:
    """Return the permanent path of a product's page (printed on labels: never change it).

    scan: add the flag (s=1) that labels printed since it came in carry, so a visit through it
    counts as a QR scan rather than browsing.
    """
    query = {"lot": lot} if lot else {}
    if scan:
        query["s"] = "1"
    return f"/p/{code}?{urlencode(query)}" if query else f"/p/{code}"


def public_url(path: str) -> str:
    """Return an absolute URL on the public site (PUBLIC_BASE_URL)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def product_url(code: str, lot: str | None = None, *, scan: bool = False) -> str:
    """Return the absolute URL of a product's (or batch's) page; scan: as its QR label has it."""
    return public_url(product_path(code, lot, scan=scan))


# --- Input rules ----------------------------------------------------------------------------


def _batch_values(product: Product, data: dict, batch: Batch | None = None) -> dict:
    code = text_field(data.get("code"), "code", 40, required=True)
    if any(ord(ch) < 32 for ch in code):
        raise ValidationError("code", _("Mã lô có ký tự không hợp lệ."))
    duplicate = db.session.scalar(
        sa.select(Batch.id).where(Batch.product_id == product.id, Batch.code == code)
    )
    if duplicate is not None and (batch is None or duplicate != batch.id):
        raise ValidationError("code", _("Sản phẩm đã có lô mã %(code)s.", code=code))
    quantity = data.get("quantity")
    if quantity is not None and quantity < 0:
        raise ValidationError("quantity", _("Số lượng không được âm."))
    produced_on, best_before = data.get("produced_on"), data.get("best_before")
    if produced_on and best_before and best_before < produced_on:
        raise ValidationError("best_before", _("Hạn dùng phải sau ngày thu hoạch/sản xuất."))
    return {
        "code": code,
        "produced_on": produced_on,
        "quantity": quantity,
        "best_before": best_before,
        "note": text_field(data.get("note"), "note", 2000, multiline=True),
    }


def _step_values(data: dict) -> dict:
    if data.get("happened_on") is None:
        raise ValidationError("happened_on", _("Vui lòng chọn ngày."))
    return {
        "happened_on": data["happened_on"],
        "step": text_field(data.get("step"), "step", 160, required=True),
        "note": text_field(data.get("note"), "note", 2000, multiline=True),
    }


def _certificate_values(data: dict) -> dict:
    kind = data.get("kind")
    if kind not in CERTIFICATE_KINDS:
        raise ValidationError("kind", _("Vui lòng chọn loại chứng nhận."))
    return {
        "kind": kind,
        "number": text_field(data.get("number"), "number", 80, required=True),
        "issuer": text_field(data.get("issuer"), "issuer", 160),
        "valid_until": data.get("valid_until"),
    }


PHOTO_SIDE = 1200  # a certificate must stay readable; a diary photo needs no more


def _attach_photo(record: TimelineStep | Certificate, photo: bytes | None) -> None:
    """Store an uploaded photo (checked and resized) on a diary step or a certificate."""
    if not photo:
        return
    try:
        record.image = save_image(photo, max_side=PHOTO_SIDE)
    except ValidationError as exc:
        raise ValidationError("photo", exc.reason) from None


def _commit() -> None:
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError(
            None, _("Dữ liệu vừa bị thay đổi ở nơi khác, vui lòng thử lại.")
        ) from None
    invalidate_product_pages()


# --- Batches ---------------------------------------------------------------------------------


def add_batch(product: Product, data: dict) -> Batch:
    """Add a batch (lot) to a product."""
    batch = Batch(product=product, **_batch_values(product, data))
    db.session.add(batch)
    _commit()
    return batch


def update_batch(batch: Batch, data: dict) -> Batch:
    """Change a batch's code, dates, quantity or note."""
    values = _batch_values(batch.product, data, batch)
    for key, value in values.items():
        setattr(batch, key, value)
    _commit()
    return batch


def delete_batch(batch: Batch) -> None:
    """Delete a batch; its past scans stay counted against the product."""
    db.session.execute(
        sa.update(ScanEvent).where(ScanEvent.batch_id == batch.id).values(batch_id=None)
    )
    db.session.delete(batch)
    _commit()


# --- Timeline --------------------------------------------------------------------------------


def add_step(product: Product, data: dict, photo: bytes | None = None) -> TimelineStep:
    """Add a step (with a photo, if given) to a product's cultivation and processing diary."""
    step = TimelineStep(product=product, **_step_values(data))
    _attach_photo(step, photo)
    db.session.add(step)
    _commit()
    return step


def update_step(step: TimelineStep, data: dict, photo: bytes | None = None) -> TimelineStep:
    """Change a diary step; a new photo replaces the old one."""
    for key, value in _step_values(data).items():
        setattr(step, key, value)
    _attach_photo(step, photo)
    _commit()
    return step


def delete_step(step: TimelineStep) -> None:
    """Delete a diary step."""
    db.session.delete(step)
    _commit()


# --- Certificates ----------------------------------------------------------------------------


def add_certificate(product: Product, data: dict, *, for_stall: bool = False,
                    photo: bytes | None = None) -> Certificate:
    """Add a certificate (with a scan, if given) to a product, or to its whole stall."""
    values = _certificate_values(data)
    if for_stall:
        cert = Certificate(stall=product.stall, **values)
    else:
        cert = Certificate(product=product, **values)
    _attach_photo(cert, photo)
    db.session.add(cert)
    _commit()
    return cert


def update_certificate(cert: Certificate, data: dict, photo: bytes | None = None) -> Certificate:
    """Change a certificate's kind, number, issuer, expiry or scan."""
    for key, value in _certificate_values(data).items():
        setattr(cert, key, value)
    _attach_photo(cert, photo)
    _commit()
    return cert


def delete_certificate(cert: Certificate) -> None:
    """Delete a certificate."""
    db.session.delete(cert)
    _commit()


# --- Reading -----------------------------------------------------------------------------------


def records_of(product: Product) -> tuple[list[Batch], list[TimelineStep], list[Certificate]]:
    """Return a product's batches (newest first), diary (in order) and certificates."""
    batches = list(
        db.session.scalars(
            sa.select(Batch)
            .where(Batch.product_id == product.id)
            .order_by(Batch.produced_on.desc().nulls_last(), Batch.id.desc())
        )
    )
    steps = list(
        db.session.scalars(
            sa.select(TimelineStep)
            .where(TimelineStep.product_id == product.id)
            .order_by(TimelineStep.happened_on, TimelineStep.id)
        )
    )
    return batches, steps, certificates_of(product)


def batches_by_product(stall: Stall) -> dict[int, list[Batch]]:
    """Return a stall's batches grouped by product id, newest first."""
    grouped: dict[int, list[Batch]] = {}
    rows = db.session.scalars(
        sa.select(Batch)
        .join(Product)
        .where(Product.stall_id == stall.id)
        .order_by(Batch.produced_on.desc().nulls_last(), Batch.id.desc())
    )
    for batch in rows:
        grouped.setdefault(batch.product_id, []).append(batch)
    return grouped


def certificates_of(product: Product) -> list[Certificate]:
    """Return the product's own certificates, then its stall's."""
    return list(db.session.scalars(
        sa.select(Certificate)
        .where(sa.or_(Certificate.product_id == product.id,
                      Certificate.stall_id == product.stall_id))
        .order_by(Certificate.product_id.is_(None), Certificate.id)
    ))


def find_product(code: str) -> Product | None:
    """Find a product by its canonical code, with its stall."""
    return db.session.scalar(
        sa.select(Product).where(Product.code == code).options(joinedload(Product.stall)))


def find_batch(product: Product, lot: str) -> Batch | None:
    """Find a batch by the code on its label (exact spelling first, then any case)."""
    lot = lot.strip()
    if not lot:
        return None
    candidates = db.session.scalars(
        sa.select(Batch)
        .where(Batch.product_id == product.id, sa.func.lower(Batch.code) == lot.lower())
        .limit(5)
    ).all()
    exact = [b for b in candidates if b.code == lot]
    return (exact or candidates or [None])[0]


def is_for_sale(product: Product) -> bool:
    """Tell whether the product and its stall are still active."""
    return product.active and product.stall.active


# --- The public page: plain rows, read with prebuilt Core queries (the busiest page) --------


@dataclass(frozen=True)
class PageCertificate:
    """A certificate as the public page shows it."""

    kind: str
    number: str
    issuer: str
    valid_until: date | None
    image_id: int | None = None  # a scan of the certificate

    def is_expired(self, today: date) -> bool:
        return self.valid_until is not None and self.valid_until < today

    @functools.cached_property
    def kind_label(self) -> str:  # shown up to three times: translated once
        return str(CERTIFICATE_KINDS.get(self.kind, self.kind))


booth_asked = Namespace().signal("provenance-booth-asked")
"""Sent once, when the product page builds its query (sender: the stall id column).

Fairs (above provenance) answers with a function that outer-joins a select to the stall's booth
at a fair open at :now and adds its columns booth__fair_id, booth__booth_number,
booth__fair_name, booth__fair_slug and booth__fair_ends_at; without an answer the page shows no
booth.
"""
BOOTH_COLUMNS = ("fair_id", "booth_number", "fair_name", "fair_slug", "fair_ends_at")


@dataclass(frozen=True)
class PageBooth:
    """A stall's booth at a fair open now, as the page shows it."""

    fair_id: int
    booth_number: str | None
    fair_name: str
    fair_slug: str
    fair_ends_at: datetime


@dataclass(frozen=True)
class PageStep:
    """A diary step as the public page shows it."""

    happened_on: date
    step: str
    note: str | None
    image_id: int | None


@functools.cache
def _page_queries() -> dict[str, sa.Select]:
    """Build the public page's queries once: no per-request statement building."""
    t, c = TimelineStep.__table__, Certificate.__table__
    pid = sa.bindparam("pid")
    # The diary (its newest steps) and the certificates in one statement: kind 0 and 1, in
    # display order (diary by date, the product's certificates before its stall's).
    steps = (sa.select(t.c.id, t.c.happened_on, t.c.step, t.c.note, t.c.image_id)
             .where(t.c.product_id == pid)
             .order_by(t.c.happened_on.desc(), t.c.id.desc()).limit(MAX_TIMELINE_STEPS)
             .subquery())
    certificates = (sa.select(c.c.id, c.c.kind, c.c.number, c.c.issuer, c.c.valid_until,
                              c.c.image_id, c.c.product_id.is_(None).label("of_stall"))
                    .where(sa.or_(c.c.product_id == pid,
                                  c.c.stall_id == sa.bindparam("stall_id"))).subquery())
    no_date, no_text = sa.cast(sa.null(), t.c.happened_on.type), sa.cast(sa.null(), c.c.issuer.type)
    records = sa.union_all(
        sa.select(sa.literal(0).label("kind_of_row"), steps.c.happened_on.label("day"),
                  steps.c.step.label("a"), steps.c.note.label("b"), no_text.label("c"),
                  steps.c.image_id, sa.literal(False).label("of_stall"), steps.c.id),
        sa.select(sa.literal(1), certificates.c.valid_until, certificates.c.kind,
                  certificates.c.number, certificates.c.issuer, certificates.c.image_id,
                  certificates.c.of_stall, certificates.c.id),
    ).subquery()
    return {
        "records": sa.select(records.c.kind_of_row, records.c.day, records.c.a, records.c.b,
                             records.c.c, records.c.image_id)
        .order_by(records.c.kind_of_row, records.c.of_stall,
                  sa.case((records.c.kind_of_row == 0, records.c.day), else_=no_date),
                  records.c.id),
    }


class PageRecord:
    """A row's columns as attributes: the page reads its product and stall without the ORM."""

    def __init__(self, columns: dict):
        self.__dict__.update(columns)


class PageProduct(PageRecord):
    """The product on the page, with its stall and the batch the page shows (PageRecords)."""

    stall: PageRecord
    batch: PageRecord | None  # id, code, produced_on, quantity, best_before, note
    batch_is_labelled: bool  # the label's lot, rather than the latest batch
    booth: PageBooth | None  # the stall's booth at a fair open now
    provenance = Product.provenance  # the product's producer field, else its stall's


PRODUCT_COLUMNS = ("id", "stall_id", "code", "name", "description", "unit", "net_weight_kg",
                   "price", "stock", "gtin", "active", "variety", "planting_year", "harvest_start",
                   "harvest_end", "ocop_stars", "ocop_year", "producer_name", "producer_kind",
                   "producer_address", "growing_area", "growing_area_code")
STALL_COLUMNS = ("id", "owner_id", "name", "slug", "commune", "district", "province", "phone",
                 "zalo", "active", "producer_name", "producer_kind", "producer_address",
                 "growing_area", "growing_area_code")
BATCH_COLUMNS = ("id", "code", "produced_on", "quantity", "best_before", "note")


@functools.cache
def _page_product_query() -> sa.Select:
    p, s, i, b = Product.__table__, Stall.__table__, ProductImage.__table__, Batch.__table__
    first_photo = (sa.select(i.c.image_id).where(i.c.product_id == p.c.id)
                   .order_by(i.c.position, i.c.id).limit(1).scalar_subquery())
    lot = (sa.select(b.c.id).where(b.c.product_id == p.c.id,
                                   sa.func.lower(b.c.code) == sa.bindparam("lower"))
           .order_by((b.c.code == sa.bindparam("exact")).desc(), b.c.id).limit(1)
           .scalar_subquery())
    latest = (sa.select(b.c.id).where(b.c.product_id == p.c.id)
              .order_by(b.c.produced_on.desc().nulls_last(), b.c.id.desc()).limit(1)
              .scalar_subquery())
    shown = b.alias("shown")
    # Only what the page shows: each column costs its conversion on every page.
    query = (sa.select(*(p.c[name] for name in PRODUCT_COLUMNS),
                       *(s.c[name].label(f"stall__{name}") for name in STALL_COLUMNS),
                       *(shown.c[name].label(f"batch__{name}") for name in BATCH_COLUMNS),
                       lot.label("lot_batch_id"), first_photo.label("photo_id"))
             .join(s, s.c.id == p.c.stall_id)
             .outerjoin(shown, shown.c.id == sa.func.coalesce(lot, latest))
             .where(p.c.code == sa.bindparam("code")))
    for _receiver, join_booth in booth_asked.send(s.c.id):
        if join_booth is not None:
            return join_booth(query)
    return query.add_columns(*(sa.null().label(f"booth__{name}") for name in BOOTH_COLUMNS))


@contextmanager
def page_reads() -> Iterator[sa.Connection]:
    """A connection of its own for the public page's two reads (no ORM session, as the busiest
    page needs none), ended with COMMIT rather than ROLLBACK: psycopg 3 forgets a connection's
    prepared statements on ROLLBACK, so on PostgreSQL every page would parse and plan its
    statements again (about 1 ms for the product row). Nothing is written; COMMIT ends the
    read the same way."""
    with db.engine.connect() as conn:
        yield conn
        conn.commit()


def find_page_product(conn: sa.Connection, code: str, lot: str | None = None
                      ) -> tuple[PageProduct | None, int | None]:
    """Find a product by its canonical code, with its stall, the batch its page shows (the
    label's lot in any case, else the latest), its stall's booth at a fair open now and its
    first photo's id: one query."""
    wanted = lot.strip() if lot else ""  # "" names no batch: a batch code is never empty
    row = conn.execute(
        _page_product_query(),
        {"code": code, "lower": wanted.lower(), "exact": wanted, "now": utcnow()}).first()
    if row is None:
        return None, None
    columns = row._asdict()
    photo_id = columns.pop("photo_id")
    product = PageProduct(columns)
    product.stall = PageRecord({name: columns.pop(f"stall__{name}") for name in STALL_COLUMNS})
    batch = {name: columns.pop(f"batch__{name}") for name in BATCH_COLUMNS}
    product.batch = PageRecord(batch) if batch["id"] is not None else None
    product.batch_is_labelled = columns.pop("lot_batch_id") is not None
    booth = {name: columns.pop(f"booth__{name}") for name in BOOTH_COLUMNS}
    product.booth = PageBooth(**booth) if booth["fair_id"] is not None else None
    return product, photo_id


@dataclass
class ProductPage:
    """Everything the public provenance page shows."""

    product: PageProduct
    stall: PageRecord
    batch: PageRecord | None  # id, code, produced_on, quantity, best_before, note
    batch_is_labelled: bool
    missing_lot: str | None
    steps: list[PageStep]
    certificates: list[PageCertificate]
    booth: PageBooth | None
    today: date

    @property
    def batch_expired(self) -> bool:
        """The lot shown is past its best-before date (it is not sold)."""
        best_before = self.batch.best_before if self.batch is not None else None
        return best_before is not None and best_before < self.today

    @property
    def off_season(self) -> bool:
        """The harvest is over and its last lot is past its best-before: out of season, the
        page shows the season rather than an expired lot on sale (a label naming that lot
        still says it is past its date)."""
        start, end = self.product.harvest_start, self.product.harvest_end
        return (start is not None and end is not None and end < self.today
                and self.batch_expired and not self.batch_is_labelled)


def product_page(conn: sa.Connection, product: PageProduct, lot: str | None) -> ProductPage:
    """Assemble the public page of a product found by find_page_product(conn, code, lot)."""
    queries, run = _page_queries(), conn.execute
    ids = {"pid": product.id, "stall_id": product.stall_id}
    wanted = lot.strip() if lot else ""
    labelled = product.batch_is_labelled
    today = vn_today()
    steps, certificates = [], []
    for kind_of_row, day, a, b, c, image_id in run(queries["records"], ids):
        if kind_of_row == 0:
            steps.append(PageStep(day, a, b, image_id))
        else:
            certificates.append(PageCertificate(a, b, c, day, image_id))
    return ProductPage(
        product=product,
        stall=product.stall,
        batch=product.batch,
        batch_is_labelled=labelled,
        missing_lot=wanted if wanted and not labelled else None,
        steps=steps,
        # Certificates in force first; an expired one stays on the page, marked, after them.
        certificates=sorted(certificates, key=lambda cert: cert.is_expired(today)),
        booth=product.booth,
        today=today,
    )


def json_ld(page: ProductPage, image_url: str | None) -> dict:
    """Return the schema.org Product description of the page (for search engines and apps)."""
    product, stall = page.product, page.stall
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.code,
        "url": product_url(product.code),
        "brand": {"@type": "Brand", "name": stall.name},
        "offers": {
            "@type": "Offer",
            "price": str(product.price),
            "priceCurrency": "VND",
            "availability": "https://schema.org/"
            + ("InStock" if product.stock > 0 else "OutOfStock"),
            "url": product_url(product.code),
        },
    }
    if product.description:
        data["description"] = product.description[:500]
    if image_url:
        data["image"] = image_url
    if product.gtin:
        data["gtin"] = product.gtin
    producer = product.provenance("producer_name")
    if producer:
        data["manufacturer"] = {"@type": "Organization", "name": producer}
    if page.batch is not None and page.batch_is_labelled:
        data["productID"] = f"{product.code}/{page.batch.code}"
    return data

