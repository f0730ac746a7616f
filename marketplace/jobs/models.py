"""A background job a user started and watches: its state, progress and outcome."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class JobRun(db.Model):
    """One long import or reconciliation run outside the request.

    Kept in the database so every web instance reads the same progress, and written by the job
    on its own short transactions while the job's work stays in one transaction of its own.
    """

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # import, reconcile
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    # queued -> running -> done | failed; "retrying" between a failed attempt and the next.
    state: Mapped[str] = mapped_column(sa.String(12), default="queued")
    stage: Mapped[str] = mapped_column(sa.String(16), default="")  # reading, saving
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    params: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON, what the job works on
    result: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON, what it did
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")
