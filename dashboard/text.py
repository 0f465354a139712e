"""User data is text: one place that makes a value safe to put where the dashboard's texts are
interpreted, so that a company name, a comment, a file name or a URL parameter shows exactly
as written and never as formatting, a link, a colour, an icon or a formula.

Two kinds of places interpret text:

- Streamlit's Markdown (st.markdown, captions, alerts, titles, metric and widget labels, help
  texts, expander and tab labels, toasts): GitHub-flavoured Markdown plus Streamlit's own
  directives (``:red[…]``, ``:material/…:``, emoji shortcodes, ``$…$`` LaTeX, bare URLs turned
  into links). ``plain(value)`` escapes a value for them; ``t()`` (dashboard/i18n.py) passes
  every value it puts into a catalogue text through it, so the catalogue's own Markdown stays.
- Plotly's labels, tick labels, legend names and hover texts, which understand a few HTML tags
  (``<b>``, ``<a href>``, ``<br>``…) and entities: ``chart_text(value)``.

Tables (st.dataframe), st.code and st.text show text as it is and need neither.
"""

from __future__ import annotations

import html
import re

# Invisible, zero-width, and not a word character: placed inside "…:name" / "www." / "a@b" it
# stops the text-level plugins (emoji shortcodes, :material/ icons, bare-URL and e-mail links,
# Streamlit's directives) from recognising a pattern, and shows nothing.
WORD_JOINER = "\u2060"

# Backslash-escaped wherever they are: CommonMark renders "\x" as "x" for ASCII punctuation.
_ALWAYS = re.compile(r"([\\`*_\[\]<>|~$&#])")
# Meaningful at the start of a line only (lists, headings, setext/thematic breaks, quotes).
_LINE_START = re.compile(r"^(\s*)([-+=])")
_ORDERED = re.compile(r"^(\s*\d+)([.)])")
# Streamlit's typographic replacements (" -> " becomes an arrow): keep the characters.
_SYMBOLS = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")
_COLON = re.compile(r":(?=[\w/+\-])")  # :red[…] :material/x: :smile: https://
_AT = re.compile(r"@(?=[\w\-])")  # e-mail autolinks
_WWW = re.compile(r"(www)(?=\.)", re.IGNORECASE)  # www.example.com autolinks
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def _missing(value: object) -> bool:
    if value is None or type(value).__name__ == "NAType":  # pandas' NA
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except (TypeError, ValueError):
        return False


def plain(value: object) -> str:
    """``value`` as text that Streamlit's Markdown shows literally (None, NaN: empty)."""
    if _missing(value):
        return ""
    text = _LINE_BREAKS.sub(" ", str(value))  # a value never starts a block of its own
    text = _SYMBOLS.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], text)
    text = _ALWAYS.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\1\\\2", text)
    text = _ORDERED.sub(r"\1\\\2", text)
    text = _COLON.sub(":" + WORD_JOINER, text)
    text = _AT.sub("@" + WORD_JOINER, text)
    return _WWW.sub(r"\1" + WORD_JOINER, text)


def literal(markdown: str) -> str:
    """What ``plain`` escaped, as the reader sees it (for tests and plain-text exports)."""
    text = markdown.replace(WORD_JOINER, "")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def chart_text(value: object) -> str:
    """``value`` as text that Plotly shows literally in a label, tick, legend or hover text
    (None, NaN: empty)."""
    if _missing(value):
        return ""
    return html.escape(str(value), quote=False).replace("$", "&#36;")


_POSIX_DIRS = re.compile(r"(?<![\w.~\-/:])(?:~|\.{1,2})?/(?:[^/\s'\"`]+/)+")
_WINDOWS_DIRS = re.compile(r"\b[A-Za-z]:\\(?:[^\\\s'\"`]+\\)+")


def hide_paths(text: str) -> str:
    """``text`` with the folders of absolute paths taken out (``/srv/data/x.duckdb`` →
    ``x.duckdb``): error messages name the file, never where the server keeps it."""
    return _WINDOWS_DIRS.sub("", _POSIX_DIRS.sub("", text))
