"""`handover metrics`, `handover scores`, `handover rollup`: figures, scores and roll-ups."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from json.encoder import encode_basestring
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.checks import AsOfOption, JsonOption, parse_as_of
from cli.common import (
    DEFAULT_DB,
    DbOption,
    cli_actor,
    handles_errors,
    json_default,
    open_store,
    out,
    parse_date,
    plain,
    print_json,
    title,
)
from cli.messages import text
from pipelines.errors import HandoverError

FromOption = Annotated[
    str | None, typer.Option("--from", help="Handovers completed on or after this date.")
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Handovers completed on or before this date.")
]
TeamOption = Annotated[
    list[str] | None, typer.Option("--team", help="Only this team (repeatable).")
]
StaffOption = Annotated[
    list[str] | None, typer.Option("--staff", help="Only this receiving staff member.")
]
ReasonOption = Annotated[
    list[str] | None,
    typer.Option(
        "--reason",
        help="Only this reason: resignation, rotation, leave, reassignment, other (or 离职…).",
    ),
]
OpenOption = Annotated[bool, typer.Option("--open", help="Only handovers not completed.")]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Scoring configuration "
        "(else $HANDOVER_CONFIG, else ./handover.toml, else the defaults).",
        dir_okay=False,
    ),
]


def build_filters(date_from, date_to, teams, staff, reasons, open_only):
    from metrics.selection import Filters
    from pipelines.normalise import BadValue, code_parser
    from pipelines.templates import HANDOVERS

    parse_reason = code_parser(HANDOVERS.column("reason"))
    codes: list[str] = []
    for reason in reasons or []:
        try:
            code = parse_reason(reason)
        except BadValue as err:
            raise typer.BadParameter(
                text("common.bad_value", value=reason, reason=err), param_hint="--reason"
            ) from None
        if code is None:  # an empty --reason "" selected nothing at all before
            raise typer.BadParameter(
                text("common.bad_value", value=reason, reason=text("filters.no_reason")),
                param_hint="--reason",
            )
        codes.append(code)
    return Filters(
        period_from=parse_date(date_from, "--from") if date_from else None,
        period_to=parse_date(date_to, "--to") if date_to else None,
        teams=tuple(teams or ()),
        staff=tuple(staff or ()),
        reasons=tuple(codes),
        open_only=open_only,
    )


def within_scope(store, filters):
    """The filters limited to the data scope of the account `--as` names (none otherwise)."""
    from metrics.selection import scoped

    return scoped(filters, cli_actor(store))


@handles_errors
def metrics(
    as_of: AsOfOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    team: TeamOption = None,
    staff: StaffOption = None,
    reason: ReasonOption = None,
    open_only: OpenOption = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The figures of the handovers selected, as of a date (DOMAIN.md §3 keys)."""
    from metrics.catalogue import format_value, label
    from metrics.config import load_config
    from metrics.figures import compute_figures

    day = parse_as_of(as_of)
    store = open_store(db)
    values = compute_figures(
        store,
        day,
        within_scope(store, build_filters(date_from, date_to, team, staff, reason, open_only)),
        config=load_config(config),
    )
    if as_json:
        print_json(values)
        return
    table = Table("figure", "", "value", title=title(text("metrics.title", day=day)))
    for key, value in values.items():
        table.add_row(key, plain(label("figures", key, "zh")), plain(format_value(key, value)))
    out.print(table)


SCORE_FIELDS = (
    "handover_id",
    "efficiency_score",
    "quality_score",
    "satisfaction_score",
    "risk_score",
    "score",
    "band",
    "flags",
    "risk_level",
)


class Format(str, Enum):
    json = "json"
    csv = "csv"
    parquet = "parquet"


