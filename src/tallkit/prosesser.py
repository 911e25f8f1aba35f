"""Helper processes: what tallkit's worker processes (``render.Workers``) and the plan made
in other processes (``analyses.start_suppression_plan``) share. Imports nothing heavy."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def interrupts_held(*, spawning: bool = False) -> Iterator[None]:
    """Ctrl-C kept from the helper processes started inside, and held back (blocked, not
    lost) for this one while they start. Ctrl-C goes to every process of the terminal's
    group, but only this one should answer it (one line, exit 130); it ends the helpers.

    A forked process keeps the blocked signal for good. A process spawned through exec does
    not keep the block, so with ``spawning`` Ctrl-C is also ignored while it starts (ignoring
    is kept through exec); a Ctrl-C that another thread of this process takes in that moment
    of milliseconds is lost."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield  # a library caller's thread (only the main thread may set handlers), Windows
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if spawning else None
    try:
        yield
    finally:
        if spawning:
            signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
