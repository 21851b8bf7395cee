"""One thread that owns a robomem Memory: every call on it (open, integrate, ask, save, close) runs there.

robomem's ``Memory`` is not thread-safe ("call it from one thread", docs/memory.md) and its SQLite
connection may only be used by the thread that opened it, while a ROS node calls in from executor
threads (services, timers) and the camera worker. ``Owner.call`` hands the work to the owner thread and
waits for the result (exceptions are re-raised in the caller), which also serialises the calls.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Owner:
    """Runs callables one at a time on a single dedicated thread."""

    def __init__(self, name: str = "memory_owner"):
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple, dict, Future] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, args, kwargs, fut = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args, **kwargs))
            except BaseException as e:  # handed to the caller
                fut.set_exception(e)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the owner thread; its result or its exception."""
        if threading.current_thread() is self._thread:  # already there (e.g. a listener calling back)
            return fn(*args, **kwargs)
        if self._closed:
            raise RuntimeError("the memory owner thread has stopped")
        fut: Future = Future()
        self._queue.put((fn, args, kwargs, fut))
        return fut.result()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued calls, then end the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout)
