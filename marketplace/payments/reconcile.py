"""Match a bank statement's credits to unpaid orders and record the confirmed ones.

Accepted file: a CSV export of the account's statement (UTF-8, with or without BOM, or
Windows-1258), separated by commas, semicolons or tabs. Lines above the header (bank name,
account, period) are skipped. Header names are matched ignoring case, accents and punctuation:

- date:        "Ngày", "Ngày giao dịch", "Date", "Transaction date", "Posting date"
- credit:      "Ghi có", "Số tiền ghi có", "Có", "Tiền vào", "Credit", "Credit amount"
- debit:       "Ghi nợ", "Số tiền ghi nợ", "Nợ", "Tiền ra", "Debit" (optional; lines with a
               debit are ignored)
- amount:      "Số tiền", "Amount" (signed; used when there is no credit column: only
               positive amounts are credits)
- description: "Nội dung", "Nội dung giao dịch", "Diễn giải", "Mô tả", "Description",
               "Note", "Details", "Remark"
- reference:   "Số tham chiếu", "Mã giao dịch", "Số giao dịch", "Số bút toán", "Reference",
               "Ref", "Transaction ID" (optional; without it a line's reference is made from its
               date, amount and description)

Amounts may be written the Vietnamese way ("1.250.000", "1.250.000,00") or the English way
("1,250,000", "1250000.00"), with or without "VND"/"₫". A credit matches an order when the
order's code appears in the description AND the amount equals what is still owed. The bank
reference becomes the payment's provider reference, so the same line is never counted twice.

The uploaded statement is kept on the server (BankStatement, its lines as parsed) and belongs to
its uploader alone; confirming names stored lines by id and never reads statement text sent back
by the browser. A seller reconciles their own stalls' orders; an organizer only the orders placed
at their own fairs by stalls taking part in them (the payment records who confirmed it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.catalog.owners import owned_stall_ids
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.jobs import progress as job_progress
from marketplace.once import services as once_svc
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.models import (
    BankStatement,
    BankStatementLine,
    Payment,
    PaymentMethod,
)
from marketplace.payments.services import lock_order, outstanding, record_payment
from marketplace.text import search_key

MAX_LINES = 5000

COLUMNS = {
    "date": ("ngay", "ngay giao dich", "ngay gd", "ngay hach toan", "ngay hieu luc", "date",
             "transaction date", "posting date", "value date", "thoi gian"),
    "credit": ("ghi co", "so tien ghi co", "co", "tien vao", "so tien vao", "phat sinh co",
               "ps co", "credit", "credit amount", "credits"),
    "debit": ("ghi no", "so tien ghi no", "no", "tien ra", "so tien ra", "phat sinh no",
              "ps no", "debit", "debit amount", "debits"),
    "amount": ("so tien", "so tien giao dich", "amount", "transaction amount"),
    "description": ("noi dung", "noi dung giao dich", "noi dung chuyen khoan", "dien giai",
                    "mo ta", "description", "note", "notes", "details", "remark", "remarks",
                    "narrative", "memo"),
    "reference": ("so tham chieu", "ma giao dich", "ma gd", "so giao dich", "so but toan",
                  "so ct", "so chung tu", "reference", "ref", "reference number",
                  "transaction id", "trace", "ma tham chieu"),
}

MATCH = "match"
REASONS = {
    MATCH: _l("Khớp"),
    "wrong_amount": _l("Sai số tiền"),
    "unknown_code": _l("Không thấy mã đơn"),
    "duplicate": _l("Dòng trùng"),
    "already_paid": _l("Đơn đã thanh toán"),
    "cancelled": _l("Đơn đã hủy"),
    "several_codes": _l("Có nhiều mã đơn"),
    "bad_amount": _l("Số tiền không đọc được"),
}


def _fold(text: str) -> str:
    """Lowercase, drop accents (đ→d) and punctuation: how header names are compared."""
    return search_key(text)


_LOOKUP = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}


def parse_amount(text: str) -> int | None:
    """Read a VND amount: '1.250.000', '1,250,000', '1.250.000,00', '-50.000 VND' -> int."""
    raw = (text or "").strip()
    if not raw:
        return None
    negative = raw.startswith("-") or (raw.startswith("(") and raw.endswith(")"))
    digits = re.sub(r"[^0-9.,]", "", raw)
    if not digits or not re.search(r"\d", digits):
        return None
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    decimal_at = -1
    if last_dot >= 0 and last_comma >= 0:
        decimal_at = max(last_dot, last_comma)
    else:
        sep = "." if last_dot >= 0 else "," if last_comma >= 0 else ""
        # One separator followed by 1-2 digits is a decimal mark; otherwise thousands.
        if sep and digits.count(sep) == 1 and len(digits) - digits.index(sep) - 1 in (1, 2):
            decimal_at = digits.index(sep)
    if decimal_at >= 0:
        whole, fraction = digits[:decimal_at], digits[decimal_at + 1 :]
        if re.sub(r"[.,]", "", fraction).strip("0"):
            return None  # VND has no minor unit: 1.250,50 is not a bank credit we can match
    else:
        whole = digits
    whole = re.sub(r"[.,]", "", whole)
    if not whole.isdigit():
        return None
    value = int(whole)
    return -value if negative else value


@dataclass
class StatementLine:
    """One credit line of the statement and what it matched."""

    number: int
    date: str
    amount: int | None
    description: str
    reference: str
    status: str = ""
    order: Order | None = None
    owed: int | None = None
    codes: list[str] = field(default_factory=list)
    id: int | None = None  # the stored line's id

    @property
    def reason(self) -> str:
        return str(REASONS.get(self.status, self.status))


@dataclass
class Statement:
    lines: list[StatementLine]
    skipped_debits: int = 0
    stored: BankStatement | None = None

    @property
    def matches(self) -> list[StatementLine]:
        return [line for line in self.lines if line.status == MATCH]

    @property
    def mismatches(self) -> list[StatementLine]:
        return [line for line in self.lines if line.status != MATCH]


def decode(raw: bytes) -> str:
    """Decode the uploaded bytes: UTF-8 (with or without BOM), else Windows-1258."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1258", errors="replace")


