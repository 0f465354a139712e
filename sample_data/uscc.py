"""Unified social credit codes (统一社会信用代码, GB 32100-2015) for the sample data.

A code is 18 characters: registration department (1), entity category (1), region (6),
organisation code (9, itself checked by GB 11714) and a check character (1).
The rules are those of DOMAIN.md section 6.
"""

from __future__ import annotations

import random

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_BODY_LETTERS = ALPHABET[10:]


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_char(first8: str) -> str:
    """The GB 11714 check character for the first 8 characters of an organisation code.

    Characters are valued 0-9 for digits and A=10 ... Z=35 for letters.
    """
    total = sum(_org_value(ch) * w for ch, w in zip(first8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def uscc_problems(code: str) -> list[str]:
    """What is wrong with a code: [] when it passes every check.

    Possible entries: "length", "characters", "check_character" (GB 32100) and
    "org_code_check" (GB 11714 on positions 9-17).
    """
    if len(code) != 18:
        return ["length"]
    if any(ch not in _VALUE for ch in code):
        return ["characters"]
    problems = []
    if uscc_check_char(code[:17]) != code[17]:
        problems.append("check_character")
    if org_check_char(code[8:16]) != code[16]:
        problems.append("org_code_check")
    return problems


def is_valid_uscc(code: str) -> bool:
    """True when the code has 18 valid characters and both check characters hold."""
    return not uscc_problems(code)


def make_uscc(rng: random.Random, region: str, category: str = "91", new_style: bool = True) -> str:
    """A valid code for region (6 digits) and category ("91" company, "92" sole trader).

    New-style organisation codes (issued since 2015 in Shanghai) start with "MA1";
    old-style ones are 8 digits.
    """
    if new_style:
        body = "MA1" + "".join(rng.choice(ALPHABET) for _ in range(5))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = category + region + body + org_check_char(body)
    return first17 + uscc_check_char(first17)


def with_wrong_check_char(rng: random.Random, code: str) -> str:
    """The same code with a different, wrong GB 32100 check character (a typo)."""
    wrong = rng.choice([ch for ch in ALPHABET if ch != code[17]])
    return code[:17] + wrong


def with_wrong_org_check(rng: random.Random, code: str) -> str:
    """A code whose organisation-code check fails but whose GB 32100 check holds.

    Such codes were really issued; they must be reported, not refused.
    """
    wrong = rng.choice([ch for ch in "0123456789X" if ch != code[16]])
    first17 = code[:16] + wrong
    return first17 + uscc_check_char(first17)
