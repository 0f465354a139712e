"""The Data Docs download is built for the viewer (issue 10): masked where the role may not
see a confidential field, refused without ``export`` or without the whole firm's scope, and
verified before it is handed out."""

from __future__ import annotations

import dataclasses
import html
import io
import zipfile
from pathlib import Path

import pytest

from dashboard.i18n import t
from data_checks import docs_export
from data_checks.docs_export import DocsExportError, Masker, docs_zip_for
from pipelines import access
from pipelines.access import Actor
from pipelines.errors import PermissionDeniedError
from pipelines.masking import mask_email, mask_phone, mask_uscc
from pipelines.store import Store


@dataclasses.dataclass
class Built:
    store: Store
    docs: Path
    values: dict[str, set[str]]  # field -> every value the database holds, in its forms
    masked: Path  # the Data Docs of a run as written on disk


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    from data_checks.runner import run_checks
    from sample_data.generator import SAMPLE_AS_OF
    from sample_data.loader import load_sample

    folder = tmp_path_factory.mktemp("docs_export")
    store = Store(folder / "sample.duckdb")
    load_sample(store, "small")
    docs = folder / "sample_data_docs"
    # the pages as Great Expectations writes them, before a run masks them on disk: the
    # export's masking is tested on the raw values (and is a second net for docs of a
    # release that did not mask them)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(docs_export, "mask_in_place", lambda store, folder: 0)
        run_checks(store, SAMPLE_AS_OF, docs_dir=docs)
    masked = folder / "masked_data_docs"
    run_checks(store, SAMPLE_AS_OF, docs_dir=masked)
    rows = store.read(
        lambda conn: conn.execute("select contact_phone, uscc, email from raw_clients").fetchall()
    )
    phones = {p for p, _, _ in rows if p}
    values = {
        "contact_phone": phones | {p.replace(" ", "").replace("-", "") for p in phones},
        "uscc": {u for _, u, _ in rows if u} | {u.upper() for _, u, _ in rows if u},
        "email": {e for _, _, e in rows if e},
    }
    return Built(store, docs, values, masked)


def _folder_text(docs: Path) -> str:
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(docs.rglob("*")) if p.is_file()
    )


