"""Full-page screenshots of every dashboard page in Chinese and English (not a test).

    uv run python tests/e2e/screenshots.py OUT_DIR [--port N]

Starts `handover serve --demo` on a fresh temporary database (it loads the sample), opens each page
in Debian's Chromium at 1440x900, and saves ``OUT_DIR/<page>-<lang>.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.app_utils import (  # noqa: E402
    LANGS,
    PAGES,
    VIEWPORT,
    chromium_path,
    full_page_screenshot,
    goto,
    launch_chromium,
    start_server,
    stop_server,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder for <page>-<lang>.png")
    parser.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    args = parser.parse_args(argv)
    if chromium_path() is None:
        print("chromium is not on PATH: apt-get install chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="handover-screenshots-") as workdir:
        started = time.monotonic()
        server = start_server(Path(workdir), port=args.port)
        print(f"handover serve at {server.url} ({time.monotonic() - started:.1f} s)")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                for lang in LANGS:
                    # zh through the browser's locale (the default), en through ?lang=en
                    context = browser.new_context(
                        locale="zh-CN" if lang == "zh" else "en-US",
                        viewport=VIEWPORT,
                        timezone_id="Asia/Shanghai",
                    )
                    page = context.new_page()
                    for key in PAGES:
                        shot = time.monotonic()
                        goto(page, server, key, lang=lang, timeout=120_000)
                        path = args.out_dir / f"{key}-{lang}.png"
                        full_page_screenshot(page, path)
                        errors = page.get_by_test_id("stException").count()
                        print(
                            f"{path}  {time.monotonic() - shot:.1f} s"
                            + (f"  ({errors} exception(s) on the page)" if errors else "")
                        )
                    context.close()
                browser.close()
        finally:
            log = stop_server(server)
            if "Traceback" in log:
                print(log, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
