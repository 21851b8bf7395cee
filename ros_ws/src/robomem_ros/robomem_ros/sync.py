"""Approximate time synchronisation of several message streams (message_filters is not on PyPI).

Each input keeps a short queue of (stamp seconds, message). When a message arrives, the synchroniser
picks from every other queue the message nearest in time; if the whole set spans at most ``slop``
seconds it is emitted and every queue drops what is not newer than the message it gave. A set is
emitted once; old, unmatched messages fall out of the bounded queues (counted in ``dropped``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any


class ApproximateSync:
    """Calls ``callback(*messages)`` with one message per input whose stamps lie within ``slop`` seconds."""

    def __init__(self, n_inputs: int, callback: Callable[..., None], slop: float = 0.05, queue_size: int = 10):
        if n_inputs < 1 or queue_size < 1 or slop < 0:
            raise ValueError("need n_inputs >= 1, queue_size >= 1 and slop >= 0")
        self.callback, self.slop = callback, float(slop)
        self.queues: list[deque[tuple[float, Any]]] = [deque(maxlen=queue_size) for _ in range(n_inputs)]
        self.emitted = 0
        self.dropped = 0  # messages that left a queue without being part of an emitted set
        self._lock = threading.Lock()

    def add(self, index: int, stamp: float, msg: Any) -> bool:
        """Offer ``msg`` (time ``stamp`` seconds) on input ``index``; True when a set was emitted."""
        with self._lock:
            q = self.queues[index]
            if len(q) == q.maxlen:
                self.dropped += 1
            q.append((float(stamp), msg))
            chosen = self._match(index, float(stamp))
            if chosen is None:
                return False
            for i, (t_i, _) in enumerate(chosen):
                kept = deque((e for e in self.queues[i] if e[0] > t_i), maxlen=self.queues[i].maxlen)
                self.dropped += len(self.queues[i]) - len(kept) - 1
                self.queues[i] = kept
            self.emitted += 1
        self.callback(*(m for _, m in chosen))
        return True

    def _match(self, index: int, t: float) -> Sequence[tuple[float, Any]] | None:
        chosen: list[tuple[float, Any]] = []
        for i, q in enumerate(self.queues):
            if i == index:
                chosen.append((t, q[-1][1]))
                continue
            if not q:
                return None
            chosen.append(min(q, key=lambda e: abs(e[0] - t)))
        stamps = [c[0] for c in chosen]
        return chosen if max(stamps) - min(stamps) <= self.slop else None