def _rows(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [row for row in reader if any(c.strip() for c in row)]


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows[:30]):
        columns: dict[str, int] = {}
        for position, name in enumerate(row):
            key = _LOOKUP.get(_fold(name))
            if key and key not in columns:
                columns[key] = position
        if "description" in columns and ("credit" in columns or "amount" in columns):
            return index, columns
    raise ValidationError("statement", _(
        "Không tìm thấy dòng tiêu đề: tệp cần có cột nội dung (\"Nội dung\"/\"Description\") "
        "và cột số tiền (\"Ghi có\"/\"Credit\" hoặc \"Số tiền\"/\"Amount\")."
    ))


def parse_statement(text: str) -> Statement:
    """Read the statement's credit lines (debits are counted and skipped)."""
    if not text.strip():
        raise ValidationError("statement", _("Tệp sao kê trống."))
    # Preamble lines (bank name, period) confuse csv.Sniffer: try each separator instead,
    # the most frequent first, and keep the first that yields a recognisable header row.
    sample = text[:4096]
    error = None
    for delimiter in sorted(",;\t", key=sample.count, reverse=True):
        rows = _rows(text, delimiter)
        try:
            start, columns = _header(rows)
            break
        except ValidationError as exc:
            error = exc
    else:
        raise error

    def cell(row: list[str], key: str) -> str:
        pos = columns.get(key)
        return row[pos].strip() if pos is not None and pos < len(row) else ""

    lines, debits = [], 0
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        if "credit" in columns:
            credit_text = cell(row, "credit")
            if not credit_text or parse_amount(credit_text) == 0:
                debits += 1
                continue
            amount = parse_amount(credit_text)
        else:
            amount = parse_amount(cell(row, "amount"))
            if amount is not None and amount <= 0:
                debits += 1
                continue
        description = cell(row, "description")
        date = cell(row, "date")
        reference = cell(row, "reference")
        if not reference:
            digest = hashlib.sha256(f"{date}|{amount}|{description}".encode()).hexdigest()
            reference = f"stmt-{digest[:20]}"
        lines.append(StatementLine(number, date, amount, description, reference[:200]))
        if len(lines) > MAX_LINES:
            raise ValidationError("statement", _(
                "Tệp có quá %(n)s dòng, vui lòng chia nhỏ.", n=MAX_LINES
            ))
    return Statement(lines, debits)


