"""Masking confidential values for people whose role may not see them."""

from __future__ import annotations

import pandas as pd

from dashboard.roles import CONFIDENTIAL, Role
from pipelines.masking import MASKS


def mask_value(field: str, value: object, role: Role) -> object:
    if value is None or value is pd.NA or value != value or role.sees(field) or field not in MASKS:
        return value
    return MASKS[field](str(value))


def mask_frame(
    frame: pd.DataFrame, role: Role, columns: dict[str, str] | None = None
) -> pd.DataFrame:
    """A copy with confidential columns masked; ``columns`` maps other column names to the
    field they hold (e.g. given_contact_phone → contact_phone)."""
    frame = frame.copy()
    mapping = {c: c for c in CONFIDENTIAL} | (columns or {})
    for column, field in mapping.items():
        if column in frame.columns and not role.sees(field):
            frame[column] = frame[column].map(lambda v, f=field: mask_value(f, v, role))
    return frame


def mask_failures(frame: pd.DataFrame, role: Role) -> pd.DataFrame:
    """Failing records: the offending value is masked when its column is confidential."""
    frame = frame.copy()
    if "offending_value" in frame.columns and "column_name" in frame.columns:
        frame["offending_value"] = [
            mask_value(column, value, role) if column in MASKS else value
            for column, value in zip(frame["column_name"], frame["offending_value"], strict=False)
        ]
    return frame
