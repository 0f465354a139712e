"""Benchmark: every dashboard page on the large sample, in headless Chromium.

    uv run python tests/benchmarks/bench_pages.py [--runs 3] [--pages overview,handovers]
        [--db COPY] [--settle SECONDS]

Uses the large sample's database (tests/benchmarks/output/large.duckdb, built by
bench_checks.py when missing; run `handover check` on it first for the data quality page to
have failing records; give --db a copy: accounts are added to it). One `handover serve` runs
the whole benchmark, with one signed-in browser session. For each page and run: from
another page, the database changes (`handover users add` from the command line, while the
dashboard is open: a new data version empties every cache, as an import does), then the
time from the sidebar's link to Streamlit's script state `notRunning` is the page's first
render after a data change (``--settle S``: S seconds after it, as a user who opens the page a
little after an import; the server makes the new data's computation ready meanwhile,
dashboard/computations.py); then the app goes to another page and back twice, and on the
analysis pages a team is chosen in the sidebar's filter (later renders: the slowest counts).
The server's own time per run of the page comes from its log ("page X ran in S s"), and the
peak memory (VmHWM) of the server's processes from /proc. Prints a table with the goal
beside each median (issue 12: first <= 3 s, later <= 1 s, server < 2 GB).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from tests.e2e.app_utils import PAGES as TITLES  # noqa: E402
from tests.e2e.app_utils import (  # noqa: E402
    PASSWORD,
    VIEWPORT,
    goto,
    launch_chromium,
    start_server,
    stop_server,
)

FIRST_GOAL, LATER_GOAL, MEMORY_GOAL_MB = 3.0, 1.0, 2048
AS_OF = "2026-11-20"
PAGES = (
    "overview",
    "handovers",
    "satisfaction",
    "risk",
    "data_quality",
    "upload",
    "settings",
    "audit",
)
FILTERED = ("overview", "handovers", "satisfaction", "risk")  # a sidebar filter changes them
ACCOUNT = "bench"
SERVER_TIME = re.compile(r"page (\w+) ran in ([0-9.]+) s")


def peak_memory_mb(group: int) -> float:
    """The sum of VmHWM (peak resident memory) of the processes of a process group."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:  # pgrp
                continue
            for line in (status.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1024


def timed(page, action, title: str) -> float:
    """Seconds from ``action`` (a navigation, a reload, the sign-in) until the page's title
    is shown (its run has begun: a new document says `notRunning` before it connects) and
    then the script state is `notRunning`."""
    started = time.perf_counter()
    action()
    page.get_by_role("heading", name=title).first.wait_for(timeout=900_000)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        timeout=900_000,
        state="attached",
    )
    return time.perf_counter() - started


def add_account(db: Path, name: str = "bench", role: str = "administrator") -> None:
    """An account (``bench``: the benchmark's administrator; a database of real data has
    accounts, so everyone signs in); kept when it exists. Adding one is also the data change
    before each first render: it changes the database's version, as an import would."""
    import os
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "cli", "users", "add", name, "--role", role, "--db", str(db)],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HANDOVER_CONFIG": "none"},
    )


# Counts the script runs that ended: every change of the app's script state away from
# "running" (read from the mutation's old value: a quick run has already ended when the
# observer is called, so the attribute's current value would miss it).
_COUNT_ENDED_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (app && !app.__benchObserved) {
        app.__benchObserved = true;
        window.__benchRuns = window.__benchRuns || 0;
        new MutationObserver(records => {
            for (const record of records) {
                window.__benchActivity = (window.__benchActivity || 0) + 1;
                if (record.oldValue === "running") window.__benchRuns += 1;
            }
        }).observe(app, {attributes: true, attributeOldValue: true,
                         attributeFilter: ["data-test-script-state"]});
    }
    return window.__benchRuns || 0;
}"""


def activity(page) -> int:
    return page.evaluate("() => window.__benchActivity || 0")


def rerun_timed(page, action) -> float:
    """Seconds from ``action`` (a click in the app) until the run it starts has ended. A
    click that starts nothing within 15 s (it came while the app was settling) is made
    again, and the time counts from the second click."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    runs = page.evaluate(_COUNT_ENDED_RUNS)
    seen = activity(page)
    started = time.perf_counter()
    action()
    try:
        page.wait_for_function("n => (window.__benchActivity || 0) > n", arg=seen, timeout=15_000)
    except PlaywrightTimeoutError:
        started = time.perf_counter()
        action()
    page.wait_for_function("n => (window.__benchRuns || 0) > n", arg=runs, timeout=900_000)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        timeout=900_000,
        state="attached",
    )
    return time.perf_counter() - started


