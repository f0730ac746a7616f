"""The slug of a fair or campaign: the one typed (if free) or one made from its name."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.sanitize import clean_text
from marketplace.text import slugify

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def unique_slug(model, wanted: str | None, name: str, own_id: int | None) -> str:
    """Return the slug to store: the one typed (must be free) or one made from the name."""
    taken = lambda slug: db.session.scalar(  # noqa: E731
        sa.select(model.id).where(model.slug == slug, model.id != (own_id or 0))
    ) is not None
    wanted = clean_text(wanted).lower()
    if wanted:
        if not SLUG_RE.match(wanted):
            raise ValidationError(
                "slug", _("Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.")
            )
        if taken(wanted):
            raise slug_taken_error()
        return wanted
    base = slugify(name, max_length=72) or "phien-cho"
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug


def slug_taken_error() -> ValidationError:
    """The form error for a slug another fair or campaign has."""
    return ValidationError("slug", _("Đường dẫn này đã được dùng, hãy chọn đường dẫn khác."))


def commit_or_slug_taken() -> None:
    """Commit; a slug taken by a concurrent request becomes a form error, not a 500."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise slug_taken_error() from None
