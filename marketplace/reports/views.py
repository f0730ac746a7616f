"""Reports views: organizer reports, exports, tally boards and the seller's own summary."""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth import role_required
from marketplace.catalog.owners import owned_stalls
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.fairs.access import own_campaign_or_404, own_fair_or_404
from marketplace.fairs.services import campaign_by_slug, fair_by_slug
from marketplace.formatting import vn_today
from marketplace.reports import figures, presenters, scope
from marketplace.reports.detail import stream_detail
from marketplace.reports.exports import CSV_MIME, XLSX_MIME, csv_chunks, xlsx_chunks
from marketplace.reports.tables import TABLES
from marketplace.security import embeddable

bp = Blueprint("reports", __name__)
# The campaign page (fairs) shows its progress toward the goal: reports compute it.
bp.add_app_template_global(figures.campaign_progress, "campaign_progress")


@bp.context_processor
def _report_globals() -> dict:
    return {"TABLES": TABLES, "generated_at": utcnow(), "today_local": vn_today,
            "timedelta": timedelta}


@bp.get("/organizer/reports")
@role_required("organizer")
def index():
    first, last = scope.default_period()
    return render_template(
        "reports/index.html",
        fairs=scope.organizer_fairs(current_user.id),
        campaigns=scope.organizer_campaigns(current_user.id),
        first=first, last=last,
    )


@bp.get("/organizer/reports/fairs/<slug>")
@role_required("organizer")
def fair(slug: str):
    fair = own_fair_or_404(slug)
    report = figures.build_report(scope.fair_target(fair))
    return render_template(
        "reports/report.html", report=report, title=fair.name, fair=fair,
        export_endpoint="reports.fair_export", export_args={"slug": slug},
        board_url=presenters.url("reports.fair_board", slug=slug),
        charts=presenters.charts(report),
    )


@bp.get("/organizer/reports/campaigns/<slug>")
@role_required("organizer")
def campaign(slug: str):
    campaign = own_campaign_or_404(slug)
    report = figures.build_report(scope.campaign_target(campaign))
    return render_template(
        "reports/report.html", report=report, title=campaign.name, campaign=campaign,
        export_endpoint="reports.campaign_export", export_args={"slug": slug},
        board_url=presenters.url("reports.campaign_board", slug=slug),
        charts=presenters.charts(report, campaign),
        progress=presenters.progress_view(report.progress, campaign),
    )


def _period(default_all: bool = False):
    """Read ?from=&to= (Vietnam days); None, None for all time when allowed and empty."""
    try:
        return scope.parse_period(request.args.get("from"), request.args.get("to"),
                                allow_empty=default_all)
    except ValidationError as exc:
        flash(exc.reason, "error")
        return None


@bp.get("/organizer/reports/range")
@role_required("organizer")
def range_report():
    period = _period() or scope.default_period()
    first, last = period
    report = figures.build_report(scope.range_target(current_user.id, first, last))
    return render_template(
        "reports/report.html", report=report,
        title=_("Từ %(a)s đến %(b)s", a=first.strftime("%d/%m/%Y"), b=last.strftime("%d/%m/%Y")),
        first=first, last=last, export_endpoint="reports.range_export",
        export_args={"from": first.isoformat(), "to": last.isoformat()},
        charts=presenters.charts(report),
    )


def _export(target: scope.Target, table: str, fmt: str, name: str) -> Response:
    if table in scope.DETAIL_TABLES:
        rows = stream_detail(target, table)
    elif table in target.tables:
        rows = figures.table_rows(target, table)
    else:
        abort(404)
    chunks = (csv_chunks if fmt == "csv" else xlsx_chunks)(TABLES[table], rows)
    return Response(
        stream_with_context(chunks),
        mimetype=CSV_MIME if fmt == "csv" else XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="{name}-{table}.{fmt}"'},
    )