class Session:
    """One `handover serve` on the database and one signed-in browser page, for the whole
    benchmark (a server that has run before: its imports are done)."""

    def __init__(self, browser, db: Path, workdir: Path, settle: float = 0.0):
        from dashboard.i18n import t

        self.db, self.settle = db, settle
        self.server = start_server(workdir, demo=False, db=db, timeout=300)
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.page = self.context.new_page()
        goto(self.page, self.server, "upload", lang="zh", as_of=AS_OF)  # the sign-in form
        form = self.page.get_by_test_id("stForm")
        form.get_by_label(t("signin.name", "zh"), exact=True).fill(ACCOUNT)
        form.get_by_label(t("signin.password", "zh"), exact=True).fill(PASSWORD)
        timed(
            self.page,
            form.get_by_role("button", name=t("signin.submit", "zh")).click,
            TITLES["upload"][0],
        )
        self.side = self.page.get_by_test_id("stSidebar")
        self.changes, self.current = 0, "upload"

    def go(self, key: str) -> float:
        """To a page through the sidebar (a link to the page shown starts no run)."""
        assert key != self.current, key
        seconds = rerun_timed(self.page, self.side.get_by_role("link", name=TITLES[key][0]).click)
        self.current = key
        return seconds

    def measure(self, key: str) -> dict:
        other = "upload" if key != "upload" else "settings"
        if self.current != other:
            self.go(other)
        self.changes += 1  # a data change while the dashboard is open
        stamp = self.db.with_name(self.db.name + ".changed")
        before = stamp.read_text() if stamp.exists() else None
        add_account(self.db, f"bench_change_{self.changes}", "management")
        assert stamp.exists() and stamp.read_text() != before, "the data did not change"
        time.sleep(self.settle)  # a user who opens the page a little after the change
        logged = len(self.log())
        first = self.go(key)
        later = []
        for _ in range(2):  # away and back through the sidebar
            self.go(other)
            later.append(self.go(key))
        if key in FILTERED:  # a filter of the sidebar: the first team
            later.append(rerun_timed(self.page, lambda: pick_first_team(self.page, self.side)))
            rerun_timed(self.page, lambda: clear_teams(self.page, self.side))
        own = [float(s) for name, s in SERVER_TIME.findall(self.log()[logged:]) if name == key]
        return {
            "first": first,
            "later": max(later),
            "laters": [round(x, 2) for x in later],
            "server_first": own[0] if own else None,
            "server_later": max(own[1:]) if len(own) > 1 else None,
            "servers": own,
            "memory": peak_memory_mb(self.server.process.pid),
        }

    def log(self) -> str:
        return self.server.log_text()

    def close(self) -> None:
        self.context.close()
        stop_server(self.server)


def clear_teams(page, side) -> None:
    from dashboard.i18n import t

    box = side.get_by_test_id("stMultiSelect").filter(has_text=t("common.team", "zh"))
    box.get_by_role("button", name=re.compile("Clear|清除|clear", re.I)).last.click()


def pick_first_team(page, side) -> None:
    from dashboard.i18n import t

    box = side.get_by_test_id("stMultiSelect").filter(has_text=t("common.team", "zh"))
    box.get_by_role("combobox").click()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds between the data change and the first render's "
        "navigation (default 0: at once, the worst case)",
    )
    args = parser.parse_args()
    from bench_checks import DB, build_database
    from playwright.sync_api import sync_playwright

    db = args.db or DB
    if not db.exists():
        build_database()
    add_account(db)
    keys = [k for k in args.pages.split(",") if k]
    results: dict[str, list[dict]] = {k: [] for k in keys}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        session = Session(browser, db, Path(folder), settle=args.settle)
        try:
            for run in range(args.runs):
                for key in keys:
                    results[key].append(session.measure(key))
                    print(f"  run {run + 1}: {key} {results[key][-1]}", file=sys.stderr)
        finally:
            session.close()
            browser.close()
    print(
        f"database: {db.name}, as of {AS_OF}, {args.runs} runs, median of each; first "
        f"render {args.settle:g} s after the data change\n"
    )
    print(
        f"{'page':<14}{'first s':>9}{'goal':>6}{'later s':>9}{'goal':>6}"
        f"{'server 1st':>11}{'server later':>13}{'peak MB':>9}{'goal':>7}  ok"
    )
    for key, runs in results.items():

        def median(name: str, runs: list = runs) -> float | None:
            values = [r[name] for r in runs if r[name] is not None]
            return statistics.median(values) if values else None

        first, later, memory = median("first"), median("later"), median("memory")
        ok = first <= FIRST_GOAL and later <= LATER_GOAL and memory < MEMORY_GOAL_MB
        server_first, server_later = median("server_first"), median("server_later")
        print(
            f"{key:<14}{first:>9.2f}{FIRST_GOAL:>6.0f}{later:>9.2f}{LATER_GOAL:>6.0f}"
            f"{server_first or float('nan'):>11.2f}{server_later or float('nan'):>13.2f}"
            f"{memory:>9.0f}{MEMORY_GOAL_MB:>7}  {'yes' if ok else 'NO'}"
        )


if __name__ == "__main__":
    main()
