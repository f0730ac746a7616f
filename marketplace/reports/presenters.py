"""Turn report figures into what pages show: chart SVGs, progress texts, board JSON."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import url_for as _url_for
from flask_babel import gettext as _
from markupsafe import Markup

from marketplace.fairs.models import Campaign, Fair
from marketplace.formatting import format_datetime_local, format_number, format_vnd, to_local
from marketplace.reports.charts import bar_chart, column_chart, progress_chart, weight_text
from marketplace.reports.figures import Board, Progress, Report


def url(endpoint: str, **values) -> str:
    """Build a URL (kept here so views stay short)."""
    return _url_for(endpoint, **values)


def _uses_tonnes(progress: Progress) -> bool:
    goal = progress.goal_kg
    reference = goal if goal is not None else progress.kg_provisional
    return Decimal(reference or 0) >= 1000


def progress_view(progress: Progress, campaign: Campaign) -> dict:
    """Return the campaign progress as texts ('32,4 / 50 tấn') and a progress chart."""
    tonnes = _uses_tonnes(progress)
    unit = _("tấn") if tonnes else "kg"
    digits = 1 if tonnes else 3
    confirmed = weight_text(progress.kg_confirmed, tonnes=tonnes, digits=digits)
    provisional = weight_text(progress.kg_provisional, tonnes=tonnes, digits=digits)
    goal_kg = progress.goal_kg
    goal = weight_text(goal_kg, tonnes=tonnes, digits=digits, compact=True)
    view = {
        "unit": unit,
        "kg_confirmed": f"{confirmed} {unit}",
        "kg_provisional": f"{provisional} {unit}",
        "kg_text": f"{confirmed} / {goal} {unit}" if goal_kg is not None else f"{confirmed} {unit}",
        "vnd_confirmed": format_vnd(progress.vnd_confirmed),
        "vnd_provisional": format_vnd(progress.vnd_provisional),
        "vnd_text": (
            f"{format_vnd(progress.vnd_confirmed)} / {format_vnd(progress.goal_vnd)}"
            if progress.goal_vnd is not None else format_vnd(progress.vnd_confirmed)
        ),
        "percent_kg": _percent_text(progress.percent_kg),
        "percent_vnd": _percent_text(progress.percent_vnd),
        "chart": Markup(""),
    }
    if goal_kg is not None:
        view["chart"] = progress_chart(
            progress.kg_confirmed, progress.kg_provisional, goal_kg,
            title=_("Tiến độ so với mục tiêu %(goal)s %(unit)s", goal=goal, unit=unit),
            unit=_("Mục tiêu %(goal)s %(unit)s", goal=goal, unit=unit),
            confirmed_label=_("Đã chốt: %(v)s", v=view["kg_confirmed"]),
            provisional_label=_("Tạm tính: %(v)s", v=view["kg_provisional"]),
        )
    elif progress.goal_vnd is not None:
        view["chart"] = progress_chart(
            progress.vnd_confirmed, progress.vnd_provisional, progress.goal_vnd,
            title=_("Tiến độ so với mục tiêu %(goal)s", goal=format_vnd(progress.goal_vnd)),
            unit=_("Mục tiêu %(goal)s", goal=format_vnd(progress.goal_vnd)),
            confirmed_label=_("Đã chốt: %(v)s", v=view["vnd_confirmed"]),
            provisional_label=_("Tạm tính: %(v)s", v=view["vnd_provisional"]),
        )
    return view


def _percent_text(value: float | None) -> str:
    return "" if value is None else format_number(value, 1) + " %"


def charts(report: Report, campaign: Campaign | None = None) -> dict:
    """Return the SVG charts of a report page: sales by day and by stall."""
    result = {}
    days = report.tables.days or ()
    if days:
        result["days"] = column_chart(
            [(d.day.strftime("%d/%m"), d.net_vnd) for d in days],
            _("Doanh số theo ngày (đồng)"),
        )
    stalls = report.tables.stalls or ()
    if stalls:
        result["stalls"] = bar_chart(
            [(s.stall, s.net_vnd) for s in stalls[:15]],
            _("Doanh số thuần theo gian hàng (đồng)")
        )
    return result


def compact_vnd(amount: int) -> str:
    """A big sum in few characters for a screen read from afar: '2,15 tỷ ₫', '854,3 triệu ₫'."""
    if abs(amount) >= 1_000_000_000:
        return _("%(n)s tỷ ₫", n=format_number(Decimal(amount) / 10**9, 2))
    if abs(amount) >= 1_000_000:
        return _("%(n)s triệu ₫", n=format_number(Decimal(amount) / 10**6, 1))
    return format_vnd(amount)


def compact_kg(kg: Decimal) -> str:
    """A weight in tonnes from one tonne up ('16,1 tấn'), else in kg ('512,3 kg')."""
    if kg >= 1000:
        return _("%(n)s tấn", n=format_number(Decimal(kg) / 1000, 1))
    return _("%(n)s kg", n=format_number(kg, 1))


def board_view(figures: Board, *, now: datetime, campaign: Campaign | None = None,
               fair: Fair | None = None) -> dict:
    """Everything a venue board shows, as texts; the page and its JSON refresh share it."""
    top = figures.stalls[:8]
    best = max((s.net_vnd for s in top), default=0) or 1
    view = {
        "net_vnd": figures.net_vnd,
        "net_vnd_text": compact_vnd(figures.net_vnd),
        "orders": figures.orders,
        "orders_text": format_number(figures.orders),
        "kg": str(figures.kg),
        "kg_text_total": compact_kg(figures.kg),
        "stalls": [{"name": s.stall, "value_text": compact_vnd(s.net_vnd),
                    "share": round(max(s.net_vnd, 0) / best, 4)} for s in top],
        "clock": to_local(now).strftime("%H:%M"),
        "now_ms": int(now.timestamp() * 1000),
        "progress": None,
    }
    if campaign is not None:
        text = progress_view(figures.progress, campaign)
        raw = figures.progress
        percent = raw.percent_kg if raw.percent_kg is not None else raw.percent_vnd
        view["progress"] = {
            "percent": min(float(percent or 0), 100.0),
            "percent_text": text["percent_kg"] or text["percent_vnd"],
            "label": text["kg_text"] if raw.goal_kg is not None else text["vnd_text"],
            "sub": _("Đã chốt %(confirmed)s · tạm tính %(provisional)s",
                     confirmed=text["kg_confirmed"], provisional=text["kg_provisional"]),
        }
        # Flat copies kept for the page's older readers of the JSON.
        view.update({k: text[k] for k in ("kg_text", "vnd_text", "kg_provisional")})
    elif fair is not None:
        total = (fair.ends_at - fair.starts_at).total_seconds() or 1
        elapsed = min(max((now - fair.starts_at).total_seconds(), 0), total)
        days = max(1, (to_local(fair.ends_at).date() - to_local(fair.starts_at).date()).days + 1)
        day = min(days, max(1, (to_local(now).date() - to_local(fair.starts_at).date()).days + 1))
        view["progress"] = {
            "percent": round(100 * elapsed / total, 1),
            "percent_text": format_number(100 * elapsed / total, 0) + " %",
            "label": _("Ngày %(day)s / %(days)s", day=day, days=days),
            "sub": _("%(start)s – %(end)s", start=format_datetime_local(fair.starts_at),
                     end=format_datetime_local(fair.ends_at)),
        }
    return view
