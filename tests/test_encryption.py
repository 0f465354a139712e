"""Encryption at rest (pipelines/encryption.py, pipelines/encrypt.py): an encrypted database
holds none of the sample's identifiers as bytes and answers exactly as a plain one (figures,
scores, data checks through Great Expectations); without its key, with a wrong key, with a
key file others may read, every command says so in one sentence and exits 1; `handover
encrypt` and `handover rekey` keep every row; a `kill -9` of `handover encrypt` leaves the
database whole and openable."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from pipelines.encryption import key_file_for
from pipelines.store import Store

ROOT = Path(__file__).parents[1]
AS_OF = "2026-11-20"


@pytest.fixture(autouse=True)
def own_keys(tmp_path, monkeypatch) -> Path:
    """Keys are looked for in this test's folder only."""
    for name in ("HANDOVER_KEY", "HANDOVER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HANDOVER_CONFIG", "none")
    return tmp_path / "config"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def refused(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def plain_sample(tmp_path_factory) -> Path:
    """The small sample, plain, after a check run (the reference)."""
    db = tmp_path_factory.mktemp("plain") / "plain.duckdb"
    env = {"HANDOVER_CONFIG": "none", "XDG_CONFIG_HOME": str(db.parent / "config")}
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--db", str(db)], env=env).exit_code == 0
    assert runner.invoke(app, ["check", "--as-of", AS_OF, "--db", str(db)], env=env).exit_code in (
        0,
        1,
    )
    return db


def identifiers(db: Path) -> set[str]:
    """Every client's phone, USCC, e-mail and company name in a plain database."""
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "select contact_phone, uscc, email, company_name from raw_clients"
        ).fetchall()
    return {value for row in rows for value in row if value and len(value) >= 5}


def held(db: Path, values: set[str]) -> set[str]:
    data = db.read_bytes()
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        data += wal.read_bytes()
    return {v for v in values if v.encode("utf-8") in data}


def outputs(db: Path) -> dict[str, str]:
    """What metrics, scores and failures print, but the moments failures were first seen."""
    return {
        command: re.sub(
            r'"first_seen_at": "[^"]*"',
            "",
            ok(
                command,
                "--json",
                *(("--as-of", AS_OF) if command != "failures" else ()),
                "--db",
                str(db),
            ),
        )
        for command in ("metrics", "scores", "failures")
    }


def test_an_encrypted_database_holds_no_identifier_and_answers_as_a_plain_one(
    plain_sample, tmp_path, own_keys
):
    values = identifiers(plain_sample)
    assert len(values) > 500 and held(plain_sample, values) == values  # the test can fail
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "secret.duckdb"
    said = ok("init", "--encrypt", "--db", str(db))
    key_file = key_file_for(db)
    assert str(key_file) in said and key_file.stat().st_mode & 0o777 == 0o600
    ok("demo", "--db", str(db))
    ok("check", "--as-of", AS_OF, "--db", str(db))  # Great Expectations reads it too
    assert held(db, values) == set()
    assert outputs(db) == outputs(plain_sample)
    leftovers = [
        p.name for p in db.parent.iterdir() if p.name not in (db.name, db.name + ".changed")
    ]
    assert leftovers == [], leftovers  # no copy, snapshot or spill left beside it


def test_without_its_key_every_command_says_so_in_one_sentence(plain_sample, tmp_path, monkeypatch):
    db = tmp_path / "h.duckdb"
    shutil.copyfile(plain_sample, db)
    ok("encrypt", "--db", str(db))
    own = key_file_for(db)
    moved = tmp_path / "elsewhere.key"
    own.rename(moved)
    for command in (["metrics"], ["check"], ["batches"], ["backup"]):
        line = refused(*command, "--db", str(db))
        assert line.startswith(f"Error: The database {db} is encrypted and no key was found")
        assert "HANDOVER_KEY_FILE" in line and str(own) in line
    monkeypatch.setenv("HANDOVER_KEY_FILE", str(moved))
    assert ok("metrics", "--json", "--db", str(db))  # the key file named
    monkeypatch.setenv("HANDOVER_KEY_FILE", str(tmp_path / "missing.key"))
    assert "does not exist" in refused("metrics", "--db", str(db))
    os.chmod(moved, 0o640)
    monkeypatch.setenv("HANDOVER_KEY_FILE", str(moved))
    assert "may be read by others (mode 0640" in refused("metrics", "--db", str(db))
    monkeypatch.delenv("HANDOVER_KEY_FILE")
    monkeypatch.setenv("HANDOVER_KEY", "0123456789abcdef-not-the-key")
    assert "The key does not open the database" in refused("metrics", "--db", str(db))
    monkeypatch.setenv("HANDOVER_KEY", "short")
    assert "at least 16 characters" in refused("metrics", "--db", str(db))
    # a key set for a plain database
    plain = tmp_path / "plain.duckdb"
    shutil.copyfile(plain_sample, plain)
    monkeypatch.setenv("HANDOVER_KEY", "0123456789abcdef-any-key")
    assert "is not encrypted" in refused("metrics", "--db", str(plain))


