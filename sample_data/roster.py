"""The firm's staff: accountants in teams, each team led by a supervisor (监交人).

The roster changes while handovers are simulated: people resign and are replaced, rotate to
another team or go on leave. Each staff member holds a portfolio of client indices.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sample_data import names

SMALL_TEAMS = ("记账一部", "记账二部", "税务部")


@dataclass
class Staff:
    name: str
    team: int
    is_lead: bool
    hired: date
    left: date | None = None  # last working day, once a resignation is filed
    away_until: date | None = None  # back from leave on this day

    def can_receive(self, day: date) -> bool:
        return (
            self.left is None
            and self.hired <= day
            and (self.away_until is None or self.away_until <= day)
        )


@dataclass
class Roster:
    team_names: tuple[str, ...]
    director: str  # supervises handovers in which a team lead is a party
    staff: list[Staff] = field(default_factory=list)
    members: list[list[int]] = field(default_factory=list)  # per team, staff indices
    leads: list[int] = field(default_factory=list)  # per team
    portfolio: list[set[int]] = field(default_factory=list)  # per staff, client indices
    _names: set[str] = field(default_factory=set)

    def hire(self, rng: random.Random, team: int, hired: date, is_lead: bool = False) -> int:
        name = _unique_name(rng, self._names)
        self.staff.append(Staff(name, team, is_lead, hired))
        self.portfolio.append(set())
        idx = len(self.staff) - 1
        self.members[team].append(idx)
        if is_lead:
            self.leads[team] = idx
        return idx

    def move(self, idx: int, team: int) -> None:
        self.members[self.staff[idx].team].remove(idx)
        self.members[team].append(idx)
        self.staff[idx].team = team

    def remove(self, idx: int) -> None:
        self.members[self.staff[idx].team].remove(idx)

    def receivers(self, team: int, day: date, exclude: int = -1) -> list[int]:
        """Team members who can take over clients on day (the lead last resort)."""
        found = [
            i
            for i in self.members[team]
            if i != exclude and not self.staff[i].is_lead and self.staff[i].can_receive(day)
        ]
        if not found:
            lead = self.leads[team]
            if lead != exclude and self.staff[lead].can_receive(day):
                found = [lead]
        return found

    def supervisor(self, team: int, parties: tuple[int, int]) -> str:
        lead = self.leads[team]
        return self.director if lead in parties else self.staff[lead].name


def build_roster(rng: random.Random, n_teams: int, team_size: int, start: date) -> Roster:
    """Teams of team_size people (a lead and accountants), all employed at start."""
    if n_teams == len(SMALL_TEAMS):
        team_names = SMALL_TEAMS
    else:
        team_names = tuple(_large_team_names(n_teams))
    taken: set[str] = set()
    roster = Roster(team_names=team_names, director=_unique_name(rng, taken), _names=taken)
    roster.members = [[] for _ in team_names]
    roster.leads = [-1] * n_teams
    for team in range(n_teams):
        roster.hire(rng, team, start - timedelta(days=rng.randint(5 * 365, 12 * 365)), True)
        for _ in range(team_size - 1):
            roster.hire(rng, team, start - timedelta(days=rng.randint(60, 8 * 365)))
    return roster


def _large_team_names(n: int):
    kinds = ("记账", "记账", "记账", "税务")
    per_district: dict[str, int] = {}
    for i in range(n):
        district = names.DISTRICTS[i % len(names.DISTRICTS)].short
        kind = kinds[(i // len(names.DISTRICTS)) % len(kinds)]
        key = district + kind
        per_district[key] = per_district.get(key, 0) + 1
        yield f"{key}{names.chinese_ordinal(per_district[key])}部"


def _unique_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = names.person(rng)[0]
        if name not in taken:
            taken.add(name)
            return name
