"""Printable A4 label sheets: 3 × 7 labels, each with its QR, name, price, stall and code."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF

from marketplace import qr
from marketplace.catalog.gtin import validate_gtin
from marketplace.catalog.models import Product, Stall
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.formatting import format_vnd
from marketplace.provenance.models import Batch
from marketplace.provenance.services import product_url, public_url

PAGE_W, PAGE_H = 210.0, 297.0
COLS, ROWS = 3, 7
LABEL_W, LABEL_H = PAGE_W / COLS, PAGE_H / ROWS  # 70 × 42.4 mm, a common A4 sheet of 21
PAD = 3.0  # keeps text away from the cut and from a home printer's unprintable edge
QR_SIZE = 29.0  # mm, quiet zone included: about 0.8 mm per module for a short URL
MAX_COPIES_PER_LINE = 500
MAX_LABELS = 2100  # 100 pages

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
)


@dataclass(frozen=True)
class LabelLine:
    """Copies of one product's label, optionally of one batch."""

    product: Product
    batch: Batch | None
    copies: int


class FontMissing(RuntimeError):
    """No Unicode TTF font for Vietnamese text was found."""


def _font_files() -> tuple[str, str]:
    """Find DejaVu Sans (regular and bold): Vietnamese needs a Unicode TTF font."""
    dirs = [current_app.config.get("LABEL_FONT_DIR"), *FONT_DIRS]
    for folder in filter(None, dirs):
        regular = Path(folder) / "DejaVuSans.ttf"
        if regular.is_file():
            bold = Path(folder) / "DejaVuSans-Bold.ttf"
            return str(regular), str(bold if bold.is_file() else regular)
    raise FontMissing("DejaVuSans.ttf not found: apt-get install -y fonts-dejavu-core")


def parse_selection(stall: Stall, form: dict[str, str]) -> list[LabelLine]:
    """Read the label form: fields copies-<product id> and copies-<product id>-<batch id>."""
    products = {p.id: p for p in stall.products}
    batches = {
        b.id: b
        for b in db.session.scalars(
            sa.select(Batch).where(Batch.product_id.in_(list(products) or [0]))
        )
    }
    lines: list[LabelLine] = []
    total = 0
    for key, raw in form.items():
        if not key.startswith("copies-") or not (raw or "").strip():
            continue
        parts = key.split("-")[1:]
        try:
            ids = [int(p) for p in parts]
            copies = int(raw.strip())
        except ValueError:
            raise ValidationError(None, _("Số tem phải là số nguyên.")) from None
        if copies == 0:
            continue
        if not 0 < copies <= MAX_COPIES_PER_LINE:
            raise ValidationError(
                None, _("Số tem mỗi dòng từ 0 đến %(n)s.", n=MAX_COPIES_PER_LINE)
            )
        product = products.get(ids[0]) if ids else None
        batch = batches.get(ids[1]) if len(ids) == 2 else None
        if product is None or len(ids) > 2 or (len(ids) == 2 and
                                               (batch is None or batch.product_id != product.id)):
            raise ValidationError(None, _("Sản phẩm hoặc lô không thuộc gian hàng này."))
        lines.append(LabelLine(product, batch, copies))
        total += copies
    if total == 0:
        raise ValidationError(None, _("Chọn ít nhất một tem để in."))
    if total > MAX_LABELS:
        raise ValidationError(None, _("Tối đa %(n)s tem mỗi lần in.", n=MAX_LABELS))
    lines.sort(key=lambda line: (line.product.id, line.batch.id if line.batch else 0))
    return lines


def label_url(product: Product, lot: str | None, *, digital_link: bool = False) -> str:
    """Return the URL a label's QR encodes, with the flag that marks a real scan (s=1).

    digital_link: for a product with a GTIN, the GS1 Digital Link /01/<GTIN-14>[/10/<lot>],
    which any GS1 scanner app understands and which answers 303 to the product's page.
    """
    if digital_link and product.gtin:
        path = f"/01/{validate_gtin(product.gtin)}"
        if lot:
            path += "/10/" + quote(lot, safe="")
        return public_url(path + "?s=1")
    return product_url(product.code, lot, scan=True)