@bp.get("/organizer/reports/fairs/<slug>/<table>.<any(csv, xlsx):fmt>")
@role_required("organizer")
def fair_export(slug: str, table: str, fmt: str):
    return _export(scope.fair_target(own_fair_or_404(slug)), table, fmt, slug)


@bp.get("/organizer/reports/campaigns/<slug>/<table>.<any(csv, xlsx):fmt>")
@role_required("organizer")
def campaign_export(slug: str, table: str, fmt: str):
    return _export(scope.campaign_target(own_campaign_or_404(slug)), table, fmt, slug)


@bp.get("/organizer/reports/range/<table>.<any(csv, xlsx):fmt>")
@role_required("organizer")
def range_export(table: str, fmt: str):
    first, last = _period() or scope.default_period()
    target = scope.range_target(current_user.id, first, last)
    return _export(target, table, fmt, f"{first.isoformat()}_{last.isoformat()}")


# --- tally boards ----------------------------------------------------------------------------


def _board_fair(slug: str):
    fair = fair_by_slug(slug)
    if fair is None or not scope.board_visible(fair, current_user):
        abort(404)
    return fair


def _board_campaign(slug: str):
    campaign = campaign_by_slug(slug)
    if campaign is None or not scope.board_visible(campaign, current_user):
        abort(404)
    return campaign


def _fair_board_view(slug: str) -> tuple[str, dict]:
    fair = _board_fair(slug)
    board = figures.board_figures(scope.fair_target(fair))
    return fair.name, presenters.board_view(board, now=utcnow(), fair=fair)


def _campaign_board_view(slug: str) -> tuple[str, dict]:
    campaign = _board_campaign(slug)
    board = figures.board_figures(scope.campaign_target(campaign))
    return campaign.name, presenters.board_view(board, now=utcnow(), campaign=campaign)


@bp.get("/board/fairs/<slug>")
@embeddable
def fair_board(slug: str):
    title, board = _fair_board_view(slug)
    return render_template("reports/board.html", title=title, board=board,
                           data_url=presenters.url("reports.fair_board_data", slug=slug))


@bp.get("/board/campaigns/<slug>")
@embeddable
def campaign_board(slug: str):
    title, board = _campaign_board_view(slug)
    return render_template("reports/board.html", title=title, board=board,
                           data_url=presenters.url("reports.campaign_board_data", slug=slug))


@bp.get("/board/fairs/<slug>/data.json")
def fair_board_data(slug: str):
    return jsonify(_fair_board_view(slug)[1])


@bp.get("/board/campaigns/<slug>/data.json")
def campaign_board_data(slug: str):
    return jsonify(_campaign_board_view(slug)[1])


# --- the seller's own summary ----------------------------------------------------------------


def _own_stall():
    stalls = owned_stalls(current_user.id)
    wanted = request.args.get("stall")
    chosen = next((s for s in stalls if s.slug == wanted), stalls[0] if stalls else None)
    return stalls, chosen


def _seller_period() -> tuple[date | None, date | None]:
    """The seller's period: today unless they chose days, or everything with ?all=1."""
    if request.args.get("all") == "1":
        return None, None
    if not (request.args.get("from") or request.args.get("to")):
        today = vn_today()
        return today, today
    return _period(default_all=True) or (None, None)


@bp.get("/seller/summary")
@role_required("seller")
def seller_summary():
    stalls, stall = _own_stall()
    period = _seller_period()
    report = None
    if stall is not None:
        report = figures.build_report(scope.seller_target(stall.id, *period))
    return render_template(
        "reports/seller_summary.html", stalls=stalls, stall=stall, report=report,
        first=period[0], last=period[1],
        charts=presenters.charts(report) if report else {},
    )


@bp.get("/seller/summary/<table>.<any(csv, xlsx):fmt>")
@role_required("seller")
def seller_export(table: str, fmt: str):
    _stalls, stall = _own_stall()
    if stall is None:
        abort(404)
    period = _seller_period()
    return _export(scope.seller_target(stall.id, *period), table, fmt, stall.slug)
