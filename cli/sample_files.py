"""`python -m cli.sample_files OUT_DIR [--size large] [--seed 42]`: write the sample's
import files (the files `handover demo` loads, or the large firm's for the benchmarks),
with the command line's progress bar on a terminal."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cli.messages import text
from cli.progress import bar
from sample_data.generator import SIZES, write_sample_files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the sample import files.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with bar() as progress:  # on a terminal only
        files = write_sample_files(args.out_dir, args.size, args.seed, progress=progress)
    for kind, path in files:
        print(text("sample_files.file", kind=kind, path=path, size=path.stat().st_size))
    print(text("sample_files.written", seconds=time.perf_counter() - started), file=sys.stderr)


if __name__ == "__main__":
    main()