def orders_in_scope(user) -> sa.Select:
    """Return a query of the orders the user may reconcile.

    A seller: their own stalls' orders. An organizer: orders placed at a fair they run, of a
    stall taking part in that fair (accepted) — never a stall's other orders.
    """
    if user.is_seller:
        return sa.select(Order).where(
            Order.stall_id.in_(owned_stall_ids(user.id)))
    if user.is_organizer:
        taking_part = (
            sa.select(FairStall.id)
            .where(FairStall.fair_id == Order.fair_id, FairStall.stall_id == Order.stall_id,
                   FairStall.status == "accepted")
            .exists()
        )
        return sa.select(Order).join(Fair, Fair.id == Order.fair_id).where(
            Fair.organizer_id == user.id, taking_part)
    return sa.select(Order).where(sa.false())


def match(statement: Statement, user) -> Statement:
    """Decide for every credit line: a match, or why not (nothing is written)."""
    scope = {o.code.upper(): o for o in db.session.scalars(orders_in_scope(user))}
    recorded = set(db.session.scalars(
        sa.select(Payment.provider_ref).where(
            Payment.method == PaymentMethod.VIETQR,
            Payment.kind == "payment",
            Payment.provider_ref.in_([line.reference for line in statement.lines] or [""]),
        )
    ))
    seen_refs: set[str] = set()
    claimed: set[int] = set()
    lengths = sorted({len(code) for code in scope})
    for line in statement.lines:
        # Banks often glue the note to other text, so a code may sit inside a longer run.
        compact = re.sub(r"[^A-Z0-9]", "", _fold(line.description).upper())
        line.codes = sorted({
            compact[i : i + n] for n in lengths for i in range(len(compact) - n + 1)
            if compact[i : i + n] in scope
        })
        line.order = scope[line.codes[0]] if len(line.codes) == 1 else None
        if line.order is not None:
            line.owed = outstanding(line.order)
        if line.amount is None:
            line.status = "bad_amount"
        elif line.reference in seen_refs or line.reference in recorded:
            line.status = "duplicate"
        elif not line.codes:
            line.status = "unknown_code"
        elif len(line.codes) > 1:
            line.status = "several_codes"
        elif line.order.status == OrderStatus.CANCELLED:
            line.status = "cancelled"
        elif line.owed == 0:
            line.status = "already_paid"
        elif line.order.id in claimed:
            line.status = "duplicate"
        elif line.amount != line.owed:
            line.status = "wrong_amount"
        else:
            line.status = MATCH
            claimed.add(line.order.id)
        seen_refs.add(line.reference)
    return statement


def prepare(raw: bytes | str, user) -> Statement:
    """Parse and match an uploaded statement for the user (nothing is written)."""
    text = raw if isinstance(raw, str) else decode(raw)
    return match(parse_statement(text), user)


def store(raw: bytes, filename: str, user) -> BankStatement:
    """Parse an uploaded statement and keep its credit lines on the server for its uploader."""
    parsed = parse_statement(decode(raw))
    stored = BankStatement(uploaded_by_id=user.id, filename=(filename or "")[:255],
                           skipped_debits=parsed.skipped_debits)
    stored.lines = [
        BankStatementLine(number=line.number, date=line.date[:40], amount=line.amount,
                          description=line.description, reference=line.reference)
        for line in parsed.lines
    ]
    db.session.add(stored)
    db.session.commit()
    return stored


def stored_statement(statement_id: int, user) -> BankStatement | None:
    """A stored statement, only for the user who uploaded it."""
    stored = db.session.get(BankStatement, statement_id)
    if stored is None or stored.uploaded_by_id != user.id:
        return None
    return stored


def recent_statements(user, limit: int = 10) -> list[BankStatement]:
    """The user's latest uploaded statements."""
    return list(db.session.scalars(
        sa.select(BankStatement).where(BankStatement.uploaded_by_id == user.id)
        .order_by(BankStatement.id.desc()).limit(limit)
    ))


def match_stored(stored: BankStatement, user) -> Statement:
    """Match a stored statement's lines against the orders the user may reconcile now."""
    lines = [StatementLine(line.number, line.date, line.amount, line.description,
                           line.reference, id=line.id) for line in stored.lines]
    return match(Statement(lines, stored.skipped_debits, stored), user)


