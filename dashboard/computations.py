"""The computations the pages read (metrics.computed), shared by every session and kept
ready when the data changes.

A computation holds the facts, flags and scores of every handover of one scope, for one
data version (with the settings) and date; every figure, roll-up, chart and table of a page
reads it. Making one takes a few seconds at a large firm's scale, so it is made once per
key (``get``: sessions asking for the same key at once wait for the same computation), and
the computations of the version before are dropped as soon as a newer version is seen: the
server holds one version's computations, not several.

**Kept ready** (``keep_ready``, started by the app when served by ``handover serve``). When
the data changes (an import from the command line, a rollback, a check run, new settings),
a background thread notices it within a quarter of a second (the store's cheap ``data_version``) and
computes, for the new version, what the pages asked for in the last ``RECENT`` seconds. The
first page opened after an import then reads a computation that is ready or already under
way, instead of starting it. The thread reads the database as a page does, with a
connection of its own that it closes: imports still go through.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import date

log = logging.getLogger("handover.dashboard")

KEEP = 4  # computations held at most (scopes and dates of the current version)
RECENT = 600.0  # s: what was asked for this recently is made again after a data change
EVERY = 0.25  # s between two looks at the data version (a file read and a stat)

AHEAD = " (ahead of the pages, after a data change)"  # in the log, for tests
Key = tuple  # (version, as_of, scope); version[0] is the database's path


def version_of(path: str, settings) -> tuple:
    """The data version of the database at ``path`` under ``settings`` (a Config): what
    every cache of the pages is keyed by (dashboard.data.version)."""
    from pipelines.store import Store

    return (str(path), Store(path).data_version(), json.dumps(settings.to_toml(), sort_keys=True))


def current_settings():
    """The scoring settings as the pages read them: the defaults while the file is bad."""
    from metrics.config import Config, ConfigError, load_config

    try:
        return load_config()
    except ConfigError:
        return Config()


def compute(version: tuple, as_of: date, scope: tuple):
    """The computation of a key: the database of ``version``, with the settings it holds."""
    from metrics.computed import compute as make
    from metrics.config import from_dict
    from metrics.selection import Filters
    from pipelines.store import Store

    settings = from_dict(json.loads(version[2]))
    return make(Store(version[0]), as_of, settings, Filters(*scope))


class Computations:
    """Computations by key, each made once (see the module)."""

    def __init__(self, make: Callable[[tuple, date, tuple], object] = compute, keep: int = KEEP):
        self._make = make
        self._keep = keep
        self._lock = threading.Lock()
        self._entries: dict[Key, Future] = {}
        self._used: dict[tuple, float] = {}  # (path, as_of, scope): last asked for
        self._latest: dict[str, tuple] = {}  # path: the newest version seen
        self._watcher: threading.Thread | None = None

    def get(self, version: tuple, as_of: date, scope: tuple):
        """The computation of the key, made now unless it is ready or under way."""
        with self._lock:
            self._used[(version[0], as_of, scope)] = time.monotonic()
            future, mine = self._entry(version, as_of, scope)
        if mine:
            self._run((version, as_of, scope), future)
        return future.result()

    def ready(self, version: tuple, as_of: date, scope: tuple) -> bool:
        with self._lock:
            future = self._entries.get((version, as_of, scope))
            return future is not None and future.done() and future.exception() is None

    def _entry(self, version: tuple, as_of: date, scope: tuple) -> tuple[Future, bool]:
        """The key's future, and whether the caller is to make it (under the lock)."""
        self._seen(version)
        key = (version, as_of, scope)
        future = self._entries.get(key)
        if future is not None:
            self._entries[key] = self._entries.pop(key)  # the most recently used last
            return future, False
        future = self._entries[key] = Future()
        while len(self._entries) > self._keep:
            oldest = next(iter(self._entries))
            self._entries.pop(oldest)
        return future, True

    def _seen(self, version: tuple) -> None:
        """A version is seen: when it is another than the last of its database, the
        computations of every other version of that database are dropped."""
        path = version[0]
        if self._latest.get(path) == version:
            return
        self._latest[path] = version
        for key in [k for k in self._entries if k[0][0] == path and k[0] != version]:
            self._entries.pop(key)

    def _run(self, key: Key, future: Future, ahead: bool = False) -> None:
        started = time.perf_counter()
        try:
            result = self._make(*key)
        except BaseException as error:  # every waiter gets it; the next ask tries again
            with self._lock:
                if self._entries.get(key) is future:
                    self._entries.pop(key)
            future.set_exception(error)
            return
        future.set_result(result)
        log.info(
            "computed %s handovers as of %s in %.3f s%s",
            getattr(result, "handovers", "?"),
            key[1],
            time.perf_counter() - started,
            AHEAD if ahead else "",
        )

    # --- kept ready ---

    def keep_ready(
        self, current: Callable[[str], tuple], every: float = EVERY, recent: float = RECENT
    ) -> None:
        """Start the thread that makes the recently asked computations again when the data
        changes (once per process; ``current(path)`` gives a database's version now)."""
        with self._lock:
            if self._watcher is not None and self._watcher.is_alive():
                return
            self._watcher = threading.Thread(
                target=self._watch,
                args=(current, every, recent),
                name="handover-keep-ready",
                daemon=True,
            )
            self._watcher.start()

    def _watch(self, current: Callable[[str], tuple], every: float, recent: float) -> None:
        failed: set[Key] = set()
        while True:
            time.sleep(every)
            try:
                self.refresh(current, recent, failed)
            except Exception:  # never let the thread die; the pages compute on their own
                log.exception("keeping the computations ready failed")

    def refresh(
        self, current: Callable[[str], tuple], recent: float = RECENT, failed: set | None = None
    ) -> list[Key]:
        """Make, for each database's current version, the computations asked for in the
        last ``recent`` seconds that are not there yet; the keys made (one pass of the
        thread; also for tests)."""
        failed = set() if failed is None else failed
        now = time.monotonic()
        with self._lock:
            wanted = [used for used, at in self._used.items() if now - at <= recent]
        made: list[Key] = []
        versions: dict[str, tuple] = {}
        for path, as_of, scope in wanted:
            if path not in versions:
                versions[path] = current(path)
            key = (versions[path], as_of, scope)
            if key in failed:
                continue
            with self._lock:
                if key in self._entries:
                    continue
                future, mine = self._entry(*key)
            if not mine:
                continue
            self._run(key, future, ahead=True)
            if future.exception() is not None:
                failed.add(key)
                log.warning(
                    "could not make the computation of %s ready: %s", key[1], future.exception()
                )
            else:
                made.append(key)
        return made


computations = Computations()


def keep_ready() -> None:
    """Start keeping the computations ready (dashboard/app.py, when served)."""
    computations.keep_ready(lambda path: version_of(path, current_settings()))
