"""`handover metrics`, `handover scores`, `handover rollup`: figures, scores and roll-ups."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from pipelines.cli.checks import AsOfOption, JsonOption, parse_as_of
from pipelines.cli.common import cli_actor, DEFAULT_DB, DbOption, handles_errors, open_store, out, \
    parse_date, plain, print_json

FromOption = Annotated[str | None, typer.Option("--from", help="Handovers completed on or "
                                                               "after this date.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Handovers completed on or before "
                                                           "this date.")]
TeamOption = Annotated[list[str] | None, typer.Option("--team", help="Only this team "
                                                                     "(repeatable).")]
StaffOption = Annotated[list[str] | None, typer.Option("--staff", help="Only this receiving "
                                                                       "staff member.")]
ReasonOption = Annotated[list[str] | None, typer.Option("--reason", help="Only this reason: "
                         "resignation, rotation, leave, reassignment, other (or 离职…).")]
OpenOption = Annotated[bool, typer.Option("--open", help="Only handovers not completed.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="Scoring configuration "
                         "(else $HANDOVER_CONFIG, else ./handover.toml, else the defaults).",
                         dir_okay=False)]


def build_filters(date_from, date_to, teams, staff, reasons, open_only):
    from metrics.selection import Filters
    from pipelines.normalise import BadValue, code_parser
    from pipelines.templates import HANDOVERS

    parse_reason = code_parser(HANDOVERS.column("reason"))
    codes = []
    for reason in reasons or []:
        try:
            codes.append(parse_reason(reason))
        except BadValue as err:
            raise typer.BadParameter(f"{reason!r}: {err}", param_hint="--reason") from None
    return Filters(
        period_from=parse_date(date_from, "--from") if date_from else None,
        period_to=parse_date(date_to, "--to") if date_to else None,
        teams=tuple(teams or ()), staff=tuple(staff or ()), reasons=tuple(codes),
        open_only=open_only,
    )


def within_scope(store, filters):
    """The filters limited to the data scope of the account `--as` names (none otherwise)."""
    from metrics.selection import scoped

    return scoped(filters, cli_actor(store))


@handles_errors
def metrics(
    as_of: AsOfOption = None, date_from: FromOption = None, date_to: ToOption = None,
    team: TeamOption = None, staff: StaffOption = None, reason: ReasonOption = None,
    open_only: OpenOption = False, config: ConfigOption = None, as_json: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The figures of the handovers selected, as of a date (DOMAIN.md §3 keys)."""
    from metrics.catalogue import format_value, label
    from metrics.config import load_config
    from metrics.figures import compute_figures

    day = parse_as_of(as_of)
    store = open_store(db)
    values = compute_figures(store, day, within_scope(store, build_filters(
                                 date_from, date_to, team, staff, reason, open_only)),
                             config=load_config(config))
    if as_json:
        print_json(values)
        return
    table = Table("figure", "", "value", title=f"Figures as of {day}")
    for key, value in values.items():
        table.add_row(key, plain(label("figures", key, "zh")), plain(format_value(key, value)))
    out.print(table)


@handles_errors
def scores(
    as_of: AsOfOption = None, date_from: FromOption = None, date_to: ToOption = None,
    team: TeamOption = None, staff: StaffOption = None, reason: ReasonOption = None,
    open_only: OpenOption = False, config: ConfigOption = None, as_json: JsonOption = False,
    explain: Annotated[bool, typer.Option(help="Print how the scores are computed.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """One row per handover: the four sub-scores, score, band, flags and risk level."""
    from metrics.config import load_config
    from metrics.formulas import explain as explain_scores
    from metrics.scores import compute_scores

    settings = load_config(config)
    if explain:
        for name, formula in explain_scores(settings, "en"):
            out.print(Text.assemble((name, "bold"), ": ", formula))
        return
    store = open_store(db)
    frame = compute_scores(store, parse_as_of(as_of), within_scope(store, build_filters(
                               date_from, date_to, team, staff, reason, open_only)),
                           config=settings)
    columns = ["handover_id", "efficiency_score", "quality_score", "satisfaction_score",
               "risk_score", "score", "band", "flags", "risk_level"]
    if as_json:
        rows = []
        for row in frame[columns].to_dict(orient="records"):
            rows.append({k: (None if isinstance(v, float) and v != v else
                             list(v) if k == "flags" else v) for k, v in row.items()})
        print_json(rows)
        return
    table = Table("handover", "efficiency", "quality", "satisfaction", "risk", "score", "band",
                  "risk", "flags")
    number = lambda v: "—" if v is None or v != v else f"{v:.0f}"  # noqa: E731
    for row in frame.itertuples(index=False):
        table.add_row(plain(row.handover_id), number(row.efficiency_score),
                      number(row.quality_score), number(row.satisfaction_score),
                      number(row.risk_score), number(row.score), plain(row.band or "—"),
                      plain(row.risk_level), plain(", ".join(row.flags)))
    out.print(table)


class By(str, Enum):
    staff = "staff"
    team = "team"
    month = "month"


@handles_errors
def rollup(
    by: Annotated[By, typer.Option(help="Group by receiving staff, team or month.")] = By.team,
    as_of: AsOfOption = None, date_from: FromOption = None, date_to: ToOption = None,
    team: TeamOption = None, staff: StaffOption = None, reason: ReasonOption = None,
    config: ConfigOption = None, as_json: JsonOption = False, db: DbOption = DEFAULT_DB,
) -> None:
    """Scores by staff, team or month, with the previous period and the change."""
    from metrics.config import load_config
    from metrics.rollups import rollup as compute_rollup

    store = open_store(db)
    frame = compute_rollup(store, by.value, parse_as_of(as_of), within_scope(store, build_filters(
                               date_from, date_to, team, staff, reason, False)),
                           load_config(config))
    if as_json:
        print_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))
        return
    table = Table(by.value, "handovers", "score", "previous", "change", "", "on time", "red",
                  "high risk")
    fmt = lambda v, f="{:.1f}": "—" if v is None or v != v else f.format(v)  # noqa: E731
    for row in frame.to_dict(orient="records"):
        table.add_row(plain(row[by.value]), str(row["handovers"]), fmt(row["score"]),
                      fmt(row["previous_score"]), fmt(row["change"], "{:+.1f}"), row["trend"],
                      fmt(row["on_time_rate"] * 100, "{:.0f}%"),
                      fmt(row["share_red"] * 100, "{:.0f}%"), str(row["high_risk"]))
    out.print(table)
