"""Loading the generated sample through the same import path users use."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pipelines.errors import HandoverError
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
) -> list[ImportReport]:
    """Write the sample files (into ``keep_dir`` or a temporary folder) and import them."""
    from sample_data.generator import write_sample_files

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
        reports = []
        for kind, path in files:
            if progress:
                progress(f"loading {kind} from {path.name} …")
            reports.append(ingest_file(store, kind, path, user="demo"))
        return reports


def has_data(store: Store) -> bool:
    if not store.exists():
        return False
    store.ensure_schema()
    return bool(store.query("select count(*) from batches").scalar())
