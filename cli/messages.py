"""The command line's words: every sentence `handover` prints at run time comes from here.

The catalogue is the TOML files in ``cli/messages/`` (one per command, plus common.toml),
a table per command (``[serve]``, ``[backup]``) of keys to sentences with ``{param}``
placeholders; ``text("serve.no_account", user=name)`` formats one. It mirrors the
dashboard's locale catalogue (dashboard/i18n.py) but holds English only: the command line
speaks English (its users are administrators and scripts; the dashboard is the Chinese and
English interface). Typer's help texts stay beside their options: they are declarations,
not output.

A key given in two files, or a key that is not in the catalogue, is an error (ValueError
when the catalogue is read, KeyError when a missing key is asked for), never a silent
fallback; tests/test_cli_messages.py checks that every key used in cli/*.py exists and
every key in the catalogue is used.

The sentences are plain text, not rich markup: values put in come from files and the
database (file names, cells, user names), and the command line prints its sentences with
markup off (``markup=False`` or a ``rich.text.Text``), so ``[bold]`` in a value is shown as
written. This module imports only the standard library: every command imports it, and
`handover --help` must stay light (tests/test_cli_output.py).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

MESSAGES_DIR = Path(__file__).parent / "messages"


@cache
def catalogue() -> dict[str, str]:
    """Every key (``"<command>.<name>"``) and its sentence, from all the TOML files."""
    merged: dict[str, str] = {}
    for file in sorted(MESSAGES_DIR.glob("*.toml")):
        tree = tomllib.loads(file.read_text(encoding="utf-8"))
        for key, sentence in _flatten(tree, file.name).items():
            if key in merged:
                raise ValueError(f"{file.name}: the key {key} is also in another message file")
            merged[key] = sentence
    return merged


def _flatten(tree: dict, file_name: str, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, str):
            flat[name] = value
        elif isinstance(value, dict):
            flat.update(_flatten(value, file_name, f"{name}."))
        else:
            raise ValueError(f"{file_name}: {name} is not a sentence (a TOML string)")
    return flat


def text(key: str, **params: object) -> str:
    """The sentence of ``key`` with ``params`` put in (``str.format``, so ``{count:,}``
    works; a literal brace is written twice). A placeholder without its value is a KeyError.
    Plain text: print it with markup off."""
    sentence = catalogue().get(key)
    if sentence is None:
        raise KeyError(f"no sentence for {key!r} in cli/messages")
    return sentence.format(**params)
