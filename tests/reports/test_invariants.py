"""Property: one set of figures everywhere, whatever happens to sales and their money.

Hypothesis plays random sequences of sales, payments (some paid twice), corrections, refunds,
cancellations, marketplace imports and returns, then checks that the fair report, campaign
report, seller summaries, boards, API and CSV exports agree with each other and with sums
made here in Python from the rows themselves.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order
from marketplace.orders.services import change_status
from marketplace.payments import services as pay
from marketplace.payments.models import Payment
from marketplace.reports.figures import board_figures, build_report
from marketplace.reports.scope import campaign_target, fair_target, seller_target
from tests.factories import (
    make_api_token,
    make_campaign,
    make_fair,
    make_imported_line,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_stall,
)
from tests.reports.test_figures import expected_totals

STALLS, PRODUCTS = 2, 2
METHODS = ("cash", "vietqr", "card")

sale = st.tuples(st.just("sale"), st.integers(0, STALLS - 1), st.integers(0, PRODUCTS - 1),
                 st.integers(1, 4), st.sampled_from(("fair", "online", "livestream")),
                 st.sampled_from((None, *METHODS)))
payment = st.tuples(st.just("pay"), st.integers(0, 20), st.sampled_from(METHODS),
                    st.sampled_from((1, 2, 3)))  # 1/3, 2/3 or all of the order (again)
correction = st.tuples(st.just("correct"), st.integers(0, 40))
refund = st.tuples(st.just("refund"), st.integers(0, 40))
cancel = st.tuples(st.just("cancel"), st.integers(0, 20))
fulfil = st.tuples(st.just("fulfil"), st.integers(0, 20))
imported = st.tuples(st.just("import"), st.integers(0, STALLS - 1),
                     st.sampled_from((None, 0, 1)),
                     st.sampled_from(("sale", "in_progress", "cancelled", "unpaid", "returned")),
                     st.integers(1, 4), st.integers(0, 2),
                     st.integers(1, 300).map(lambda k: k * 1000))
returned = st.tuples(st.just("return"), st.integers(0, 20))
steps = st.lists(st.one_of(sale, sale, payment, correction, refund, cancel, fulfil, imported,
                           returned), min_size=1, max_size=14)


class World:
    """Two stalls at one fair, in one campaign, with two products each."""

    def __init__(self):
        self.organizer = make_organizer()
        self.fair = make_fair(organizer=self.organizer)
        self.stalls = [make_stall() for _ in range(STALLS)]
        for stall in self.stalls:
            make_participation(self.fair, stall)
        self.products = [
            [make_product(stall, price=(i + 1) * 37000 + s * 1000,
                          net_weight_kg=Decimal("0.750") * (i + 1), category="trai-cay")
             for i in range(PRODUCTS)]
            for s, stall in enumerate(self.stalls)
        ]
        # Both stalls' sellers joined the campaign (it counts only stalls that joined).
        self.campaign = make_campaign(organizer=self.organizer, categories="",
                                      goal_kg=Decimal("100"), goal_vnd=5_000_000,
                                      stalls=list(self.stalls))
        db.session.commit()
        self.orders: list[Order] = []
        self.lines: list[ImportedSaleLine] = []

    def pick(self, items: list, i: int):
        return items[i % len(items)] if items else None

    def play(self, step: tuple) -> None:
        kind, *args = step
        getattr(self, f"_{kind}")(*args)
        db.session.commit()

    def _sale(self, s, p, qty, channel, method):
        order = make_order(self.stalls[s], [(self.products[s][p], qty)], channel=channel,
                           fair=self.fair if channel != "livestream" else None)
        self.orders.append(order)
        if method:
            self._record(order, method, order.total)

    def _record(self, order, method, amount):
        n = db.session.scalar(sa.select(sa.func.count(Payment.id)))
        # Card rows are refunded through the demo gateway (CARD_GATEWAY=demo, set below).
        ref = f"pi_demo_{n}" if method == "card" else f"{method}-{n}"
        pay.record_payment(order, method, amount, provider_ref=ref)

    def _pay(self, o, method, thirds):
        order = self.pick(self.orders, o)
        if order is not None and order.status != "cancelled":
            self._record(order, method, order.total * thirds // 3)

    def _rows(self):
        return list(db.session.scalars(sa.select(Payment).order_by(Payment.id)))

    def _undoable(self, i):
        rows = [r for r in self._rows() if r.kind == "payment" and r.amount > 0]
        row = self.pick(rows, i)
        if row is None or db.session.scalar(
                sa.select(Payment.id).where(Payment.reverses_id == row.id)):
            return None
        return row

    def _correct(self, i):
        row = self._undoable(i)
        if row is not None and row.method != "card":
            pay.correct_payment(row.order, row.id, self.organizer.id, "ghi nhầm",
                                _once("correction", self.organizer.id))

    def _refund(self, i):
        row = self._undoable(i)
        if row is None:
            return
        if row.method == "card":
            pay.refund_payment(row.order, row.id, self.organizer.id,
                               once=_once("refund", self.organizer.id))
        elif pay.owed_back(row.order) > 0:  # cash paid twice, or on a cancelled order
            pay.record_return(row.order, "cash", self.organizer.id,
                              _once("refund", self.organizer.id))

    def _cancel(self, o):
        order = self.pick(self.orders, o)
        if order is not None and order.status in ("placed", "confirmed"):
            change_status(order, "cancelled", by_id=None, reason="khách hủy")

    def _fulfil(self, o):
        order = self.pick(self.orders, o)
        if order is not None and order.status == "placed":
            change_status(order, "fulfilled", by_id=None)

    def _import(self, s, p, status, qty, returned_qty, amount):
        product = None if p is None else self.products[s][p]
        self.lines.append(make_imported_line(
            self.stalls[s], product, status=status, qty=qty,
            returned_qty=min(returned_qty, qty) if status in ("sale", "in_progress") else 0,
            net_amount=amount, platform=("shopee", "lazada", "tiktok")[len(self.lines) % 3]))

    def _return(self, i):
        line = self.pick(self.lines, i)
        if line is not None:  # a later export says the goods came back
            line.status_class, line.status_raw = "returned", "Trả hàng/Hoàn tiền"


def _wipe() -> None:
    """Empty every table through the test's own session (its connection stays pooled)."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def _csv_sum(text: str, header: str) -> int:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return sum(int(row[header]) for row in rows)