def _zip_text(data: bytes) -> str:
    """Every entry of the zip, pages and static files alike, as text."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(
            name + "\n" + archive.read(name).decode("utf-8", "replace")
            for name in archive.namelist()
        )


def _shown(text: str, values: set[str]) -> set[str]:
    return {v for v in values if v in text or html.escape(v) in text}


def test_the_raw_docs_show_confidential_values(built: Built):
    """Without this the other tests could not fail: GX writes the raw values."""
    text = _folder_text(built.docs)
    for field, values in built.values.items():
        assert len(_shown(text, values)) >= 10, field


def test_the_docs_a_run_writes_hold_no_confidential_value(built: Built):
    """`handover check --docs DIR` writes no phone, USCC or e-mail unmasked to disk (issue
    13): the masked forms the dashboard shows are there instead."""
    text = _folder_text(built.masked)
    for field, values in built.values.items():
        assert _shown(text, values) == set(), field
    raw = _folder_text(built.docs)
    assert any(mask_phone(p) in text for p in _shown(raw, built.values["contact_phone"]))
    assert any(mask_uscc(u) in text for u in _shown(raw, built.values["uscc"]))
    assert len(list(built.masked.rglob("*.html"))) == len(list(built.docs.rglob("*.html")))


def test_management_gets_no_confidential_value(built: Built):
    assert access.role("management").unmasked == ()
    data = docs_zip_for(built.store, built.docs, Actor("mia", "management"))
    text = _zip_text(data)
    for field, values in built.values.items():
        assert _shown(text, values) == set(), field
    # masked, not removed: the masked forms the dashboard shows are there instead
    shown = _shown(_folder_text(built.docs), built.values["contact_phone"])
    assert any(mask_phone(p) in text for p in shown)
    assert any(mask_uscc(u) in text for u in _shown(_folder_text(built.docs), built.values["uscc"]))
    assert any(
        html.escape(mask_email(e)) in text
        for e in _shown(_folder_text(built.docs), built.values["email"])
    )


def test_an_export_is_in_the_audit_trail_and_a_refusal_is_not(built: Built):
    from pipelines import audit

    admin = Actor("ada", "administrator")
    before = len(audit.entries(built.store, actor=admin))
    with pytest.raises(
        PermissionDeniedError, match=r"tom \(team_lead\) sees only part of the firm's data"
    ):
        docs_zip_for(built.store, built.docs, Actor("tom", "team_lead", team="审计一部"))
    docs_zip_for(built.store, built.docs, Actor("mia", "management"))
    frame = audit.entries(built.store, actor=admin)
    assert len(frame) == before + 1
    entry = frame.iloc[-1]
    assert (entry["user_name"], entry["action"], entry["target"]) == ("mia", "export", "data_docs")
    assert entry["detail"]["masked"] == list(access.CONFIDENTIAL)


def test_the_zip_holds_every_page_and_the_static_files(built: Built):
    data = docs_zip_for(built.store, built.docs, Actor("mia", "management"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    folder = {p.relative_to(built.docs).as_posix() for p in built.docs.rglob("*") if p.is_file()}
    assert names == folder
    assert "index.html" in names and any(n.startswith("validations/") for n in names)


def test_quality_sees_every_value(built: Built):
    assert set(access.role("quality").unmasked) == set(access.CONFIDENTIAL)
    data = docs_zip_for(built.store, built.docs, Actor("quinn", "quality"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert archive.read(name) == (built.docs / name).read_bytes(), name


def _with_export(monkeypatch, name: str) -> str:
    """A copy of the role ``name`` that also has ``export`` (operations has not)."""
    shipped = access.roles()
    spec = shipped[name]
    copy = dataclasses.replace(
        spec, name=f"{name}_export", permissions=spec.permissions | {"export"}
    )
    monkeypatch.setattr(access, "roles", lambda: {**shipped, copy.name: copy})
    return copy.name


def test_operations_sees_phones_only(built: Built, monkeypatch):
    assert access.role("operations").unmasked == ("contact_phone",)
    with pytest.raises(
        PermissionDeniedError, match=r"olga \(operations\) may not export"
    ) as refused:  # the shipped role may not export
        docs_zip_for(built.store, built.docs, Actor("olga", "operations"))
    assert refused.value.code == "permission_denied_action"

    name = _with_export(monkeypatch, "operations")
    text = _zip_text(docs_zip_for(built.store, built.docs, Actor("olga", name)))
    raw = _folder_text(built.docs)
    assert _shown(text, built.values["contact_phone"]) == _shown(raw, built.values["contact_phone"])
    assert _shown(text, built.values["uscc"]) == set()
    assert _shown(text, built.values["email"]) == set()


@pytest.mark.parametrize(
    "role_name, code",
    [
        ("team_lead", "docs_scope_refused"),  # has export, sees one team
        ("staff", "permission_denied_action"),  # no export
        ("operations", "permission_denied_action"),  # no export
    ],
)
def test_refused(built: Built, role_name: str, code: str):
    actor = Actor(
        "sam",
        role_name,
        team="审计一部" if role_name == "team_lead" else None,
        staff="王芳" if role_name == "staff" else None,
    )
    with pytest.raises(
        PermissionDeniedError, match=r"sam \(\w+\) (may not|sees only part of the firm's data)"
    ) as refused:
        docs_zip_for(built.store, built.docs, actor)
    assert refused.value.code == code
    for lang in ("zh", "en"):
        assert t(f"errors.{code}", lang, **refused.value.params)
    with pytest.raises(
        PermissionDeniedError, match=r"sam \(\w+\) (may not|sees only part of the firm's data)"
    ):
        docs_export.require_docs_export(actor)


def test_a_team_role_with_every_unmask_is_still_refused(built: Built, monkeypatch):
    """The scope, not the masking, decides: the docs cannot be cut to a team."""
    name = _with_export(monkeypatch, "team_lead")
    shipped = access.roles()
    spec = dataclasses.replace(
        shipped[name],
        permissions=shipped[name].permissions | {f"unmask:{f}" for f in access.CONFIDENTIAL},
    )
    monkeypatch.setattr(access, "roles", lambda: {**shipped, name: spec})
    with pytest.raises(
        PermissionDeniedError, match=r"tina \(.+\) sees only part of the firm's data \(scope team\)"
    ) as refused:
        docs_zip_for(built.store, built.docs, Actor("tina", name, team="审计一部"))
    assert refused.value.code == "docs_scope_refused"
    assert refused.value.params == {"user": "tina", "role": name, "scope": "team"}


def test_a_value_left_behind_refuses_the_export(built: Built, monkeypatch):
    """The verification runs every time: if masking missed anything, nothing goes out."""
    monkeypatch.setattr(Masker, "apply", lambda self, text: text)
    with pytest.raises(
        DocsExportError, match="The Data Docs could not be masked for mia"
    ) as refused:
        docs_zip_for(built.store, built.docs, Actor("mia", "management"))
    error = refused.value
    assert error.code == "docs_mask_failed" and error.params["count"] > 0
    said = str(error) + "".join(
        t("errors.docs_mask_failed", lang, **error.params) for lang in ("zh", "en")
    )
    for values in built.values.values():  # the refusal names no value
        assert not any(v in said for v in values)


def test_no_docs(built: Built, tmp_path: Path):
    with pytest.raises(DocsExportError, match="There are no Data Docs in .* yet") as refused:
        docs_zip_for(built.store, tmp_path / "none", Actor("mia", "management"))
    assert refused.value.code == "docs_missing"
    assert t("errors.docs_missing", "zh", **refused.value.params)


# -- the masking itself, on made-up pages ------------------------------------------------------


def test_longest_first_escaped_forms_and_short_values():
    masker = Masker(
        {
            "contact_phone": {"13800138000", "+86 138-0013-8000", "123", "无", "138****5678"},
            "email": {"o'brien&co@example.com"},
        }
    )
    page = (
        '<a href="#section-123" id="s1234">+86 138-0013-8000, +8613800138000, '
        "13800138000</a><td>123</td><td>1234</td><td>无锡</td><td>138****5678</td>"
        '<p title="o&#39;brien&amp;co@example.com">o&#x27;brien&amp;co@example.com</p>'
        '<script>var x = "o\'brien&co@example.com";</script>'
    )
    out = masker.apply(page)
    assert "13800138000" not in out and "138-0013-8000" not in out
    assert out.count("138****8000") == 3  # each written form masked whole, once
    assert "<td>***</td>" in out  # a short value standing alone is masked ...
    assert 'href="#section-123"' in out and "<td>1234</td>" in out  # ... not inside others
    assert "<td>无锡</td>" in out  # one letter: not sought
    assert "<td>138****5678</td>" in out  # already masked
    assert "brien" not in out and out.count("o***@example.com") == 3
    assert masker.remaining(out) == 0 and masker.remaining(page) > 0


def test_the_second_net_masks_values_the_database_no_longer_holds():
    masker = Masker({"contact_phone": set(), "uscc": set(), "email": set()})
    page = "<td>139 1234 5678, 021-55501234</td><td>91310115MA1G0NNH1U</td><td>a.b@x.cn</td>"
    out = masker.apply(page)
    assert out == ("<td>139****5678, 021****1234</td><td>9131************1U</td><td>a***@x.cn</td>")
    assert masker.remaining(out) == 0


def test_candidates_find_a_value_glued_to_other_letters():
    """A value is looked for through its longest run of letters and digits, which lies
    inside a run of the page even when the page glues it to more letters."""
    masker = Masker({"uscc": {"91310115MA1G0NNH1U"}})
    out = masker.apply("<td>X91310115MA1G0NNH1UY</td>")
    assert "91310115MA1G0NNH1U" not in out
