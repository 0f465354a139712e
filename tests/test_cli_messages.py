"""The command line's catalogue (cli/messages.py): every sentence the CLI prints at run time
is read from cli/messages/*.toml; a key in two files or a key not there is an error."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from cli import messages

CLI_DIR = Path(messages.__file__).parent


def _fresh_catalogue(monkeypatch, folder: Path) -> dict[str, str]:
    monkeypatch.setattr(messages, "MESSAGES_DIR", folder)
    messages.catalogue.cache_clear()
    try:
        return messages.catalogue()
    finally:
        monkeypatch.undo()
        messages.catalogue.cache_clear()


def test_the_catalogue_reads_every_file_with_a_table_per_command():
    cat = messages.catalogue()
    files = sorted(path.stem for path in (CLI_DIR / "messages").glob("*.toml"))
    assert files, "no message files in cli/messages"
    assert messages.text("common.error") == "Error:"
    for key in cat:
        assert "." in key, f"{key}: a key is <command>.<name>"


def test_a_key_in_two_files_is_an_error(monkeypatch, tmp_path):
    (tmp_path / "a.toml").write_text('[serve]\nstarted = "one"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('[serve]\nstarted = "two"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"b\.toml: the key serve\.started is also"):
        _fresh_catalogue(monkeypatch, tmp_path)


def test_a_value_that_is_not_a_sentence_is_an_error(monkeypatch, tmp_path):
    (tmp_path / "a.toml").write_text("[serve]\nport = 8501\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.toml: serve\.port is not a sentence"):
        _fresh_catalogue(monkeypatch, tmp_path)


def test_a_missing_key_is_an_error_not_a_fallback():
    with pytest.raises(KeyError, match=r"no sentence for 'serve\.no_such_key'"):
        messages.text("serve.no_such_key")


def test_a_missing_parameter_is_an_error(monkeypatch, tmp_path):
    (tmp_path / "a.toml").write_text('[x]\nhello = "Hello {name}"\n', encoding="utf-8")
    monkeypatch.setattr(messages, "MESSAGES_DIR", tmp_path)
    messages.catalogue.cache_clear()
    try:
        assert messages.text("x.hello", name="[bold]Ada[/]") == "Hello [bold]Ada[/]"
        assert messages.text("x.hello", name="{other}") == "Hello {other}"
        with pytest.raises(KeyError, match="name"):
            messages.text("x.hello")
    finally:
        monkeypatch.undo()
        messages.catalogue.cache_clear()


def test_every_sentence_is_a_valid_format_string():
    for key, sentence in messages.catalogue().items():
        try:
            fields = [field for _, field, _, _ in string.Formatter().parse(sentence)]
        except ValueError as error:  # an unmatched { or }
            raise AssertionError(f"{key}: {error}") from None
        for field in fields:
            if field is not None:
                assert field.isidentifier(), f"{key}: placeholder {{{field}}} is not a name"


def _keys_used() -> dict[str, list[str]]:
    """Every literal key given to text(...) in cli/*.py, with the files using it."""
    used: dict[str, list[str]] = {}
    for path in sorted(CLI_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and (
                    (isinstance(node.func, ast.Name) and node.func.id == "text")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "text")
                )
                and node.args
            ):
                for key in _literal_keys(node.args[0], f"{path.name}:{node.lineno}"):
                    used.setdefault(key, []).append(path.name)
    return used


def _literal_keys(node: ast.expr, where: str) -> list[str]:
    """The keys a text() call may ask for: a literal, or `"a" if x else "b"` of literals."""
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body, where) + _literal_keys(node.orelse, where)
    assert isinstance(node, ast.Constant) and isinstance(node.value, str), (
        f"{where}: text() takes a literal key (or a choice of literals), so that this test "
        "can see it"
    )
    return [node.value]


def test_every_key_used_in_the_command_line_is_in_the_catalogue():
    cat = messages.catalogue()
    missing = {key: files for key, files in _keys_used().items() if key not in cat}
    assert not missing, f"keys used but not in cli/messages: {missing}"


def test_every_key_in_the_catalogue_is_used():
    used = _keys_used()
    unused = sorted(key for key in messages.catalogue() if key not in used)
    assert not unused, f"keys in cli/messages no command uses: {unused}"


# -- markup: values put into sentences come from files and the database; they are shown as
# written, never read as rich markup (cli/common.py prints with markup off)

_CONSOLES = {"out", "err_console", "console"}
_TEXT_BUILDERS = {"Text", "plain", "title"}


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return func.value.id  # Text.assemble -> Text
    return None


def _markup_risks(folder: Path = CLI_DIR) -> list[str]:
    """Prints of text with markup on, and table titles given as text, in cli/*.py."""
    risks = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.name}:{node.lineno}"
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "print"
                and isinstance(func.value, ast.Name)
                and func.value.id in _CONSOLES
                and node.args
            ):
                first = node.args[0]
                markup_off = any(
                    k.arg == "markup"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is False
                    for k in node.keywords
                )
                is_renderable = _call_name(first) in _TEXT_BUILDERS or (
                    isinstance(first, ast.Name) and first.id == "table"
                )
                if not markup_off and not is_renderable and _call_name(first) != "_tables":
                    risks.append(f"{where}: print text with markup=False (or as a rich Text)")
            if isinstance(func, ast.Name) and func.id == "Table":
                for keyword in node.keywords:
                    if keyword.arg == "title" and _call_name(keyword.value) != "title":
                        risks.append(f"{where}: a table's title goes through cli.common.title()")
    return risks


def test_the_command_line_prints_its_sentences_with_markup_off():
    assert not _markup_risks()


def test_the_markup_check_finds_text_printed_with_markup_on(tmp_path):
    (tmp_path / "bad.py").write_text(
        "out.print(text('x.y', file=name))\n"
        "err_console.print(f'{name} gone', markup=True)\n"
        "table = Table('a', title=f'Of {name}')\n"
        "out.print(text('x.y', file=name), markup=False)\n"
        "out.print(table)\n"
        "table = Table('a', title=title(text('x.y', file=name)))\n",
        encoding="utf-8",
    )
    assert _markup_risks(tmp_path) == [
        "bad.py:1: print text with markup=False (or as a rich Text)",
        "bad.py:2: print text with markup=False (or as a rich Text)",
        "bad.py:3: a table's title goes through cli.common.title()",
    ]


def test_a_title_with_markup_in_a_value_is_shown_as_written():
    from rich.console import Console
    from rich.table import Table

    from cli.common import title

    hostile = "[bold]KH1[/bold] [red]x[/]"
    table = Table(
        "table", width=100, title=title(messages.text("erase.title_dry_run", client=hostile))
    )
    console = Console(record=True, width=120, force_terminal=True)
    console.print(table)
    shown = console.export_text(clear=False)
    assert f"Erasure of client {hostile} (dry run)" in shown
    assert "\x1b[3m" in console.export_text(styles=True)  # rich's title style (italic) stays


def test_a_file_name_with_markup_is_printed_as_written(runner, tmp_path):
    from cli import app

    db = tmp_path / "[bold]new [red]x.duckdb"  # (no [/]: a slash is a folder)
    result = runner.invoke(app, ["init", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Created the empty database {db}.\n"
    assert db.exists()