def _check(world: World, client, auth) -> None:
    orders = list(db.session.scalars(sa.select(Order)))
    lines = list(db.session.scalars(sa.select(ImportedSaleLine)))
    stall_ids = {s.id for s in world.stalls}
    scopes = {
        "fair": (fair_target(world.fair), [o for o in orders if o.fair_id == world.fair.id],
                 []),
        "campaign": (campaign_target(world.campaign),
                     [o for o in orders if o.stall_id in stall_ids], lines),
        **{f"seller{s.id}": (seller_target(s.id), [o for o in orders if o.stall_id == s.id],
                             [x for x in lines if x.stall_id == s.id]) for s in world.stalls},
    }
    reports = {}
    for name, (target, in_orders, in_lines) in scopes.items():
        report = build_report(target)
        reports[name] = report
        t = report.totals
        expected = expected_totals(in_orders, in_lines)
        assert {k: getattr(t, k) for k in expected} == expected, name
        # net = paid − refunds, for the money and for revenue.
        assert t.collected_vnd == t.received_vnd - t.given_back_vnd, name
        assert t.net_vnd == t.sales_vnd - t.returned_vnd - t.refunded_vnd, name
        tables = dict(report.tables.items())
        for table in ("stalls", "days", "channels"):
            if table in tables:
                rows = tables[table]
                assert sum(r.net_vnd for r in rows) == t.net_vnd, (name, table)
                assert all(0 <= r.net_vnd <= t.net_vnd for r in rows), (name, table)
        if "payments" in tables:
            assert sum(r.net_vnd for r in tables["payments"]) == t.collected_vnd

    for name, target in (("fair", scopes["fair"][0]), ("campaign", scopes["campaign"][0])):
        board = board_figures(target)
        t = reports[name].totals
        assert (board.net_vnd, board.orders, board.kg) == (
            t.net_vnd, t.orders, t.kg), name
        bars = {r.stall_id: r.net_vnd for r in reports[name].tables.stalls}
        assert all(bars[r.stall_id] == r.net_vnd <= board.net_vnd
                   for r in board.stalls), name

    progress = reports["campaign"].progress
    assert progress.vnd_confirmed <= progress.vnd_provisional
    assert progress.kg_confirmed <= progress.kg_provisional
    assert progress.vnd_provisional == reports["campaign"].totals.net_vnd
    assert progress.kg_provisional == reports["campaign"].totals.kg

    _token, raw = make_api_token(world.organizer)
    headers = {"Authorization": f"Bearer {raw}"}
    for name, url in (("fair", f"/api/v1/fairs/{world.fair.slug}/report"),
                      ("campaign", f"/api/v1/campaigns/{world.campaign.slug}/report")):
        api = client.get(url, headers=headers).get_json()["report"]["totals"]
        t = reports[name].totals
        assert {k: api[k] for k in ("net_vnd", "refunded_vnd", "returned_vnd",
                                    "collected_vnd")} == {
            k: getattr(t, k) for k in ("net_vnd", "refunded_vnd", "returned_vnd", "collected_vnd")}

    auth.login(world.organizer)
    for name, url in (("fair", f"/organizer/reports/fairs/{world.fair.slug}"),
                      ("campaign", f"/organizer/reports/campaigns/{world.campaign.slug}")):
        text = client.get(f"{url}/stalls.csv").get_data(as_text=True)
        assert _csv_sum(text, "Doanh số thuần (đ)") == reports[name].totals.net_vnd, name
        text = client.get(f"{url}/payments.csv").get_data(as_text=True)
        assert _csv_sum(text, "Thực nhận (đ)") == reports[name].totals.collected_vnd, name
    auth.logout()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_figures_agree_everywhere_after_any_sequence(app, client, auth):
    app.config["CARD_GATEWAY"] = "demo"
    @settings(max_examples=12, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(steps=steps)
    def run(steps):
        _wipe()
        world = World()
        for step in steps:
            world.play(step)
        _check(world, client, auth)

    run()


def _once(action: str, actor_id: int):
    """A fresh one-time key, as the form would carry it."""
    import uuid

    from marketplace.once.services import once_for

    return once_for(uuid.uuid4().hex, action, actor_id=actor_id)
