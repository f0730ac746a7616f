"""One home for each concept (issue 12 §3): the copies that drifted must not come back."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "marketplace"


def _python_sources():
    return sorted(APP.rglob("*.py"))


def _where(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in _python_sources():
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT).as_posix()}:{line}")
    return found


def test_stalls_by_owner_are_queried_in_one_place():
    # A query on Stall.owner_id (the class attribute, not one stall's `stall.owner_id`).
    found = _where(re.compile(r"\bStall\.owner_id\s*(==|\.in_|\.is_)"))
    assert [f.split(":")[0] for f in found] == ["marketplace/catalog/owners.py"]


def test_the_owner_query_check_sees_a_copy(tmp_path):
    pattern = re.compile(r"\bStall\.owner_id\s*(==|\.in_|\.is_)")
    assert pattern.search("sa.select(Stall).where(Stall.owner_id == user.id)")
    assert not pattern.search("return stall.owner_id == current_user.id")


def test_no_module_in_the_app_is_over_600_lines():
    # A module that grows past this is doing more than one job: split it by job (issue 12).
    long = {path.relative_to(ROOT).as_posix(): n for path in _python_sources()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}
