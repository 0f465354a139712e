"""Properties of masking (pipelines/masking.py): a masked phone, USCC or e-mail address never
shows the part it hides, keeps its length rules, and masking a masked value changes nothing
(the Data Docs on disk are masked over text that may already hold masked values)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from pipelines.masking import mask_email, mask_phone, mask_uscc
from tests.property.test_uscc import ALPHABET

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
separators = st.sampled_from(["", " ", "-"])


@given(mobiles, st.sampled_from(["", "+86", "+86 ", "86-"]), separators)
def test_a_mobile_shows_its_first_three_and_last_four_digits_only(number, prefix, sep):
    written = prefix + sep.join([number[:3], number[3:7], number[7:]])
    masked = mask_phone(written)
    assert masked == number[:3] + "****" + number[7:]
    assert len(masked) == 11
    assert re.sub(r"[^0-9]", "", masked) == number[:3] + number[7:]  # the middle four hidden
    assert mask_phone(masked) == masked


@given(st.text(max_size=30))
@example("****123")
def test_a_phone_of_fewer_than_seven_digits_is_stars_throughout(raw):
    if re.fullmatch(r"[0-9]{0,3}\*{4}[0-9]{3,4}", raw):  # masked already: kept
        assert mask_phone(raw) == raw
    elif len(re.sub(r"[^0-9]", "", raw)) < 7:
        assert mask_phone(raw) == "*" * len(raw)


@given(st.from_regex(r"[0-9]{7,10}", fullmatch=True))
@example("6438123")
def test_a_short_number_hides_at_least_four_of_its_digits(number):
    masked = mask_phone(number)
    shown = re.sub(r"[^0-9]", "", masked)
    assert len(number) - len(shown) >= 4
    assert number.endswith(shown)  # only its last digits, if any
    assert mask_phone(masked) == masked


@given(st.text(ALPHABET, min_size=18, max_size=18) | st.text(min_size=7, max_size=40))
def test_a_uscc_shows_its_first_four_and_last_two_characters_only(code):
    masked = mask_uscc(code)
    assert len(masked) == len(code)
    assert masked == code[:4] + "*" * (len(code) - 6) + code[-2:]
    assert mask_uscc(masked) == masked


@given(st.text(max_size=6))
def test_a_uscc_of_six_characters_or_fewer_is_stars_throughout(code):
    assert mask_uscc(code) == "*" * len(code)


locals_ = st.from_regex(r"[a-z0-9._%+-]{1,20}", fullmatch=True)
domains = st.from_regex(r"[a-z0-9-]{1,12}\.(cn|com|com\.cn)", fullmatch=True)


@given(locals_, domains)
def test_an_e_mail_address_shows_its_first_character_and_domain_only(local, domain):
    masked = mask_email(f"{local}@{domain}")
    assert masked == f"{local[0]}***@{domain}"
    assert masked.partition("@")[0] == local[0] + "***"  # nothing more of the name, nor its length
    assert mask_email(masked) == masked


@given(st.text(max_size=20).filter(lambda s: "@" not in s))
def test_text_without_an_at_sign_keeps_one_character(raw):
    assert mask_email(raw) == raw[:1] + "***"
