"""Masking confidential values for people whose role may not see them."""

from __future__ import annotations

import re

import pandas as pd

from dashboard.roles import CONFIDENTIAL, Role


def mask_phone(value: str) -> str:
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) >= 7:
        return f"{digits[-11:][:3]}****{digits[-4:]}"
    return "*" * len(value)


def mask_uscc(value: str) -> str:
    return value[:4] + "*" * max(len(value) - 6, 0) + value[-2:] if len(value) > 6 else "*" * len(value)


def mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    return (local[:1] + "***" + at + domain) if at else value[:1] + "***"


MASKS = {"contact_phone": mask_phone, "uscc": mask_uscc, "email": mask_email}


def mask_value(field: str, value: object, role: Role) -> object:
    if value is None or value is pd.NA or value != value or role.sees(field) \
            or field not in MASKS:
        return value
    return MASKS[field](str(value))


def mask_frame(frame: pd.DataFrame, role: Role, columns: dict[str, str] | None = None
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
            for column, value in zip(frame["column_name"], frame["offending_value"])
        ]
    return frame