def confirm(stored: BankStatement, line_ids: list[int], user, once: once_svc.Once) -> int:
    """Record, in one transaction, the chosen stored lines that still match; return how many.

    A repeat of the same confirmation (once) answers with the first one's count.
    """
    return once_svc.run_once(once, lambda: _confirm(stored, line_ids, user, once=once),
                             lambda ref: int(ref.partition(":")[2] or 0))


RECONCILE_JOB = "marketplace.payments.reconcile.run_confirm_job"


def _changed() -> Conflict:
    return Conflict(_("Sao kê đã thay đổi so với lúc xem (có đơn vừa được thanh toán). "
                      "Vui lòng xem lại và xác nhận lại."))


def start_confirm(stored: BankStatement, line_ids: list[int], user,
                  once: once_svc.Once) -> int:
    """Queue the recording of the chosen lines as a background job; return its run id.

    The one-time key is spent on the run, so the same confirmation posted again answers with
    the same run; the run records its payments once, in one transaction.
    """
    started = False

    def act() -> int:
        nonlocal started
        if stored.uploaded_by_id != user.id:
            raise Conflict(_("Sao kê này không phải của bạn."))
        chosen = sorted(set(line_ids))
        if not chosen:
            raise ValidationError(None, _("Chưa chọn giao dịch nào để xác nhận."))
        known = set(db.session.scalars(sa.select(BankStatementLine.id).where(
            BankStatementLine.statement_id == stored.id, BankStatementLine.id.in_(chosen))))
        if len(known) != len(chosen):
            raise _changed()
        claim_id = once_svc.claim(once)
        run = job_progress.create("reconcile", user.id,
                                  {"statement_id": stored.id, "lines": chosen})
        once_svc.settle(claim_id, f"job:{run.id}")
        db.session.commit()
        started = True
        return run.id

    def replay(ref: str) -> int:
        kind, _sep, value = ref.partition(":")
        if kind != "job":
            raise Conflict(_("Biểu mẫu này đã được dùng cho việc khác. Vui lòng tải lại trang."))
        return int(value)

    run_id = once_svc.run_once(once, act, replay)
    if started:
        job_progress.enqueue(RECONCILE_JOB, run_id)
    return run_id


def run_confirm_job(run_id: int) -> None:
    """The background job: match the statement again and record the chosen lines, once."""
    run = job_progress.begin(run_id)
    if run is None:
        return  # already recorded (a duplicate or late retry)
    args = job_progress.params(run)
    user = run.user
    reporter = job_progress.Reporter(run_id)

    def work() -> None:
        stored = stored_statement(args["statement_id"], user)
        if stored is None:
            raise Conflict(_("Sao kê này không còn nữa."))
        _confirm(stored, args["lines"], user, progress=reporter,
                 finish=lambda count: job_progress.finish(run_id, {"count": count}))

    job_progress.run_guarded(run_id, work)


def _confirm(stored: BankStatement, line_ids: list[int], user, *,
             once: once_svc.Once | None = None, progress=None, finish=None) -> int:
    if stored.uploaded_by_id != user.id:
        raise Conflict(_("Sao kê này không phải của bạn."))
    chosen = set(line_ids)
    if not chosen:
        raise ValidationError(None, _("Chưa chọn giao dịch nào để xác nhận."))
    if progress is not None:
        progress.update("checking", 0, len(chosen), force=True)
    statement = match_stored(stored, user)
    lines = [line for line in statement.matches if line.id in chosen]
    if len(lines) != len(chosen):
        raise _changed()
    if progress is not None:
        progress.writing("saving", 0, len(lines))
    claim_id = once_svc.claim(once) if once is not None else None
    try:
        for done, line in enumerate(lines):
            if progress is not None:
                progress.update("saving", done, len(lines))
            order = lock_order(line.order)
            if outstanding(order) != line.amount:
                raise Conflict(_("Đơn %(code)s vừa thay đổi, vui lòng tải lại sao kê.",
                                 code=order.code))
            record_payment(order, PaymentMethod.VIETQR, line.amount, recorded_by_id=user.id,
                           provider_ref=line.reference)
        if claim_id is not None:
            once_svc.settle(claim_id, f"count:{len(lines)}")
        if finish is not None and not finish(len(lines)):
            db.session.rollback()  # another run of the same job recorded them first
            return len(lines)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(_("Một số giao dịch vừa được ghi nhận ở nơi khác. Vui lòng tải lại.")) \
            from None
    except Exception:
        db.session.rollback()
        raise
    return len(lines)