def test_encrypt_and_rekey_keep_every_row_and_the_old_key_no_longer_opens(
    plain_sample, tmp_path, monkeypatch
):
    db = tmp_path / "h.duckdb"
    shutil.copyfile(plain_sample, db)
    before = outputs(db)
    ok("encrypt", "--db", str(db))
    assert "encrypted already" in refused("encrypt", "--db", str(db))
    assert outputs(db) == before
    old = tmp_path / "old.key"
    shutil.copyfile(key_file_for(db), old)
    os.chmod(old, 0o600)
    ok("rekey", "--db", str(db))
    assert key_file_for(db).read_bytes() != old.read_bytes()
    assert outputs(db) == before
    monkeypatch.setenv("HANDOVER_KEY_FILE", str(old))
    assert "does not open" in refused("metrics", "--db", str(db))


def test_init_and_encrypt_refuse_what_would_lose_a_key_or_a_database(plain_sample, tmp_path):
    db = tmp_path / "h.duckdb"
    shutil.copyfile(plain_sample, db)
    assert "exists already" in refused("init", "--encrypt", "--db", str(db))
    key = key_file_for(db)
    key.parent.mkdir(parents=True)
    key.write_text("someone-elses-key-0123456789\n")
    os.chmod(key, 0o600)
    assert "is not encrypted" in refused("metrics", "--db", str(db))
    other = tmp_path / "other.key"
    other.write_text("x")
    line = refused("encrypt", "--key-file", str(other), "--db", str(db))
    assert "exists already" in line and Store(db, key=None).read(lambda c: True)
    assert other.read_text() == "x"


def test_a_killed_encrypt_leaves_the_database_whole(plain_sample, tmp_path, own_keys):
    """`kill -9` of `handover encrypt` at a random moment once it has begun: the database
    opens (plain, or encrypted with its key where the key is looked for, or where the
    sentence says it is) with every row."""
    rng = random.Random(7)
    reference = Store(plain_sample, key=None).read(
        lambda c: c.execute("select count(*) from raw_events").fetchall()[0][0]
    )
    env = {**os.environ, "HANDOVER_CONFIG": "none", "XDG_CONFIG_HOME": str(own_keys)}
    for attempt in range(5):
        db = tmp_path / f"k{attempt}.duckdb"
        shutil.copyfile(plain_sample, db)
        child = subprocess.Popen(
            [sys.executable, "-m", "cli", "encrypt", "--db", str(db)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        pending = key_file_for(db).with_name(key_file_for(db).name + ".new")
        if pending.exists() and not key_file_for(db).exists():
            try:
                Store(db, key=None).read(lambda c: None)
            except Exception as err:  # encrypted: the sentence names the pending key
                assert str(pending) in str(err)
                pending.rename(key_file_for(db))
            else:
                pending.unlink()
        rows = Store(db).read(
            lambda c: c.execute("select count(*) from raw_events").fetchall()[0][0]
        )
        assert rows == reference


def test_the_backup_of_an_encrypted_database_is_encrypted_and_restores_with_its_key(
    plain_sample, tmp_path, monkeypatch
):
    db = tmp_path / "h.duckdb"
    shutil.copyfile(plain_sample, db)
    before = outputs(db)
    ok("encrypt", "--db", str(db))
    ok("backup", str(tmp_path / "backups"), "--db", str(db))
    (backup,) = (tmp_path / "backups").iterdir()
    values = identifiers(plain_sample)
    files = b"".join(p.read_bytes() for p in backup.iterdir())
    assert [v for v in values if v.encode("utf-8") in files] == []
    restored = tmp_path / "restored.duckdb"
    line = refused("restore", str(backup), "--to", str(restored))  # no key for the new file
    assert "is encrypted and no key was found" in line and not restored.exists()
    other = tmp_path / "other.key"
    other.write_text("another-key-of-another-database\n")
    os.chmod(other, 0o600)
    monkeypatch.setenv("HANDOVER_KEY_FILE", str(other))
    assert "was taken with another key" in refused("restore", str(backup), "--to", str(restored))
    monkeypatch.setenv("HANDOVER_KEY_FILE", str(key_file_for(db)))
    ok("restore", str(backup), "--to", str(restored))
    assert outputs(restored) == before
    assert held(restored, values) == set()


def test_a_damaged_encrypted_file_is_said_to_be_damaged(plain_sample, tmp_path, monkeypatch):
    """A flipped bit in an encrypted block fails its integrity check (AES-GCM), a truncated
    file misses blocks: one sentence, exit 1; the key is not blamed."""
    db = tmp_path / "h.duckdb"
    shutil.copyfile(plain_sample, db)
    ok("encrypt", "--db", str(db))
    monkeypatch.setenv("HANDOVER_KEY_FILE", str(key_file_for(db)))
    flipped, cut = tmp_path / "flipped.duckdb", tmp_path / "cut.duckdb"
    data = bytearray(db.read_bytes())
    data[5000] ^= 0x40  # in the first block of data, which every open reads
    flipped.write_bytes(bytes(data))
    cut.write_bytes(db.read_bytes()[:1_000_000])
    for damaged in (flipped, cut):
        line = refused("metrics", "--db", str(damaged))
        assert f"The database {damaged} is damaged or truncated" in line, line
    assert ok("metrics", "--json", "--db", str(db))  # the file they were made from
