"""How a confidential value is spelled masked: phone numbers, USCCs and e-mail addresses.

The spelling alone, for every layer that shows or writes a value (the dashboard, the
exports, the data checks' documentation on disk); who may see a value unmasked is the
dashboard's business (``dashboard/masking.py``, by role)."""

from __future__ import annotations

import re
from collections.abc import Callable

# what mask_phone writes: kept as it is, so that masking a masked text changes nothing
_MASKED_PHONE = re.compile(r"[0-9]{0,3}\*{4}[0-9]{3,4}")


def mask_phone(value: str) -> str:
    """A mobile number (11 digits, after any +86 or separators) shows its first three and
    last four digits: 138****5678. A shorter number (a landline without its area code) shows
    at most its last four, and never fewer than four digits are hidden: 6438123 → ****123.
    Fewer than seven digits: stars throughout."""
    if _MASKED_PHONE.fullmatch(value):
        return value
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) >= 11:
        return f"{digits[-11:][:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return "****" + digits[-min(4, len(digits) - 4) :]
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
