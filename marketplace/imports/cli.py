"""`flask sales import`: import many export files for one stall from the command line."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from marketplace.catalog.models import Stall
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.formatting import format_vnd, format_weight
from marketplace.imports import services
from marketplace.imports.parsers import PLATFORM_NAMES, STATUS_CLASSES

sales = AppGroup("sales", help="Marketplace sales imports.")

CLASS_LABELS = {
    "sale": "sale (completed)", "in_progress": "in progress", "cancelled": "cancelled",
    "returned": "returned/lost", "unpaid": "unpaid",
}


@sales.command("import")
@click.option("--stall", "slug", required=True, help="Slug of the stall the exports belong to.")
@click.option("--dry-run", is_flag=True, help="Show what would be counted; save nothing.")
@click.option("--map", "maps", multiple=True, metavar="SKU=PRODUCT_CODE",
              help="Map a seller SKU (on every platform it appears on) to a product of the "
                   "stall by its code; repeatable. The mapping is remembered.")
@click.option("--yes", "accept_remap", is_flag=True,
              help="Agree that a new mapping changes lines imported earlier.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def import_command(slug: str, dry_run: bool, maps: tuple[str, ...], accept_remap: bool,
                   files: tuple[str, ...]):
    """Import Shopee/Lazada/TikTok Shop order exports into a stall (SKU mappings are reused)."""
    stall = db.session.scalar(sa.select(Stall).where(Stall.slug == slug))
    if stall is None:
        raise click.ClickException(f"No stall with slug {slug!r}.")
    pairs = []
    for item in maps:
        sku, sep, code = item.partition("=")
        if not sep or not sku.strip() or not code.strip():
            raise click.BadParameter(f"{item!r}: expected SKU=PRODUCT_CODE", param_hint="--map")
        pairs.append((sku.strip(), code.strip()))
    uploaded = [(Path(f).name, Path(f).read_bytes()) for f in files]
    outcome = None
    try:
        overrides = services.product_codes_overrides(stall, uploaded, pairs) or None
        preview = services.build_preview(stall, uploaded, overrides)
        if not dry_run and (accept_remap or not preview.remaps):
            outcome = services.save_import(stall, uploaded, user=None, overrides=overrides,
                                           accept_remap=accept_remap)
            preview = outcome.preview
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    _report(preview, outcome, dry_run)
    if preview.remaps and outcome is None and not dry_run:
        raise click.ClickException("New mappings change lines imported earlier (above); "
                                   "run again with --yes to apply them.")


def _report(preview: services.Preview, outcome: services.ImportOutcome | None,
            dry_run: bool = True) -> None:
    click.echo(f"Stall: {preview.stall.name} ({preview.stall.slug})")
    for result in preview.files:
        click.echo(f"  {result.filename}: {PLATFORM_NAMES[result.platform]}, "
                   f"{len(result.lines)} lines, {len(result.skipped)} rows skipped")
    counted = preview.counted
    click.echo(f"Counted (sale + in progress): {counted.lines} lines, {counted.net_qty} units, "
               f"{format_vnd(counted.amount)}, {format_weight(counted.kg)} kg")
    for cls in STATUS_CLASSES:
        t = preview.totals[cls]
        if t.lines:
            click.echo(f"  {CLASS_LABELS[cls]:<18} {t.lines:>6} lines {t.qty:>7} units "
                       f"(returned {t.returned_qty}) {format_vnd(t.amount):>18} "
                       f"{format_weight(t.kg):>12} kg")
    if preview.duplicates:
        click.echo(f"Duplicates across files (counted once): {preview.duplicates}")
    click.echo("Skipped:" if preview.skipped else "Skipped: none")
    for name, row, reason in preview.skipped:
        click.echo(f"  {name} row {row}: {reason}")
    for platform, status, n in preview.unknown_statuses:
        click.echo(f"Unknown status (counted as in progress): {platform} {status!r} x{n}")
    unmapped = preview.unmapped
    click.echo("Unmapped SKUs (no kg counted):" if unmapped else "Unmapped SKUs: none")
    for s in unmapped:
        click.echo(f"  {PLATFORM_NAMES[s.platform]} {s.sku!r} ({s.product_name}): "
                   f"{s.lines} lines, {s.qty} units")
    for r in preview.remaps:
        click.echo(f"Re-mapping {PLATFORM_NAMES[r.platform]} {r.sku!r}: "
                   f"{r.old_product or '(unmapped)'} -> {r.new_product or '(unmapped)'} changes "
                   f"{r.lines} past lines: {r.qty} units, {format_weight(r.kg_before)} -> "
                   f"{format_weight(r.kg_after)} kg, {format_vnd(r.vnd)}")
    if outcome is None and preview.remaps and not dry_run:
        click.echo("Nothing saved.")
    elif outcome is None:
        click.echo(f"Dry run: nothing saved ({preview.new} new, {preview.changed} changed, "
                   f"{preview.unchanged} unchanged).")
    else:
        click.echo(f"Saved: {outcome.inserted} new, {outcome.updated} updated, "
                   f"{outcome.unchanged} unchanged, {outcome.removed} removed.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(sales)
