"""Turn report figures into what pages show: chart SVGs, progress texts, board JSON."""

from __future__ import annotations

from decimal import Decimal

from flask import url_for as _url_for
from flask_babel import gettext as _
from markupsafe import Markup

from marketplace.fairs.models import Campaign
from marketplace.formatting import format_number, format_vnd
from marketplace.reports.charts import bar_chart, column_chart, progress_chart, weight_text


def url(endpoint: str, **values) -> str:
    """Build a URL (kept here so views stay short)."""
    return _url_for(endpoint, **values)


def _uses_tonnes(progress: dict) -> bool:
    goal = progress.get("goal_kg")
    reference = goal if goal is not None else progress["kg_provisional"]
    return Decimal(reference or 0) >= 1000


def progress_view(progress: dict, campaign: Campaign) -> dict:
    """Return the campaign progress as texts ('32,4 / 50 tấn') and a progress chart."""
    tonnes = _uses_tonnes(progress)
    unit = _("tấn") if tonnes else "kg"
    digits = 1 if tonnes else 3
    confirmed = weight_text(progress["kg_confirmed"], tonnes=tonnes, digits=digits)
    provisional = weight_text(progress["kg_provisional"], tonnes=tonnes, digits=digits)
    goal_kg = progress["goal_kg"]
    goal = weight_text(goal_kg, tonnes=tonnes, digits=digits, compact=True)
    view = {
        "unit": unit,
        "kg_confirmed": f"{confirmed} {unit}",
        "kg_provisional": f"{provisional} {unit}",
        "kg_text": f"{confirmed} / {goal} {unit}" if goal_kg is not None else f"{confirmed} {unit}",
        "vnd_confirmed": format_vnd(progress["vnd_confirmed"]),
        "vnd_provisional": format_vnd(progress["vnd_provisional"]),
        "vnd_text": (
            f"{format_vnd(progress['vnd_confirmed'])} / {format_vnd(progress['goal_vnd'])}"
            if progress["goal_vnd"] is not None else format_vnd(progress["vnd_confirmed"])
        ),
        "percent_kg": _percent_text(progress["percent_kg"]),
        "percent_vnd": _percent_text(progress["percent_vnd"]),
        "chart": Markup(""),
    }
    if goal_kg is not None:
        view["chart"] = progress_chart(
            progress["kg_confirmed"], progress["kg_provisional"], goal_kg,
            title=_("Tiến độ so với mục tiêu %(goal)s %(unit)s", goal=goal, unit=unit),
            unit=_("Mục tiêu %(goal)s %(unit)s", goal=goal, unit=unit),
            confirmed_label=_("Đã chốt: %(v)s", v=view["kg_confirmed"]),
            provisional_label=_("Tạm tính: %(v)s", v=view["kg_provisional"]),
        )
    elif progress["goal_vnd"] is not None:
        view["chart"] = progress_chart(
            progress["vnd_confirmed"], progress["vnd_provisional"], progress["goal_vnd"],
            title=_("Tiến độ so với mục tiêu %(goal)s", goal=format_vnd(progress["goal_vnd"])),
            unit=_("Mục tiêu %(goal)s", goal=format_vnd(progress["goal_vnd"])),
            confirmed_label=_("Đã chốt: %(v)s", v=view["vnd_confirmed"]),
            provisional_label=_("Tạm tính: %(v)s", v=view["vnd_provisional"]),
        )
    return view


def _percent_text(value: float | None) -> str:
    return "" if value is None else format_number(value, 1) + " %"


def charts(report: dict, campaign: Campaign | None = None) -> dict:
    """Return the SVG charts of a report page: sales by day and by stall."""
    tables = report["tables"]
    result = {}
    days = tables.get("days") or []
    if days:
        result["days"] = column_chart(
            [(d["day"].strftime("%d/%m"), d["net_vnd"]) for d in days],
            _("Doanh số theo ngày (đồng)"),
        )
    stalls = tables.get("stalls") or []
    if stalls:
        result["stalls"] = bar_chart(
            [(s["stall"], s["net_vnd"]) for s in stalls[:15]],
            _("Doanh số thuần theo gian hàng (đồng)")
        )
    return result


def board_charts(figures: dict, campaign: Campaign | None = None) -> dict:
    """Return the SVG charts of a tally board."""
    if not figures["stalls"]:
        return {}
    return {"stalls": bar_chart([(s["stall"], s["net_vnd"]) for s in figures["stalls"]],
                                _("Doanh số thuần theo gian hàng (đồng)"))}


def board_json(figures: dict, campaign: Campaign | None = None) -> dict:
    """Return a tally board's figures as JSON-ready texts and numbers."""
    data = {
        "net_vnd": figures["net_vnd"],
        "net_vnd_text": format_vnd(figures["net_vnd"]),
        "orders": figures["orders"],
        "orders_text": format_number(figures["orders"]),
        "kg": str(figures["kg"]),
        "kg_text_total": format_number(figures["kg"], 1),
    }
    if campaign is not None:
        view = progress_view(figures["progress"], campaign)
        data["progress"] = {k: v for k, v in view.items() if k != "chart"}
        data["progress"]["percent"] = figures["progress"]["percent_kg"]
        # Flat copies so the board's script can fill [data-field] elements by name.
        data.update({k: data["progress"][k] for k in ("kg_text", "vnd_text", "kg_provisional")})
    return data
