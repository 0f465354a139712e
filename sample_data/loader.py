"""Loading the generated sample through the same import path users use."""

from __future__ import annotations

import tempfile
from datetime import datetime, time
from pathlib import Path

from pipelines.access import Actor, acting
from pipelines.errors import HandoverError
from pipelines.ingest import ImportReport, ingest_file
from pipelines.progress import Reporter
from pipelines.store import Store

SIZES = ("small", "large")
# The user the sample's batches are recorded under: the mark of data that is the sample (the
# dashboard says so while every batch carries it). No account or OS user can have this name.
SAMPLE_USER = "demo (sample data)"


def load_sample(
    store: Store,
    size: str = "small",
    seed: int = 42,
    keep_dir: Path | None = None,
    force: bool = False,
    progress: Reporter | None = None,
    actor: Actor | None = None,
) -> list[ImportReport]:
    """Write the sample files (into ``keep_dir`` or a temporary folder) and import them:
    clients, handovers and events, then survey exports of several tools about them. The
    ``actor`` (else the command line's operator) needs the permission ``upload``; the batches
    are recorded under ``SAMPLE_USER``. ``progress`` (pipelines/progress.py) hears of the
    rows of the sample written (stage ``sample``) and of each file's import (read, validate,
    load)."""
    from sample_data.feedback import write_feedback_files
    from sample_data.generator import SAMPLE_AS_OF, write_sample_files

    sample = Actor(SAMPLE_USER, acting(actor, "upload").role)
    if size not in SIZES:
        raise HandoverError(f"Unknown sample size {size!r}; choose one of {', '.join(SIZES)}.")
    if not force and has_data(store):
        raise HandoverError(
            f"The database {store.path} already holds data; the sample would mix with it. "
            "Use another --db, or --force to load it anyway.",
            title="Database not empty",
        )
    with tempfile.TemporaryDirectory(prefix="handover-sample-") as tmp:
        folder = Path(keep_dir) if keep_dir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = write_sample_files(folder, size=size, seed=seed, progress=progress)
        reports: list[ImportReport] = []
        for kind, path in files:
            reports.append(ingest_file(store, kind, path, actor=sample, progress=progress))
        as_of = datetime.combine(SAMPLE_AS_OF, time(18, 0))
        for path in write_feedback_files(store, folder, as_of, seed=seed):
            reports.append(ingest_file(store, "feedback", path, actor=sample, progress=progress))
        return reports


def load_demo(
    store: Store,
    size: str = "small",
    progress: Reporter | None = None,
    *,
    actor: Actor | None = None,
) -> None:
    """What `handover serve --demo` and the dashboard's welcome page do on an empty database:
    load the sample, then run the data checks as of the sample's date and store the run (the
    ``actor`` needs the permissions ``upload`` and ``run_checks``). ``progress`` hears of the
    sample's rows and of the suites of the checks (pipelines/progress.py)."""
    acting(actor, "upload")
    acting(actor, "run_checks")
    from data_checks.results import save_run
    from data_checks.runner import run_checks
    from sample_data.generator import SAMPLE_AS_OF

    load_sample(store, size, progress=progress, actor=actor)
    save_run(store, run_checks(store, SAMPLE_AS_OF, actor=actor, progress=progress), actor=actor)


def has_data(store: Store) -> bool:
    """Whether anything was ever loaded; reads only (a missing file stays missing, an empty
    one stays empty). A file that is not a database raises its HandoverError."""
    return batch_counts(store)[0] > 0


def is_sample(store: Store) -> bool:
    """Whether the data is the sample's and nothing else: some batches, all loaded by
    ``load_sample`` (an import or rollback by anyone else ends it)."""
    count, of_sample = batch_counts(store)
    return count > 0 and count == of_sample


def batch_counts(store: Store) -> tuple[int, int]:
    """(batches, batches of the sample); (0, 0) for a missing, empty or schema-less file."""
    import duckdb

    if not store.exists() or store.path.stat().st_size == 0:
        return 0, 0
    try:
        row = store.query(
            "select count(*), count(*) filter (where user_name = ?) from batches", [SAMPLE_USER]
        ).rows[0]  # counts: always one row
    except duckdb.CatalogException:  # a DuckDB file without the schema yet
        return 0, 0
    return int(row[0]), int(row[1])
