"""The Great Expectations / DuckDB compatibility layer: each defect without it, fixed with it.

When an upgrade of great-expectations fixes a defect upstream, its "without" test fails:
delete that part of data_checks/gx_compat.py and the test with it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

SCRIPT = """
import sys, warnings
warnings.simplefilter("ignore")
if sys.argv[2] == "with":
    from data_checks import gx_compat
    gx_compat.install()
import great_expectations as gx
import great_expectations.expectations as gxe
context = gx.get_context(mode="ephemeral")
source = context.data_sources.add_sql(
    name="s", connection_string="duckdb:///" + sys.argv[1],
    kwargs={"connect_args": {"read_only": True}})
batch = source.add_table_asset(name="t", table_name="phones").add_batch_definition_whole_table("b")
suite = context.suites.add(gx.ExpectationSuite(name="s"))
suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="phone"))
suite.add_expectation(gxe.ExpectColumnValuesToMatchRegex(column="phone", regex="^1[3-9][0-9]{9}$"))
result = context.validation_definitions.add(
    gx.ValidationDefinition(name="v", data=batch, suite=suite)).run()
for item in result.results:
    raised = any(isinstance(v, dict) and v.get("raised_exception")
                 for v in (item.exception_info or {}).values())
    print(item.expectation_config.type, "raised" if raised else item.result.get("unexpected_count"))
"""


@pytest.fixture(scope="module")
def phones(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gx") / "phones.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "create table phones as select * from (values "
            "('13812345678'), ('12345'), (null), ('１３８１２３４５６７８')) t(phone)"
        )
    return path


def _run(db: Path, mode: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(db), mode],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())


def test_without_the_layer_gx_cannot_validate_duckdb(phones: Path):
    found = _run(phones, "without")
    assert found["expect_column_values_to_not_be_null"] == "raised"
    assert found["expect_column_values_to_match_regex"] == "raised"


def test_with_the_layer_gx_counts_nulls_and_regex_misses_in_duckdb(phones: Path):
    found = _run(phones, "with")
    assert found["expect_column_values_to_not_be_null"] == "1"
    # '12345' and the full-width digits miss [0-9]; null is not a regex miss
    assert found["expect_column_values_to_match_regex"] == "2"


def test_the_layer_refuses_another_gx_release(monkeypatch):
    from data_checks import gx_compat

    monkeypatch.setattr(gx_compat.gx, "__version__", "1.30.0")
    with pytest.raises(RuntimeError, match="written for great-expectations 1.24"):
        gx_compat.check_version()
