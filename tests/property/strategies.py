"""What the property tests share: how people pad, case and type (full-width) what they write."""

from __future__ import annotations

from hypothesis import strategies as st

padding = st.sampled_from(["", " ", "  ", "\t", "\u3000"])  # \u3000: a full-width space


def full_width(raw: str) -> str:
    """The same text typed with a Chinese input method: ASCII as full-width characters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in raw)


def any_case(word: str) -> st.SearchStrategy[str]:
    """``word`` with each letter in upper or lower case."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)
        )
    )
