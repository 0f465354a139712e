"""Running a parser in a child process with resource limits, streaming its results back.

A user's file is hostile until read: a 5 KB workbook can declare a sheet of a million rows
by sixteen thousand columns and make a native reader ask for half a terabyte, which aborts
the whole process (there is no exception to catch). So files are parsed in a child process
whose address space and CPU time are capped (``resource.setrlimit``); whatever the file does,
the child ends and the server, the dashboard included, goes on, and the user reads a sentence.

The child is forked from a fork server that has already imported the readers, so a parse
starts in milliseconds. ``stream`` yields what the child sends, in order; an error the child
raises as a ``HandoverError`` is raised again here with its code and parameters. When the
consumer stops early (a preview that needs only the first rows) the child is ended.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from pipelines.errors import HandoverError, UnreadableFileError
from pipelines.limits import ReadLimits, env_name

_PRELOAD = ["pipelines.readers"]
_context: Any = None
_start_lock = threading.Lock()


def _get_context() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_PRELOAD)
    return _context


def stream(
    target: Callable[..., Iterator[Any]], args: tuple, limits: ReadLimits, file: str
) -> Iterator[Any]:
    """Run ``target(*args)`` in a limited child; yield each item it yields."""
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, target, args, limits, file), daemon=True)
    with _main_module_hidden():
        process.start()
    sender.close()
    try:
        while True:
            if not receiver.poll(limits.seconds):
                raise _limit_error("seconds", limits, file)
            try:
                tag, payload = receiver.recv()
            except (EOFError, OSError):
                process.join(5)
                raise _death_error(process.exitcode, limits, file) from None
            if tag == "item":
                yield payload
            elif tag == "error":
                raise _rebuild(payload)
            else:  # "done"
                return
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a child without the parent's main script: multiprocessing would run it again in
    the child (the `handover` script imports the whole command line, Streamlit's its server)
    only to unpickle a target that lives in an importable module anyway."""
    with _start_lock:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


def _child(
    sender: Connection,
    target: Callable[..., Iterator[Any]],
    args: tuple,
    limits: ReadLimits,
    file: str,
) -> None:
    # A native reader that fails an allocation prints to the terminal before it aborts (and
    # a Rust backtrace with RUST_BACKTRACE set): the user reads the parent's sentence instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.seconds, limits.seconds + 5))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    try:
        for item in target(*args):
            sender.send(("item", item))
        sender.send(("done", None))
    except HandoverError as error:
        sender.send(("error", _describe(error)))
    except MemoryError:
        sender.send(("error", _describe(_limit_error("memory_bytes", limits, file))))
    except BrokenPipeError:
        pass  # the parent stopped reading: nothing left to do
    finally:
        sender.close()
        os._exit(0)  # skip interpreter teardown: nothing of the child's needs flushing


def _describe(error: HandoverError) -> dict[str, Any]:
    return {
        "type": type(error).__name__,
        "message": error.message,
        "title": error.title,
        "details": error.details,
        "code": error.code,
        "params": error.params,
    }


def _rebuild(payload: dict[str, Any]) -> HandoverError:
    import pipelines.errors as errors

    cls = getattr(errors, payload["type"], None)
    if (
        not (isinstance(cls, type) and issubclass(cls, HandoverError))
        or cls.__init__ is not HandoverError.__init__
    ):
        cls = UnreadableFileError
    return cls(
        payload["message"],
        title=payload["title"],
        details=payload["details"],
        code=payload["code"],
        params=payload["params"],
    )


_LIMIT_TEXT = {
    "memory_bytes": (
        "file_memory_limit",
        "{file}: reading it needs more memory than the {limit} MB allowed for one "
        "file ({env}); nothing was loaded. Split it into smaller files, or save "
        "it as CSV.",
    ),
    "seconds": (
        "file_time_limit",
        "{file}: reading it took longer than the {limit} s allowed for one file "
        "({env}); nothing was loaded. Split it into smaller files, or save it as CSV.",
    ),
}


def _limit_error(limit: str, limits: ReadLimits, file: str) -> UnreadableFileError:
    code, text = _LIMIT_TEXT[limit]
    value = getattr(limits, limit)
    shown = value // (1 << 20) if limit == "memory_bytes" else value
    params = {"file": file, "limit": shown, "env": env_name(limit)}
    return UnreadableFileError(
        text.format(**params), title="File too large", code=code, params=params
    )


def _death_error(exitcode: int | None, limits: ReadLimits, file: str) -> UnreadableFileError:
    """Why the child ended without a word: a CPU-time signal is the time limit; anything
    else (an abort on a failed allocation, a kill by the kernel) is taken as memory."""
    if exitcode == -signal.SIGXCPU:
        return _limit_error("seconds", limits, file)
    return _limit_error("memory_bytes", limits, file)
