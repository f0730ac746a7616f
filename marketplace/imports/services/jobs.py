"""The background job that saves a confirmed upload: queued once per confirmation, run once."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.imports.parsers import _
from marketplace.imports.services.mapping import RemapNotConfirmed, check_remap
from marketplace.imports.services.saving import ImportCounts, ImportOutcome, save_import
from marketplace.imports.services.uploads import SkuKey, load_pending, pending_stall
from marketplace.jobs import progress as job_progress
from marketplace.once import services as once_svc

IMPORT_JOB = "marketplace.imports.services.run_import_job"


def start_import(batch: str, user: User, overrides: dict[SkuKey, str | int | None] | None,
                 once: once_svc.Once, accept_remap: bool = False) -> int:
    """Queue the saving of a pending upload as a background job; return its run id.

    The one-time key is spent on the run: the same confirmation posted again answers with the
    same run, so one confirmation makes one run, and a run saves its import once.
    """
    started = False

    def act() -> int:
        nonlocal started
        stall = pending_stall(batch, user)
        if stall is None:
            raise Conflict(_("Lần tải lên này đã được lưu hoặc đã hết hạn."))
        if check_remap(stall, overrides) and not accept_remap:
            raise RemapNotConfirmed(_("Ghép lại mã SKU sẽ thay đổi số liệu đã có: hãy xem lại "
                                      "và xác nhận."))
        claim_id = once_svc.claim(once)
        run = job_progress.create("import", user.id, {
            "batch": batch, "stall_id": stall.id, "accept_remap": accept_remap,
            "overrides": [[p, sku, value] for (p, sku), value in (overrides or {}).items()],
        })
        once_svc.settle(claim_id, f"job:{run.id}")
        db.session.commit()
        started = True
        return run.id

    run_id = once_svc.run_once(once, act, _job_from_ref)
    if started:
        job_progress.enqueue(IMPORT_JOB, run_id)
    return run_id


def _job_from_ref(ref: str) -> int:
    kind, _sep, value = ref.partition(":")
    if kind != "job":
        raise Conflict(_("Biểu mẫu này đã được dùng cho việc khác. Vui lòng tải lại trang."))
    return int(value)


def run_import_job(run_id: int) -> None:
    """The background job: save the run's pending upload in one transaction, once."""
    run = job_progress.begin(run_id)
    if run is None:
        return  # already saved (a duplicate or late retry): nothing to do
    args = job_progress.params(run)
    user = db.session.get(User, run.user_id)
    reporter = job_progress.Reporter(run_id)

    def finish(outcome: ImportOutcome) -> bool:
        counts = ImportCounts.of(outcome)
        return job_progress.finish(run_id, {
            "inserted": counts.inserted, "updated": counts.updated,
            "unchanged": counts.unchanged, "removed": outcome.removed,
            "lines": len(outcome.preview.lines)})

    def work() -> None:
        pending = load_pending(args["batch"], user) if user is not None else None
        if pending is None:
            raise Conflict(_("Lần tải lên này đã được lưu hoặc đã hết hạn."))
        stall, files = pending
        overrides = {(p, sku): value for p, sku, value in args["overrides"]} or None
        save_import(stall, files, user=user, overrides=overrides, pending_batch=args["batch"],
                    accept_remap=args["accept_remap"], progress=reporter, finish=finish)

    job_progress.run_guarded(run_id, work)
