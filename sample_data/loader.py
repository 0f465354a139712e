"""Loading the generated sample through the same import path users use."""

from __future__ import annotations

import tempfile
from pathlib import Path

from datetime import datetime, time

from pipelines.errors import HandoverError
from pipelines.feedback.ingest import FeedbackReport, ingest_feedback
from pipelines.ingest import ImportReport, ingest_file
from pipelines.store import Store

SIZES = ("small", "large")


def load_sample(
    store: Store,
    size: str = "small",
    seed: int = 42,
    keep_dir: Path | None = None,
    force: bool = False,
    progress=None,
) -> list[ImportReport | FeedbackReport]:
    """Write the sample files (into ``keep_dir`` or a temporary folder) and import them:
    clients, handovers and events, then survey exports of several tools about them."""
    from sample_data.feedback import write_feedback_files
    from sample_data.generator import SAMPLE_AS_OF, write_sample_files

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
        files = write_sample_files(folder, size=size, seed=seed)
        reports: list[ImportReport | FeedbackReport] = []
        for kind, path in files:
            if progress:
                progress(f"loading {kind} from {path.name} …")
            reports.append(ingest_file(store, kind, path, user="demo"))
        as_of = datetime.combine(SAMPLE_AS_OF, time(18, 0))
        for path in write_feedback_files(store, folder, as_of, seed=seed):
            if progress:
                progress(f"loading feedback from {path.name} …")
            reports.append(ingest_feedback(store, path, user="demo"))
        return reports


def has_data(store: Store) -> bool:
    if not store.exists():
        return False
    store.ensure_schema()
    return bool(store.query("select count(*) from batches").scalar())
