"""The record of every deliberate defect in a generated sample.

Keys are the data-check ids of DOMAIN.md section 4 and the record keys those checks report
(client_id, handover_id, or handover_id|occurred_at|event_type|item_code with the timestamp as
YYYY-MM-DD HH:MM:SS and codes, not labels). Run against SAMPLE_AS_OF, the checks should find
exactly these records.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


class DefectLog:
    def __init__(self) -> None:
        self.by_check: dict[str, list[str]] = {}
        self.by_kind: Counter[str] = Counter()

    def add(self, check_id: str, record_key: str, kind: str) -> None:
        self.by_check.setdefault(check_id, []).append(record_key)
        self.by_kind[kind] += 1

    def write(self, path: Path, **about: object) -> Path:
        doc = {
            **about,
            "kinds": dict(sorted(self.by_kind.items())),
            "failures": {check: sorted(set(keys)) for check, keys in sorted(self.by_check.items())},
        }
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path


class Ticker:
    """Says yes once every few calls (first after first_lo..first_hi calls, then every
    gap_lo..gap_hi): rare defects at a steady rate, so that even the small sample has some."""

    def __init__(self, rng, first: tuple[int, int], gap: tuple[int, int]) -> None:
        self._rng = rng
        self._gap = gap
        self._left = rng.randint(*first)

    def __call__(self) -> bool:
        self._left -= 1
        if self._left > 0:
            return False
        self._left = self._rng.randint(*self._gap)
        return True
