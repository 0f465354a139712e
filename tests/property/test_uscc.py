"""Properties of the USCC check (data_checks/sql/clients.uscc.valid.sql, GB 32100-2015, with
the organisation code inside it checked by GB 11714), against python-stdnum's
``stdnum.cn.uscc`` as an independent oracle of the check character."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as oracle

from data_checks.registry import check
from pipelines.store import connect_memory
from sample_data import uscc as sample_uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
SQL = check("clients.uscc.valid").sql_path.read_text(encoding="utf-8")


def failures(codes: list[str]) -> dict[str, str]:
    """client_id → the check's detail, for the codes the check reports."""
    conn = connect_memory()
    try:
        conn.execute("create table clients_under_test (client_id varchar, uscc varchar)")
        conn.executemany(
            "insert into clients_under_test values (?, ?)",
            [(f"KH{n}", code) for n, code in enumerate(codes)],
        )
        rows = conn.execute(SQL.format(batch="clients_under_test")).fetchall()
    finally:
        conn.close()
    return {record_key: detail for record_key, _column, _value, detail in rows}


def org_check(body: str) -> str:
    """GB 11714's check character of an organisation code's first eight characters."""
    value = lambda c: int(c) if c.isdigit() else ord(c) - 55  # noqa: E731 (A = 10)
    rest = 11 - sum(value(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(rest, str(rest))


# The part both read alike: eight digits (registration authority, kind, region), then the
# alphabet; stdnum insists on the digits, the check on the alphabet alone. Each example is a
# list of codes, checked in one query (a connection per code would be most of the time).
uscc_like = st.builds(
    str.__add__,
    st.text("0123456789", min_size=8, max_size=8),
    st.text(ALPHABET, min_size=10, max_size=10),
)
quick = settings(max_examples=40, deadline=None)


@quick
@given(st.lists(uscc_like, min_size=1, max_size=40))
@example(["91350100M000100Y43", "91350100M000100Y4X"])
def test_the_check_character_is_stdnums(codes):
    found = failures(codes + [code.lower() for code in codes])  # upper or lower case alike
    for n, code in enumerate(codes * 2):
        detail = found.get(f"KH{n}")
        if oracle.is_valid(code):
            assert detail is None or detail.startswith("organisation code check"), code
        else:
            expected = oracle.calc_check_digit(code[:17])
            assert detail == f"check character should be {expected}", code


@quick
@given(
    st.lists(
        st.tuples(
            st.text("0123456789", min_size=8, max_size=8),
            st.text(ALPHABET, min_size=8, max_size=8),
            st.sampled_from(ALPHABET),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_a_valid_uscc_is_refused_only_for_its_organisation_code(parts):
    """With the right check character (stdnum's), a code fails only when its organisation
    code (positions 9-17) fails GB 11714, and then names the right character."""
    codes = []
    for head, org, org_last in parts:
        body = head + org + org_last
        codes.append(body + oracle.calc_check_digit(body))
        assert oracle.is_valid(codes[-1])
    found = failures(codes)
    for n, (_head, org, org_last) in enumerate(parts):
        if org_last == org_check(org):
            assert f"KH{n}" not in found, codes[n]
        else:
            assert found[f"KH{n}"] == (
                f"organisation code check character should be {org_check(org)}"
            )


@quick
@given(
    st.lists(
        st.text(st.characters(codec="utf-8"), max_size=20)
        | st.text(ALPHABET + "IOSVZ", min_size=17, max_size=19),
        min_size=1,
        max_size=40,
    )
)
def test_anything_not_eighteen_characters_of_the_alphabet_is_malformed(raws):
    found = failures(raws)
    for n, raw in enumerate(raws):
        detail = found.get(f"KH{n}")
        if len(raw) == 18 and raw.isascii() and all(c in ALPHABET for c in raw.upper()):
            assert detail is None or "should be" in detail
        else:
            assert detail == "not 18 characters of 0-9 and A-Y without I, O, S, V, Z", raw
            # stdnum agrees, but for the spaces and dashes it removes first
            assert not oracle.is_valid(raw) or any(c in " -" for c in raw)


# The sample's codes (sample_data/uscc.py computes the same check characters in Python)


@quick
@given(st.lists(uscc_like, min_size=1, max_size=40))
def test_the_samples_check_characters_are_stdnums_and_the_checks(codes):
    found = failures(codes)
    for n, code in enumerate(codes):
        assert sample_uscc.uscc_check_char(code[:17]) == oracle.calc_check_digit(code[:17])
        assert sample_uscc.org_check_char(code[8:16]) == org_check(code[8:16])
        problems = sample_uscc.uscc_problems(code)
        assert sample_uscc.is_valid_uscc(code) == (not problems)
        # the SQL names the check character first, the organisation code only when it holds
        if "check_character" in problems:
            assert found[f"KH{n}"].startswith("check character should be")
        elif "org_code_check" in problems:
            assert found[f"KH{n}"].startswith("organisation code check")
        else:
            assert f"KH{n}" not in found


@quick
@given(
    st.randoms(use_true_random=False),
    st.text("0123456789", min_size=6, max_size=6),
    st.sampled_from(["91", "92"]),
    st.booleans(),
)
def test_the_samples_codes_and_their_typos(rng, region, category, new_style):
    code = sample_uscc.make_uscc(rng, region, category, new_style)
    typo = sample_uscc.with_wrong_check_char(rng, code)
    issued = sample_uscc.with_wrong_org_check(rng, code)
    assert oracle.is_valid(code) and not oracle.is_valid(typo) and oracle.is_valid(issued)
    found = failures([code, typo, issued])
    assert "KH0" not in found
    assert found["KH1"] == f"check character should be {code[17]}"
    assert found["KH2"].startswith("organisation code check character should be")