@handles_errors
def scores(
    as_of: AsOfOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    team: TeamOption = None,
    staff: StaffOption = None,
    reason: ReasonOption = None,
    open_only: OpenOption = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    explain: Annotated[bool, typer.Option(help="Print how the scores are computed.")] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            metavar="N",
            help="Only the first N rows (in the same order: by handover).",
        ),
    ] = None,
    output_format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help='json (as --json), csv (UTF-8, the same columns; flags joined by ", ") or '
            "parquet (needs --output, or standard output redirected to a file or a pipe). "
            "Default: the table, or JSON with --json.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            dir_okay=False,
            help="Write the --json or --format output to this file instead of standard output.",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """One row per handover: the four sub-scores, score, band, flags and risk level."""
    from metrics.config import load_config
    from metrics.formulas import explain as explain_scores
    from metrics.scores import compute_scores

    if as_json and output_format not in (None, Format.json):
        raise typer.BadParameter(
            text("scores.two_formats", format=output_format.value),
            param_hint="--format",
        )
    chosen = Format.json if as_json else output_format
    if output is not None and chosen is None:
        raise typer.BadParameter(text("scores.output_needs_format"), param_hint="--output")
    if output is not None and not output.resolve().parent.is_dir():  # said before computing
        raise typer.BadParameter(
            text("scores.no_folder", folder=output.resolve().parent), param_hint="--output"
        )
    if chosen is Format.parquet and output is None and sys.stdout.isatty():
        raise HandoverError(
            text("scores.parquet_to_terminal"),
            title="Parquet needs a file",
        )  # the command line's own: no dashboard sentence
    settings = load_config(config)
    if explain:
        for name, formula in explain_scores(settings, "en"):
            out.print(Text.assemble((name, "bold"), ": ", formula))
        return
    store = open_store(db)
    frame = compute_scores(
        store,
        parse_as_of(as_of),
        within_scope(store, build_filters(date_from, date_to, team, staff, reason, open_only)),
        config=settings,
    )
    if limit is not None:
        frame = frame.head(limit)
    if chosen is not None:
        write_scores(frame, chosen, output)
        return
    table = Table(
        "handover",
        "efficiency",
        "quality",
        "satisfaction",
        "risk",
        "score",
        "band",
        "risk",
        "flags",
    )
    number = lambda v: "—" if v is None or v != v else f"{v:.0f}"  # noqa: E731
    for row in frame.itertuples(index=False):
        table.add_row(
            plain(row.handover_id),
            number(row.efficiency_score),
            number(row.quality_score),
            number(row.satisfaction_score),
            number(row.risk_score),
            number(row.score),
            plain(row.band or "—"),
            plain(row.risk_level),
            plain(", ".join(row.flags)),
        )
    out.print(table)


# -- the scores as a stream: JSON, CSV, Parquet ---------------------------------------------
#
# 315,623 handovers of the large sample are 84 MB of JSON. json.dumps(indent=2) encodes them
# in pure Python (the C encoder serves indent=None only) and builds one string; here each
# column of a chunk of rows is encoded at once and the chunk written before the next is made.
# The bytes are those json.dumps(rows, ensure_ascii=False, indent=2) gave (tests compare).

CHUNK_ROWS = 20_000


def write_scores(frame, fmt: Format, output: Path | None) -> None:
    """The rows of ``frame`` (compute_scores) in ``fmt`` to ``output`` or standard output."""
    writer = {Format.json: _json_chunks, Format.csv: _csv_chunks}.get(fmt)
    if output is None:
        try:
            if writer is None:
                sys.stdout.flush()
                _write_parquet(frame, sys.stdout.buffer)
            else:
                for chunk in writer(frame):
                    sys.stdout.write(chunk)
            sys.stdout.flush()
        except BrokenPipeError:  # `handover scores --json | head`: the reader has enough
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes
            raise typer.Exit(code=1) from None
        return
    try:
        if writer is None:
            with open(output, "wb") as file:
                _write_parquet(frame, file)
        else:
            with open(output, "w", encoding="utf-8", newline="") as file:
                for chunk in writer(frame):
                    file.write(chunk)
    except BaseException:
        output.unlink(missing_ok=True)  # no half-written file that looks complete
        raise


def _chunks(frame):
    for start in range(0, len(frame), CHUNK_ROWS):
        yield frame.iloc[start : start + CHUNK_ROWS]


_INFINITY = float("inf")


