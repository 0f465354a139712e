"""An audit entry's details in the user's language: the library records codes and values
(``{"kind": "events", "added": 7223, "reason": "wrong_password"}``), this words them
("类型：交接日志；新增：7,223；原因：密码错误"). Keys and codes the catalogue lacks are shown as
they are, so that nothing recorded is ever hidden."""

from __future__ import annotations

from dashboard.i18n import catalogue, t

SEPARATOR = {"zh": "；", "en": "; "}
COLON = {"zh": "：", "en": ": "}
# keys whose value is a code with its own words: key -> catalogue prefix
CODED = {
    "kind": "upload.kinds",
    "role": "roles",
    "previous_role": "roles",
    "reason": "audit.reasons",
    "trigger": "audit.triggers",
    "what": "audit.targets",
    "method": "audit.methods",
    "matched": "audit.methods",
}


def _known(key: str) -> bool:
    return key in catalogue()


def key_label(key: str, lang: str) -> str:
    name = f"audit.detail.{key}"
    return t(name, lang) if _known(name) else key


def value_text(key: str, value: object, lang: str) -> str:
    if value is None and key == "trigger":  # a run somebody started (CLI, "run now")
        return t("audit.triggers.manual", lang)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    if key in CODED and isinstance(value, str) and _known(f"{CODED[key]}.{value}"):
        return t(f"{CODED[key]}.{value}", lang)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):  # settings changed: {key: [old, new]}; sheets: {name: rows}
        return (
            "，".join(f"{name} {_pair(v, lang)}" for name, v in value.items())
            if lang == "zh"
            else ", ".join(f"{name} {_pair(v, lang)}" for name, v in value.items())
        )
    if isinstance(value, (list, tuple)):
        return (
            "、".join(value_text(key, v, lang) for v in value)
            if lang == "zh"
            else ", ".join(value_text(key, v, lang) for v in value)
        )
    return str(value)


def _pair(value: object, lang: str) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return f"{value_text('', value[0], lang)} → {value_text('', value[1], lang)}"
    return f"({value_text('', value, lang)})"


def describe(detail: dict | None, lang: str) -> str:
    """The details as one line of "label: value" pairs, or "" for none."""
    if not detail:
        return ""
    return SEPARATOR[lang].join(
        f"{key_label(key, lang)}{COLON[lang]}{value_text(key, v, lang)}"
        for key, v in detail.items()
    )


def user_label(name: str | None, lang: str) -> str:
    """Who did it: the account's name; the sample's loader in the user's words."""
    from sample_data.loader import SAMPLE_USER

    if not name:
        return "—"
    return t("audit.sample_user", lang) if name == SAMPLE_USER else name