def _nfc(text: str) -> str:
    # Phones may send decomposed Vietnamese; the PDF draws precomposed glyphs only.
    return unicodedata.normalize("NFC", text or "")


def _fit_lines(pdf: FPDF, text: str, width: float, max_lines: int) -> list[str]:
    lines = pdf.multi_cell(width, 4, _nfc(text), dry_run=True, output="LINES")
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1].rstrip()
        while last and pdf.get_string_width(last + "…") > width - 1:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def build_sheet(stall: Stall, lines: list[LabelLine], *, digital_link: bool = False) -> bytes:
    """Return an A4 PDF with the requested labels, 21 per page (see label_url)."""
    regular, bold = _font_files()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(_nfc(_("Tem QR — %(stall)s", stall=stall.name)))
    pdf.set_creator("Chợ 4.0")
    pdf.add_font("DejaVu", fname=regular)
    pdf.add_font("DejaVu", style="B", fname=bold)
    pdf.set_draw_color(215, 215, 215)
    pdf.set_line_width(0.1)
    text_x = PAD + QR_SIZE + 1.5
    text_w = LABEL_W - text_x - PAD
    layouts: dict[tuple[int, int | None], dict] = {}
    pdf.add_page()  # text measuring needs a page
    slot = 0
    for line in lines:
        key = (line.product.id, line.batch.id if line.batch else None)
        layout = layouts.get(key)
        if layout is None:
            layout = layouts[key] = _layout(pdf, line, text_w, digital_link)
        for _copy in range(line.copies):
            if slot and slot % (COLS * ROWS) == 0:
                pdf.add_page()
            col, row = slot % COLS, (slot // COLS) % ROWS
            _draw(pdf, col * LABEL_W, row * LABEL_H, layout, text_x, text_w)
            slot += 1
    return bytes(pdf.output())


def _layout(pdf: FPDF, line: LabelLine, text_w: float, digital_link: bool) -> dict:
    product = line.product
    lot = line.batch.code if line.batch else None
    pdf.set_font("DejaVu", "B", 8.5)
    name = _fit_lines(pdf, product.name, text_w, 3)
    pdf.set_font("DejaVu", "", 6.5)
    stall = _fit_lines(pdf, product.stall.name, text_w, 2)
    pdf.set_font("DejaVu", "B", 10)
    return {
        "png": qr.qr_png(label_url(product, lot, digital_link=digital_link), box_size=8),
        "code": product.code,
        "code_x": (QR_SIZE - pdf.get_string_width(product.code)) / 2,
        "name": name,
        "price": format_vnd(product.price),
        "unit": _nfc("/ " + product.unit),
        "stall": stall,
        "lot": _nfc(_("Lô: %(lot)s", lot=lot)) if lot else None,
    }


def _draw(pdf: FPDF, x: float, y: float, layout: dict, text_x: float, text_w: float) -> None:
    # text() places a baseline directly: cell() costs ~10× more and a sheet has thousands.
    pdf.rect(x, y, LABEL_W, LABEL_H)  # hairline cut guide, pale enough to vanish on label paper
    qr_x, qr_y = x + PAD - 1.5, y + PAD - 1.5
    pdf.image(io.BytesIO(layout["png"]), qr_x, qr_y, QR_SIZE, QR_SIZE)
    pdf.set_font("DejaVu", "B", 10)
    pdf.text(qr_x + layout["code_x"], qr_y + QR_SIZE + 3.6, layout["code"])
    tx, cy = x + text_x, y + PAD + 2.9
    pdf.set_font("DejaVu", "B", 8.5)
    for text in layout["name"]:
        pdf.text(tx, cy, text)
        cy += 3.8
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.text(tx, cy + 1.4, layout["price"])
    pdf.set_font("DejaVu", "", 7.5)
    pdf.text(tx, cy + 4.8, layout["unit"])
    cy += 8.4
    pdf.set_font("DejaVu", "", 6.5)
    for text in layout["stall"]:
        pdf.text(tx, cy, text)
        cy += 3
    if layout["lot"]:
        pdf.text(tx, cy + 0.5, layout["lot"])
