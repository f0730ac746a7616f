"""Helpers for one-time key tests: a seller's stall, and what the database holds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine, MarketplaceImport
from marketplace.once.models import OnceKey
from marketplace.orders.models import Checkout, Order, OrderStatusEvent
from marketplace.payments.models import Payment
from tests.factories import make_fair, make_participation, make_product, make_seller, make_stall


def snapshot() -> dict:
    """Everything an action could have written twice: rows, money, stock."""
    db.session.expire_all()

    def count(model) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return {
        "checkouts": count(Checkout), "orders": count(Order), "events": count(OrderStatusEvent),
        "payments": count(Payment), "keys": count(OnceKey),
        "paid": db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0))),
        "stock": dict(db.session.execute(sa.select(Product.id, Product.stock)).all()),
        "imports": count(MarketplaceImport), "imported_lines": count(ImportedSaleLine),
    }


@pytest.fixture
def seller(app):
    return make_seller(name="Chị Hoa")


@pytest.fixture
def stall(seller):
    stall = make_stall(owner=seller, name="Gạo thơm Yên Dũng", bank_bin="970416",
                       bank_account_number="257678859", bank_account_name="NGUYEN THI HOA")
    make_participation(make_fair(state="open"), stall, booth="7")
    return stall


@pytest.fixture
def rice(stall):
    return make_product(stall, name="Gạo thơm", price=45000, stock=10)
