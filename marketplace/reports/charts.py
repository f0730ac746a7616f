"""Server-rendered SVG charts: bars by day or stall and progress toward a goal, print-friendly."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from markupsafe import Markup, escape

from marketplace.formatting import format_number

INK = "#111"
# Hatching tells provisional from confirmed without relying on colour (prints in black).
_HATCH = (
    '<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="{ink}" stroke-width="2.5"/></pattern></defs>'
)


def _svg(width: int, height: int, title: str, body: str, *, grow: bool = False) -> Markup:
    # Charts shrink to fit a phone; only those meant for a big screen also grow past their size
    # (a three-day column chart blown up to a laptop's width would have 36-pixel labels).
    size = "100%" if grow else str(width)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{size}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def short_number(value) -> str:
    """Return a compact number for bar labels: 1,2 triệu, 350 nghìn, 12 (in words, not 'N')."""
    value = float(value or 0)
    if abs(value) >= 1_000_000_000:
        return _("%(n)s tỷ", n=format_number(value / 1_000_000_000, 1))
    if abs(value) >= 1_000_000:
        return _("%(n)s triệu", n=format_number(value / 1_000_000, 1))
    if abs(value) >= 10_000:
        return _("%(n)s nghìn", n=format_number(value / 1_000))
    return format_number(value) if value == int(value) else format_number(value, 1)


def column_chart(items: list[tuple[str, float]], title: str) -> Markup:
    """Draw vertical bars (e.g. sales per day) with the value written above each bar."""
    if not items:
        return Markup("")
    bar, gap, top, bottom, height = 36, 10, 22, 40, 220
    texts = [(short_number(value), str(label)) for label, value in items]
    # Each bar gets a slot as wide as its widest text (about 7 px a character at 12 px), so
    # "79,2 triệu" over one bar never runs into the next one's figure.
    slot = max(bar + gap, max(len(t) for pair in texts for t in pair) * 7 + gap)
    width = max(320, len(items) * slot + gap)
    biggest = max((float(v) for _, v in items), default=0) or 1
    plot = height - top - bottom
    parts = [f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
             f'stroke="{INK}"/>']
    for i, (label, value) in enumerate(items):
        x = gap + i * slot + (slot - gap - bar) / 2
        h = max(1, round(plot * float(value) / biggest)) if value else 0
        y = height - bottom - h
        parts.append(f'<rect x="{x}" y="{y}" width="{bar}" height="{h}" fill="#444"/>')
        parts.append(f'<text x="{x + bar / 2}" y="{y - 5}" text-anchor="middle">'
                     f"{escape(short_number(value))}</text>")
        parts.append(f'<text x="{x + bar / 2}" y="{height - bottom + 15}" text-anchor="middle">'
                     f"{escape(label)}</text>")
    return _svg(width, height, title, "".join(parts))


def bar_chart(items: list[tuple[str, float]], title: str) -> Markup:
    """Draw horizontal bars (e.g. sales per stall) with the name and value on each row."""
    if not items:
        return Markup("")
    row, label_w, value_w, width = 26, 200, 90, 640
    plot = width - label_w - value_w
    biggest = max((float(v) for _, v in items), default=0) or 1
    parts = []
    for i, (label, value) in enumerate(items):
        y = 6 + i * row
        w = max(1, round(plot * float(value) / biggest)) if value else 0
        name = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">'
                     f"{escape(name)}</text>")
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{row - 8}" fill="#444"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 14}">'
                     f"{escape(short_number(value))}</text>")
    return _svg(width, 12 + len(items) * row, title, "".join(parts))


def progress_chart(confirmed, provisional, goal, *, title: str, unit: str,
                   confirmed_label: str, provisional_label: str) -> Markup:
    """Draw a bar toward a goal: solid for confirmed, hatched for still-provisional sales."""
    width, height, bar_y, bar_h = 640, 96, 28, 34
    goal = float(goal or 0)
    scale = max(goal, float(provisional or 0), float(confirmed or 0)) or 1
    w_conf = round(width * min(float(confirmed or 0), scale) / scale)
    w_prov = round(width * min(float(provisional or 0), scale) / scale)
    parts = [_HATCH.format(id="hatch-prov", ink=INK)]
    parts.append(f'<rect x="0" y="{bar_y}" width="{width}" height="{bar_h}" fill="#fff" '
                 f'stroke="{INK}" stroke-width="2"/>')
    if w_prov > w_conf:
        parts.append(f'<rect x="{w_conf}" y="{bar_y}" width="{w_prov - w_conf}" '
                     f'height="{bar_h}" fill="url(#hatch-prov)" stroke="{INK}"/>')
    if w_conf:
        parts.append(f'<rect x="0" y="{bar_y}" width="{w_conf}" height="{bar_h}" fill="#222"/>')
    if goal:
        gx = round(width * goal / scale)
        parts.append(f'<line x1="{gx}" y1="{bar_y - 8}" x2="{gx}" y2="{bar_y + bar_h + 8}" '
                     f'stroke="{INK}" stroke-width="3"/>')
        parts.append(f'<text x="{min(gx, width - 2)}" y="{bar_y - 12}" text-anchor="end" '
                     f'font-weight="bold">{escape(unit)}</text>')
    legend_y = bar_y + bar_h + 24
    parts.append(f'<rect x="0" y="{legend_y - 11}" width="14" height="14" fill="#222"/>'
                 f'<text x="20" y="{legend_y}">{escape(confirmed_label)}</text>')
    parts.append(f'<rect x="330" y="{legend_y - 11}" width="14" height="14" '
                 f'fill="url(#hatch-prov)" stroke="{INK}"/>'
                 f'<text x="350" y="{legend_y}">{escape(provisional_label)}</text>')
    return _svg(width, height, title, "".join(parts), grow=True)


def weight_text(kg: Decimal | None, *, tonnes: bool, digits: int = 1,
                compact: bool = False) -> str:
    """Show a weight in tonnes ('32,4') or kg ('1.250,5'), Vietnamese decimal comma."""
    if kg is None:
        return ""
    value = Decimal(kg) / 1000 if tonnes else Decimal(kg)
    if compact and value == value.to_integral_value():
        return format_number(value)
    return format_number(value, digits)
