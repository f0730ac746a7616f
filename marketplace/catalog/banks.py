"""Vietnamese banks (NAPAS BIN, code, short name) loaded from data/vn_banks.csv."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BANKS_CSV = Path(__file__).resolve().parent.parent / "data" / "vn_banks.csv"


@dataclass(frozen=True)
class Bank:
    """A bank that takes VietQR transfers."""

    bin: str
    code: str
    short_name: str
    name: str


@cache
def load_banks() -> tuple[Bank, ...]:
    """Read the bank list once, sorted by short name."""
    with BANKS_CSV.open(encoding="utf-8-sig", newline="") as fh:
        banks = [
            Bank(row["bin"].strip(), row["code"].strip(), row["short_name"].strip(),
                 row["name"].strip())
            for row in csv.DictReader(fh)
            if (row.get("bin") or "").strip()
        ]
    return tuple(sorted(banks, key=lambda b: b.short_name.lower()))


def bank_by_bin(bin_: str | None) -> Bank | None:
    """Find a bank by its 6-digit BIN."""
    return _by_bin().get((bin_ or "").strip())


@cache
def _by_bin() -> dict[str, Bank]:
    return {bank.bin: bank for bank in load_banks()}
