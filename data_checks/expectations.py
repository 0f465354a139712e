"""A custom Great Expectations expectation for the SQL-bodied checks.

``ExpectNoFailingRecords`` is GX's ``UnexpectedRowsExpectation`` (same query with ``{batch}``,
same renderers in Data Docs) except that it asks for every failing record in one query.
The built-in one runs its query twice (a 200-row sample and a count) and, to list all
failing records, a third time; on the large sample's 9 million events that tripled the cost
of the event checks.
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.core.unexpected_rows_expectation import (
    UnexpectedRowsExpectation,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metrics.query_table.query_table import (
    QueryTable,
)


class FailingRecordsTable(QueryTable):
    """Every row the query returns (the built-in table metric stops at 200)."""

    metric_name = "failing_records_query.table"
    value_keys = ("unexpected_rows_query",)
    query_param_name: ClassVar[str] = "unexpected_rows_query"

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine,
        metric_domain_kwargs,
        metric_value_kwargs,
        metrics,
        runtime_configuration,
    ) -> list[dict]:
        return _all_rows(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs)


def _all_rows(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs) -> list[dict]:
    from great_expectations.core.metric_domain_types import MetricDomainTypes

    batch_selectable, _, _ = execution_engine.get_compute_domain(
        metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
    )
    query = cls._get_query_from_metric_value_kwargs(metric_value_kwargs)
    subquery = cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
        query=query,
        batch_selectable=batch_selectable,
        execution_engine=execution_engine,
    )
    return cls._get_sqlalchemy_records_from_substituted_batch_subquery(
        substituted_batch_subquery=subquery,
        execution_engine=execution_engine,
        fetch_all=True,
    )


class ExpectNoFailingRecords(UnexpectedRowsExpectation):
    """Expect the query to return no rows; the rows it returns are the failing records."""

    metric_dependencies: ClassVar[tuple[str, ...]] = ("failing_records_query.table",)

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None
    ) -> dict:
        rows = metrics["failing_records_query.table"]
        return {
            "success": not rows,
            "result": {"observed_value": len(rows), "details": {"unexpected_rows": rows}},
        }
