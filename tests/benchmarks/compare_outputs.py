"""Compare the saved outputs of two versions: every JSON file of BEFORE with its namesake in
AFTER, value by value.

    uv run python tests/benchmarks/compare_outputs.py BEFORE_DIR AFTER_DIR [--ignore KEY ...]

Texts, integers, booleans, nulls, lists and keys must be equal; floating-point numbers equal
to 1e-9 relative. Why not byte for byte: DuckDB sums in parallel, and the order in which the
threads' partial sums meet varies from run to run, so a mean over 300,000 handovers differs
in its 15th digit between two runs of the same code on the same database (seen:
mean_duration_days 7.076275916379876 and 7.076275916379815). Every difference beyond that is
listed with its path. Keys given with --ignore (e.g. run ids, times) are skipped anywhere.
With --sort-by KEY, lists of objects that have KEY are compared in KEY's order (a ranking
whose ties were listed in another order). Exit 0 when everything matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

RELATIVE = 1e-9


def differences(before: object, after: object, path: str, ignore: set[str]) -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        keys = [k for k in before.keys() | after.keys() if k not in ignore]
        for key in sorted(keys, key=str):
            if key not in before or key not in after:
                found.append(f"{path}.{key}: only in {'after' if key in after else 'before'}")
            else:
                found += differences(before[key], after[key], f"{path}.{key}", ignore)
        return found
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} items before, {len(after)} after"]
        found = []
        for i, (b, a) in enumerate(zip(before, after, strict=False)):
            found += differences(b, a, f"{path}[{i}]", ignore)
        return found
    if isinstance(before, float) or isinstance(after, float):
        if (
            isinstance(before, (int, float))
            and isinstance(after, (int, float))
            and not isinstance(before, bool)
            and not isinstance(after, bool)
            and math.isclose(before, after, rel_tol=RELATIVE, abs_tol=1e-12)
        ):
            return []
    elif before == after and type(before) is type(after):
        return []
    return [f"{path}: {before!r} before, {after!r} after"]


def ordered(value: object, keys: list[str]) -> object:
    """``value`` with its lists of objects sorted by the first of ``keys`` they all have."""
    if isinstance(value, dict):
        return {k: ordered(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        items = [ordered(v, keys) for v in value]
        for key in keys:
            if items and all(isinstance(i, dict) and key in i for i in items):
                return sorted(items, key=lambda i: (i[key] is None, str(i[key])))
        return items
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--ignore", nargs="*", default=[])
    parser.add_argument(
        "--sort-by",
        nargs="*",
        default=[],
        metavar="KEY",
        help="lists of objects having KEY are compared in KEY's order (rows "
        "whose order depends on ties of floating-point values)",
    )
    args = parser.parse_args()
    failed = 0
    for old in sorted(args.before.glob("*.json")):
        new = args.after / old.name
        if not new.exists():
            print(f"{old.name}: missing in {args.after}")
            failed += 1
            continue
        found = differences(
            ordered(json.loads(old.read_text(encoding="utf-8")), args.sort_by),
            ordered(json.loads(new.read_text(encoding="utf-8")), args.sort_by),
            "$",
            set(args.ignore),
        )
        print(f"{old.name}: {'same' if not found else f'{len(found)} differences'}")
        for line in found[:20]:
            print(f"    {line}")
        failed += bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
