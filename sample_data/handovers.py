"""Handovers (交接单), simulated day by day over the 18 months before SAMPLE_AS_OF.

Staff resign (with a peak after the Spring Festival), rotate to another team, go on leave and
come back, and portfolios get rebalanced; each of these moves some clients from their current
accountant to a successor, one handover per client. The simulation keeps the client book and
the roster up to date, so that the client file written afterwards agrees with the handovers.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sample_data.clients import ClientBook
from sample_data.defects import DefectLog, Ticker
from sample_data.roster import Roster
from sample_data.workdays import (
    CUTOFF,
    SAMPLE_AS_OF,
    SPRING_FESTIVALS,
    WINDOW_START,
    add_workdays,
    is_workday,
    next_workday,
    office_time,
    previous_workday,
)

KINDS = ("resignation", "rotation", "leave", "reassignment", "other")
KIND_WEIGHTS = (32, 24, 2, 32, 10)
# In the last weeks before the export only small moves start, so that the share of open
# handovers stays near 5 %.
QUIET_WEIGHTS = (0, 0, 0, 80, 20)
QUIET_DAYS = 25
PEAK_KIND_WEIGHTS = (60, 10, 1, 22, 7)
# Besides, this share of the staff resigns in the weeks after each Spring Festival.
PEAK_RESIGNATION_SHARE = 0.12
SCHEDULED_LEAVE_SHARE = 0.04  # of the staff, over the whole window
SCHEDULED_OTHER_SHARE = 0.005  # of the handovers
CHURN_BASE, CHURN_IF_LATE, CHURN_IF_RESIGNATION = 0.04, 0.08, 0.03

_DAY = timedelta(days=1)


def season_weight(day: date) -> float:
    """Relative number of handovers started around day: a lull before the Spring Festival
    and a peak in the weeks after it."""
    for festival in SPRING_FESTIVALS:
        offset = (day - festival).days
        if 5 <= offset <= 40:
            return 3.0
        if -25 <= offset < 5:
            return 0.6
    return 1.0


def generate_handovers(
    rng: random.Random,
    book: ClientBook,
    roster: Roster,
    target: int,
    as_of: date = SAMPLE_AS_OF,
    defects: DefectLog | None = None,
) -> Iterator[dict]:
    """About target handover rows (plus a few of unknown clients), in order of creation,
    keyed by the template's column names with typed values (date, datetime, bool, codes)."""
    return _Simulation(rng, book, roster, target, as_of, defects or DefectLog()).run()


