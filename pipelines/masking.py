"""How a confidential value is spelled masked: phone numbers, USCCs and e-mail addresses.

The spelling alone, for every layer that shows or writes a value (the dashboard, the
exports, the data checks' documentation on disk); who may see a value unmasked is the
dashboard's business (``dashboard/masking.py``, by role)."""

from __future__ import annotations

import re
from collections.abc import Callable


def mask_phone(value: str) -> str:
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) >= 7:
        return f"{digits[-11:][:3]}****{digits[-4:]}"
    return "*" * len(value)


def mask_uscc(value: str) -> str:
    return (
        value[:4] + "*" * max(len(value) - 6, 0) + value[-2:]
        if len(value) > 6
        else "*" * len(value)
    )


def mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    return (local[:1] + "***" + at + domain) if at else value[:1] + "***"


MASKS: dict[str, Callable[[str], str]] = {
    "contact_phone": mask_phone,
    "uscc": mask_uscc,
    "email": mask_email,
}
