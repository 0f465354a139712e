"""Great Expectations on DuckDB: the small compatibility layer this project needs.

Written for and pinned to great-expectations 1.24.x with duckdb-engine 0.17 (see
``SUPPORTED_GX``); ``tests/test_gx_compat.py`` shows each defect and its fix, so an upgrade
that fixes them upstream shows up as a test to delete, and one that breaks them as a failure.
At 1.24.1 GX has no DuckDB support of its own: issues #10738 and #11579 were closed without
a fix and PR #12084 (a native DuckDB engine) is unreleased. Two defects matter here:

1. Every metric query comes back empty. ``SqlAlchemyExecutionEngine.execute_query`` returns
   the cursor result *after* leaving ``with self.get_connection()``; duckdb-engine rolls the
   connection back when it returns to the pool, which discards the pending result, so
   ``resolve_metric_bundle`` fails with an ``IndexError`` that GX records as an exception of
   each expectation. Fix: for DuckDB, buffer the rows (``Result.freeze()``) while the
   connection is still open.
2. Regex expectations raise ``NotImplementedError``: the engine has no dialect module for
   "duckdb", and ``get_dialect_regex_expression`` knows no DuckDB branch (duckdb-engine's
   dialect derives from psycopg2's, but SQLAlchemy 2.1's ``postgresql.dialect`` is psycopg 3,
   so even the PostgreSQL branch misses it). DuckDB accepts PostgreSQL's ``~`` / ``!~``, a
   partial match like ``re.search``. Fix: mark DuckDB engines with a dialect module, and
   answer the regex question for it in every module that imported the function.

Besides: importing GX turns on ``logging.captureWarnings(True)`` (undone here) and GX shows
tqdm progress bars (switched off per context by ``quiet_context``).

Importing GX is most of what ``handover check`` costs as a process, and a third of that went
to two libraries GX imports at the top of modules of expectations this project never uses:
``scipy.stats`` (KL-divergence and Kolmogorov-Smirnov expectations) and ``altair`` (the
KL-divergence expectation's charts). ``_deferred`` lets GX's modules bind those names to
stand-ins that import the real library on first use, so they still work if ever used.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import types
import warnings
from collections.abc import Iterator

# imported by GX only for expectations this project does not use (see the docstring)
DEFERRED_MODULES = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """Stands for a module GX imports but may never use: the real one is imported on the
    first attribute asked for, and answers it (and every later one)."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)  # import machinery probing: not a use
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


@contextlib.contextmanager
def _deferred(names: tuple[str, ...]) -> Iterator[None]:
    """While the block imports, ``import name`` of these modules gives a ``_Deferred``
    stand-in (unless the real module is loaded already); afterwards they import as usual,
    for everyone else."""
    stand_ins = {name: _Deferred(name) for name in names if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


with warnings.catch_warnings(), _deferred(DEFERRED_MODULES):
    warnings.simplefilter("ignore")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

logging.captureWarnings(False)

SUPPORTED_GX = "1.24."
_installed = False


def check_version() -> None:
    if not gx.__version__.startswith(SUPPORTED_GX):
        raise RuntimeError(
            f"data_checks.gx_compat was written for great-expectations {SUPPORTED_GX}x; "
            f"{gx.__version__} is installed. Re-run tests/test_gx_compat.py and review the "
            "layer before upgrading."
        )


def _is_duckdb(engine: SqlAlchemyExecutionEngine) -> bool:
    return getattr(engine, "engine", None) is not None and engine.engine.dialect.name == "duckdb"


def install() -> None:
    """Apply the fixes (idempotent). They act only on DuckDB engines."""
    global _installed
    if _installed:
        return
    check_version()
    original_execute_query = SqlAlchemyExecutionEngine.execute_query
    original_init = SqlAlchemyExecutionEngine.__init__

    def execute_query(self, query):
        if not _is_duckdb(self):
            return original_execute_query(self, query)
        with self.get_connection() as connection:
            result = self._execute_query_with_recovery(connection, query)
            return result.freeze()()  # rows fetched before the connection is released

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if _is_duckdb(self) and self.dialect_module is None:
            self.dialect_module = _DUCKDB_DIALECT_MODULE

    # the two defects' fixes replace GX's methods (see the module's docstring)
    SqlAlchemyExecutionEngine.execute_query = execute_query  # type: ignore[method-assign]
    SqlAlchemyExecutionEngine.__init__ = __init__  # type: ignore[method-assign]
    _patch_regex()
    _installed = True


class _DuckDBDialectModule(types.SimpleNamespace):
    """Stands for duckdb-engine where GX expects a SQLAlchemy dialect module."""


_DUCKDB_DIALECT_MODULE = _DuckDBDialectModule(dialect=None, name="duckdb")


def _patch_regex() -> None:
    import sqlalchemy as sa
    from great_expectations.expectations.metrics import util

    original = util.get_dialect_regex_expression

    def get_dialect_regex_expression(column, regex, dialect, positive=True):
        if isinstance(dialect, _DuckDBDialectModule):
            operator: sa.sql.operators.custom_op[bool] = sa.sql.operators.custom_op(
                "~" if positive else "!~"
            )
            return sa.sql.expression.BinaryExpression(column, sa.literal(regex), operator)
        return original(column, regex, dialect, positive)

    util.get_dialect_regex_expression = get_dialect_regex_expression
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("great_expectations.expectations.metrics")
            and getattr(module, "get_dialect_regex_expression", None) is original
        ):
            # a module that imported GX's function: its name for it is replaced too
            module.get_dialect_regex_expression = get_dialect_regex_expression  # type: ignore[attr-defined]


def quiet_context(context) -> None:
    """No progress bars on the user's terminal."""
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
