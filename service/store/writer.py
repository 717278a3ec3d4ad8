"""Group commit: one writer thread stores what many requests submit, in shared transactions.

Each request submits its screenings (and its idempotency record) and waits on a future that
resolves only after the transaction holding them has committed, so an API answers 201 only for
what is on disk. Under load, the writer takes every job waiting in the queue into one
transaction: one commit (one fsync on SQLite) serves many requests, and SQLite never sees two
writers from one process. A job that makes its group fail (a taken idempotency key, say) is
retried alone, so it cannot fail the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..audit import AuditError
from ..models import Screening
from .errors import StoreError, StoreUnavailable
from .repository import NewScreening, SqlStore

log = logging.getLogger("assay.store")


@dataclass(frozen=True, slots=True)
class IdempotencyWrite:
    """The idempotency record to store with a job's screenings (keys are per organisation)."""

    org: str
    key: str
    fingerprint: str
    status_code: int
    result: dict[str, Any]


@dataclass(slots=True)
class _Job:
    screenings: Sequence[NewScreening]
    idempotency: IdempotencyWrite | None
    future: Future[list[Screening]] = field(default_factory=Future)


class GroupCommitWriter:
    """Serialises all writes of a process through one thread, committing waiting jobs together.

    ``start()`` before ``submit()``; ``stop()`` drains what was submitted, then ends the thread.
    """

    def __init__(self, store: SqlStore, *, max_group: int = 256) -> None:
        self.store = store
        self.max_group = max_group
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(
                    target=self._run, name="assay-store-writer", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish every submitted job, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def submit(
        self, screenings: Sequence[NewScreening], *, idempotency: IdempotencyWrite | None = None
    ) -> Future[list[Screening]]:
        """Queue screenings (with ``id`` set) for storing; the future gives them as stored.

        Their screening.created audit events are appended in the same transaction.

        The future raises what ``Repository.add_screenings``/``add_idempotency`` raise
        (``IdempotencyKeyTaken``, ``StoreError``), or ``StoreUnavailable`` when the writer is
        not running.
        """
        job = _Job(screenings, idempotency)
        if self._thread is None or self._stopping:
            job.future.set_exception(StoreUnavailable("the store writer is not running"))
            return job.future
        # Running from now on, so it cannot be cancelled: ``asyncio.wrap_future`` cancels it
        # when the awaiting request is cancelled, and the writer's ``set_result`` on a
        # cancelled future would raise and end the writer thread (every later write hanging).
        job.future.set_running_or_notify_cancel()
        self._queue.put(job)
        return job.future

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            group = [job]
            stop = False
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Job]) -> None:
        now = dt.datetime.now(dt.UTC)
        try:
            with self.store.transaction(write=True, first_statement_writes=True) as repo:
                stored = repo.add_screenings(
                    [s for job in group for s in job.screenings], now=now)
                for job in group:
                    if job.idempotency is not None:
                        write = job.idempotency
                        repo.add_idempotency(
                            key=write.key, fingerprint=write.fingerprint,
                            status_code=write.status_code, result=write.result, now=now,
                            org=write.org)
        except (StoreError, AuditError, ValueError) as exc:
            if len(group) > 1:
                for job in group:  # find the one that failed; the others commit alone
                    self._commit([job])
                return
            group[0].future.set_exception(exc)
            return
        except BaseException as exc:  # a bug: fail the requests, keep the writer alive
            log.exception("store writer failed")
            for job in group:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        start = 0
        for job in group:
            end = start + len(job.screenings)
            job.future.set_result(stored[start:end])
            start = end
