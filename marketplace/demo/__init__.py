"""The demo fair's story, seeded by `flask seed-demo`: its people, their stalls and products,
the products' provenance, the fairs and the lychee drive, the sales, their payments, the
lychee stall's marketplace exports and the drive's history.

The package sits above every domain: it writes through the domains' services and models, and no
domain imports it (`.importlinter`). Each part's `seed(ctx)` is idempotent and reads what the
parts before it left in `ctx`.
"""

from __future__ import annotations

from marketplace.demo import (
    campaign,
    fairs,
    imports,
    payments,
    people,
    provenance,
    sales,
    stalls,
)
from marketplace.extensions import db

# The parts of the story, in the order they are told (each needs the ones before it).
PARTS = (people, stalls, provenance, fairs, sales, payments, imports, campaign)


def seed(parts=PARTS) -> dict:
    """Seed the given parts of the demo in order, committing after each; return their context
    (the demo logins under "logins", the password under "password", the fairs and stalls)."""
    ctx: dict = {"logins": []}
    for part in parts:
        part.seed(ctx)
        db.session.commit()
    return ctx