def _json(value, nan: str = "null") -> str:
    """``value`` as json.dumps(value, ensure_ascii=False) writes it; a NaN as ``nan`` (the
    rows' top-level NaN were None, hence null)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, float):
        if value != value:
            return nan
        if value == _INFINITY:
            return "Infinity"
        if value == -_INFINITY:
            return "-Infinity"
        return float.__repr__(value)
    return json.dumps(value, ensure_ascii=False, default=json_default)


def _json_column(series) -> list[str]:
    """A column's values as JSON texts, by the quickest way that gives _json's texts."""
    import numpy as np
    import pandas as pd

    if series.dtype.kind == "f":  # the sub-scores and score: a few hundred distinct values
        values = series.to_numpy(dtype="float64")
        zeros = values == 0
        if not (zeros.any() and np.signbit(values[zeros]).any()):  # (-0.0 would pass as 0.0)
            unique, where = np.unique(values, return_inverse=True)  # every NaN as one
            texts = np.array([_json(v) for v in unique.tolist()], dtype=object)
            return texts[where.reshape(-1)].tolist()
    elif (
        series.dtype != object
        and pd.api.types.is_string_dtype(series.dtype)
        and not series.isna().any()
    ):  # text without a missing value
        return list(map(encode_basestring, series.tolist()))
    return [_json(v) for v in series.tolist()]


def _json_flags(values: list) -> list[str]:
    """The flags of each row as an indented JSON list (the same few lists over and over)."""
    known: dict[tuple, str] = {}
    texts = []
    for flags in values:
        if flags is None or (isinstance(flags, float) and flags != flags):
            texts.append("null")
            continue
        items = tuple(flags)
        listed = known.get(items)
        if listed is None:
            listed = known[items] = (
                (
                    "[\n      "
                    + ",\n      ".join(_json(item, nan="NaN") for item in items)
                    + "\n    ]"
                )
                if items
                else "[]"
            )
        texts.append(listed)
    return texts


_JSON_ROW = (
    "  {\n" + ",\n".join(f"    {encode_basestring(key)}: %s" for key in SCORE_FIELDS) + "\n  }"
)


def _json_chunks(frame):
    """The JSON document, chunk by chunk: a list of one object per row, indented by 2."""
    if frame.empty:
        yield "[]\n"
        return
    opening = "[\n"
    for part in _chunks(frame):
        columns = [
            _json_flags(part[field].tolist()) if field == "flags" else _json_column(part[field])
            for field in SCORE_FIELDS
        ]
        yield opening + ",\n".join(_JSON_ROW % row for row in zip(*columns, strict=False))
        opening = ",\n"
    yield "\n]\n"


def _csv_text(value) -> str:
    """A CSV cell: text as it is, a number as in the JSON, a missing value empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return _json(value)
    return str(value)


def _csv_chunks(frame):
    """CSV with a header row, the columns of the JSON; flags joined by ", "."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORE_FIELDS)
    for part in _chunks(frame):
        columns = []
        for field in SCORE_FIELDS:
            values = part[field].tolist()
            if field == "flags":
                columns.append(
                    [
                        "" if f is None or (isinstance(f, float) and f != f) else ", ".join(f)
                        for f in values
                    ]
                )
            else:
                columns.append([_csv_text(v) for v in values])
        writer.writerows(zip(*columns, strict=False))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _write_parquet(frame, sink) -> None:
    """Parquet: one row group per chunk; flags as a list of strings."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("handover_id", pa.string()),
            *(
                (name, pa.float64())
                for name in (
                    "efficiency_score",
                    "quality_score",
                    "satisfaction_score",
                    "risk_score",
                    "score",
                )
            ),
            ("band", pa.string()),
            ("flags", pa.list_(pa.string())),
            ("risk_level", pa.string()),
        ]
    )
    with pq.ParquetWriter(sink, schema) as writer:
        if frame.empty:
            writer.write_table(schema.empty_table())
        for part in _chunks(frame):
            columns = {field: part[field].tolist() for field in SCORE_FIELDS}
            columns["flags"] = [
                None if f is None or (isinstance(f, float) and f != f) else list(f)
                for f in columns["flags"]
            ]
            for field in ("handover_id", "band", "risk_level"):
                columns[field] = [
                    None if isinstance(v, float) and v != v else v for v in columns[field]
                ]
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))


class By(str, Enum):
    staff = "staff"
    team = "team"
    month = "month"


@handles_errors
def rollup(
    by: Annotated[By, typer.Option(help="Group by receiving staff, team or month.")] = By.team,
    as_of: AsOfOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    team: TeamOption = None,
    staff: StaffOption = None,
    reason: ReasonOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Scores by staff, team or month, with the previous period and the change."""
    from metrics.config import load_config
    from metrics.rollups import rollup as compute_rollup

    store = open_store(db)
    frame = compute_rollup(
        store,
        by.value,
        parse_as_of(as_of),
        within_scope(store, build_filters(date_from, date_to, team, staff, reason, False)),
        load_config(config),
    )
    if as_json:
        print_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))
        return
    table = Table(
        by.value, "handovers", "score", "previous", "change", "", "on time", "red", "high risk"
    )
    fmt = lambda v, f="{:.1f}": "—" if v is None or v != v else f.format(v)  # noqa: E731
    for row in frame.to_dict(orient="records"):
        table.add_row(
            plain(row[by.value]),
            str(row["handovers"]),
            fmt(row["score"]),
            fmt(row["previous_score"]),
            fmt(row["change"], "{:+.1f}"),
            row["trend"],
            fmt(row["on_time_rate"] * 100, "{:.0f}%"),
            fmt(row["share_red"] * 100, "{:.0f}%"),
            str(row["high_risk"]),
        )
    out.print(table)