class _Simulation:
    def __init__(self, rng, book, roster, target, as_of, defects) -> None:
        self.rng: random.Random = rng
        self.book: ClientBook = book
        self.roster: Roster = roster
        self.target = target
        self.as_of = as_of
        self.log: DefectLog = defects
        self.count = 0
        self.sequence: dict[int, int] = {}
        self.returns: list[tuple[date, int, int, list[tuple[int, int]]]] = []  # a heap
        self._pushes = itertools.count()
        self.phantoms = 0
        self.self_handover = Ticker(rng, (20, 150), (150, 350))
        self.unknown_client = Ticker(rng, (10, 120), (100, 250))
        self.stalled = Ticker(rng, (5, 30), (18, 32))  # left open long after planned_end
        # Moves on fixed days besides those that keep the volume: the resignation wave after
        # each Spring Festival, and a few leaves and client requests even in a small sample.
        self.scheduled: dict[date, list[str]] = {}
        n_wave = max(2, round(PEAK_RESIGNATION_SHARE * len(roster.staff)))
        for festival in SPRING_FESTIVALS:
            peak_days = [festival + timedelta(days=i) for i in range(5, 41)]
            self._schedule(rng, "resignation", n_wave, peak_days)
        quiet_start = as_of - timedelta(days=QUIET_DAYS)
        days = [WINDOW_START + timedelta(days=i) for i in range((quiet_start - WINDOW_START).days)]
        self._schedule(rng, "leave", max(1, round(SCHEDULED_LEAVE_SHARE * len(roster.staff))), days)
        self._schedule(rng, "other", max(3, round(SCHEDULED_OTHER_SHARE * target)), days)

    def _schedule(self, rng: random.Random, kind: str, n: int, days: list[date]) -> None:
        days = [d for d in days if WINDOW_START <= d < self.as_of and is_workday(d)]
        for day in rng.choices(days, k=n) if days else ():
            self.scheduled.setdefault(day, []).append(kind)

    def run(self) -> Iterator[dict]:
        last = self.as_of - timedelta(days=3)
        days = [WINDOW_START + timedelta(days=i) for i in range((last - WINDOW_START).days + 1)]
        days = [d for d in days if is_workday(d)]
        weights = [season_weight(d) for d in days]
        per_weight = self.target / sum(weights)
        debt = 0.0
        for day, weight in zip(days, weights, strict=True):
            while self.returns and self.returns[0][0] <= day:
                _, _, staff, moved = heapq.heappop(self.returns)
                yield from self._back_from_leave(day, staff, moved)
            debt += per_weight * weight
            for kind in self.scheduled.get(day, ()):
                before = self.count
                yield from getattr(self, "_" + kind)(day, weight > 1.5)
                debt -= self.count - before
            if (self.as_of - day).days <= QUIET_DAYS:
                kind_weights = QUIET_WEIGHTS
            else:
                kind_weights = PEAK_KIND_WEIGHTS if weight > 1.5 else KIND_WEIGHTS
            while debt > 0:
                peak = weight > 1.5
                kind = self.rng.choices(KINDS, kind_weights)[0]
                before = self.count
                yield from getattr(self, "_" + kind)(day, peak)
                debt -= max(1, self.count - before)

    # -- staff moves -------------------------------------------------------------------

    def _pick_staff(self, day: date, min_tenure: int) -> int | None:
        roster, rng = self.roster, self.rng
        for _ in range(20):
            team = rng.randrange(len(roster.members))
            found = [
                i
                for i in roster.members[team]
                if not roster.staff[i].is_lead
                and roster.staff[i].can_receive(day)
                and (day - roster.staff[i].hired).days >= min_tenure
                and roster.portfolio[i]
            ]
            if found:
                return rng.choice(found)
        return None

    def _resignation(self, day: date, peak: bool) -> Iterator[dict]:
        rng, roster = self.rng, self.roster
        leaver = self._pick_staff(day, 60)
        if leaver is None:
            return
        team = roster.staff[leaver].team
        notice = rng.choice((14, 30, 30, 30))
        last = previous_workday(day + timedelta(days=notice))
        roster.staff[leaver].left = last
        roster.remove(leaver)
        if rng.random() < 0.9:
            roster.hire(rng, team, next_workday(day + timedelta(days=rng.randint(5, 30))))
        for client in sorted(roster.portfolio[leaver]):
            start = next_workday(day + timedelta(days=rng.randint(1, max(1, notice - 7))))
            end = start + timedelta(days=rng.randint(5, 15))
            if end > last >= start + timedelta(days=5):
                end = last
            yield from self._hand(client, leaver, team, "resignation", day, start, end, peak)

    def _rotation(self, day: date, peak: bool) -> Iterator[dict]:
        rng, roster = self.rng, self.roster
        mover = self._pick_staff(day, 180)
        if mover is None:
            return
        team = roster.staff[mover].team
        for client in sorted(roster.portfolio[mover]):
            start = next_workday(day + timedelta(days=rng.randint(1, 15)))
            end = start + timedelta(days=rng.randint(5, 15))
            yield from self._hand(client, mover, team, "rotation", day, start, end, peak)
        if len(roster.members) > 1:
            roster.move(mover, rng.choice([t for t in range(len(roster.members)) if t != team]))
            if rng.random() < 0.5:
                roster.hire(rng, team, next_workday(day + timedelta(days=rng.randint(10, 40))))

    def _leave(self, day: date, peak: bool) -> Iterator[dict]:
        rng, roster = self.rng, self.roster
        person = self._pick_staff(day, 180)
        if person is None:
            return
        away = next_workday(day + timedelta(days=rng.randint(5, 15)))
        back = next_workday(away + timedelta(days=rng.randint(60, 150)))
        roster.staff[person].away_until = back
        team = roster.staff[person].team
        moved: list[tuple[int, int]] = []
        for client in sorted(roster.portfolio[person]):
            start = next_workday(day + timedelta(days=rng.randint(1, max(1, (away - day).days))))
            end = min(start + timedelta(days=rng.randint(5, 15)), max(away, start + 5 * _DAY))
            before = self.count
            yield from self._hand(client, person, team, "leave", day, start, end, peak)
            if self.count > before:
                moved.append((client, self.book.owner[client]))
        heapq.heappush(self.returns, (back, next(self._pushes), person, moved))

    def _back_from_leave(self, day: date, person: int, moved: list[tuple[int, int]]):
        rng, book = self.rng, self.book
        if self.roster.staff[person].left is not None:
            return
        for client, holder in moved:
            if book.owner[client] != holder or rng.random() >= 0.5:
                continue
            start = add_workdays(day, rng.randint(0, 10))
            end = start + timedelta(days=rng.randint(5, 15))
            yield from self._hand(
                client, holder, -1, "reassignment", day, start, end, False, to=person
            )

    def _reassignment(self, day: date, peak: bool) -> Iterator[dict]:
        rng, roster = self.rng, self.roster
        team = rng.randrange(len(roster.members))
        people = sorted(roster.receivers(team, day), key=lambda i: (len(roster.portfolio[i]), i))
        if len(people) < 2:
            return
        giver, taker = rng.choice(people[-2:]), people[0]
        load = len(roster.portfolio[giver])
        if giver == taker or load - len(roster.portfolio[taker]) < 3:
            return
        k = max(1, round(load * rng.uniform(0.15, 0.35)))
        for client in rng.sample(sorted(roster.portfolio[giver]), k):
            start = add_workdays(day, rng.randint(1, 10))
            end = start + timedelta(days=rng.randint(5, 15))
            yield from self._hand(
                client, giver, team, "reassignment", day, start, end, peak, to=taker
            )

    def _other(self, day: date, peak: bool) -> Iterator[dict]:
        """A client asks for another accountant (客户要求更换会计)."""
        rng, roster = self.rng, self.roster
        giver = self._pick_staff(day, 0)
        if giver is None:
            return
        client = rng.choice(sorted(roster.portfolio[giver]))
        start = add_workdays(day, rng.randint(1, 5))
        end = start + timedelta(days=rng.randint(5, 10))
        yield from self._hand(
            client, giver, roster.staff[giver].team, "other", day, start, end, peak
        )

    # -- one handover ----------------------------------------------------------------

    def _hand(
        self,
        client: int,
        frm: int,
        team: int,
        reason: str,
        day: date,
        start: date,
        end: date,
        peak: bool,
        to: int | None = None,
    ) -> Iterator[dict]:
        book, roster = self.book, self.roster
        closed = book.end[client]
        if closed is not None and closed <= start:
            roster.portfolio[frm].discard(client)  # no longer a client: nothing to hand over
            return
        if to is None or not roster.staff[to].can_receive(start):
            to = self._successor(team if team >= 0 else roster.staff[frm].team, start, frm)
        roster.portfolio[frm].discard(client)
        roster.portfolio[to].add(client)
        book.owner[client] = to
        if book.start[client] > start:  # service not started yet: reassigned without a form
            book.assigned[client] = to
            return
        written_to = to
        if self.self_handover():
            written_to = frm
        row = self._row(book.client_id(client), frm, to, written_to, reason, day, start, end, peak)
        self.count += 1
        if written_to == frm:
            self.log.add("handovers.staff.distinct", row["handover_id"], "same_from_and_to_staff")
        finish = row["actual_end"]
        if finish is not None:
            if book.last_end[client] is None or finish > book.last_end[client]:
                book.last_end[client] = finish
                book.last_hid[client] = row["handover_id"]
                book.last_from[client] = frm
                book.last_to[client] = written_to
                book.assigned[client] = to
            self._maybe_churn(client, row, reason)
        yield row
        if self.unknown_client():
            self.phantoms += 1
            phantom = self._row(
                f"KH{book.n + self.phantoms:06d}", frm, to, to, reason, day, start, end, peak
            )
            self.log.add("handovers.client.known", phantom["handover_id"], "unknown_client")
            yield phantom

    def _successor(self, team: int, day: date, exclude: int) -> int:
        roster, rng = self.roster, self.rng
        found = roster.receivers(team, day, exclude)
        while not found:  # nobody left in the team: another team helps out
            found = roster.receivers(rng.randrange(len(roster.members)), day, exclude)
        weights = [1.0 / (len(roster.portfolio[i]) + 3) for i in found]
        return rng.choices(found, weights)[0]

    def _maybe_churn(self, client: int, row: dict, reason: str) -> None:
        finished = row["actual_end"].date()
        late = finished > row["planned_end"]
        p = (
            CHURN_BASE
            + (CHURN_IF_LATE if late else 0)
            + (CHURN_IF_RESIGNATION if reason == "resignation" else 0)
        )
        if self.rng.random() < p:
            ends = finished + timedelta(days=self.rng.randint(3, 90))
            current = self.book.end[client]
            if current is None or ends < current:
                self.book.end[client] = ends

    def _row(
        self,
        client_id: str,
        frm: int,
        to: int,
        written_to: int,
        reason: str,
        day: date,
        start: date,
        end: date,
        peak: bool,
    ) -> dict:
        rng, roster = self.rng, self.roster
        year = day.year
        self.sequence[year] = self.sequence.get(year, 0) + 1
        r = rng.random()
        if r < 0.05:
            begun = previous_workday(start - _DAY)
        elif r < 0.75:
            begun = start
        elif r < 0.93:
            begun = add_workdays(start, rng.randint(1, 2))
        else:
            begun = add_workdays(start, rng.randint(3, 7))
        # None when not begun (not ended) by the cut-off
        actual_start: datetime | None
        actual_end: datetime | None
        if rng.random() < 0.8:
            actual_start = office_time(rng, begun, 9 * 60, 11 * 60 + 30)
        else:
            actual_start = office_time(rng, begun, 13 * 60, 17 * 60)
        p_late = 0.12 + (0.15 if peak else 0) + (0.05 if reason == "resignation" else 0)
        if rng.random() < p_late:
            slip = rng.randint(1, 5) if rng.random() < 0.7 else rng.randint(6, 25)
            done = next_workday(end + timedelta(days=slip))
        else:
            span = (end - begun).days
            low = max(1, span // 3)
            done = previous_workday(begun + timedelta(days=rng.randint(low, max(low, span))))
        actual_end = office_time(rng, done, 14 * 60, 18 * 60)
        if actual_end < actual_start + timedelta(hours=1):
            actual_end = actual_start + timedelta(minutes=rng.randint(120, 240))
        if self.stalled() or actual_end >= CUTOFF:
            actual_end = None
        if actual_start >= CUTOFF:
            actual_start = actual_end = None
        r = rng.random()
        nda = True if r < 0.94 else False if r < 0.97 else None
        staff = roster.staff
        team = staff[to].team
        supervisor = roster.supervisor(team, (frm, to)) if rng.random() >= 0.04 else None
        signed = None
        if actual_end is not None and rng.random() < 0.92:
            signed = actual_end + timedelta(minutes=rng.randint(0, 30))
        return {
            "handover_id": f"JJ{year}-{self.sequence[year]:06d}",
            "client_id": client_id,
            "from_staff": staff[frm].name,
            "to_staff": staff[written_to].name,
            "supervisor": supervisor,
            "team": roster.team_names[team],
            "reason": reason,
            "planned_start": start,
            "planned_end": end,
            "actual_start": actual_start,
            "actual_end": actual_end,
            "nda_signed": nda,
            "signed_off_at": signed,
        }
