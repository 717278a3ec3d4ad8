"""Group commit in a process of its own: one writer stores what many requests submit.

Each request submits its screenings (and its idempotency record) and waits on a future that
resolves only after the transaction holding them has committed, so an API answers 201 only for
what is on disk. The writer takes every job waiting into one transaction: one commit (one
fsync on SQLite) serves many requests, and SQLite never sees two writers from one server
process. A job that makes its group fail (a taken idempotency key, say) is retried alone, so
it cannot fail the others.

The writer is a separate process, not a thread: a thread would need the interpreter lock
between every database call, and wait for the event loop to give it up each time, so that
storing and serving could never run at once. Jobs travel as plain values
(`ScreeningRecord`); the answer is each job's commit time, from which the stored screenings
are built on this side (`stored_form`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import multiprocessing
import pickle
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any

from ..audit import AuditError
from ..models import Screening
from .errors import IdempotencyKeyTaken, StoreError, StoreUnavailable
from .repository import NewScreening, ScreeningRecord, SqlStore, stored_form

log = logging.getLogger("assay.store")
START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class IdempotencyWrite:
    """The idempotency record to store with a job's screenings (keys are per organisation)."""

    org: str
    key: str
    fingerprint: str
    status_code: int
    result: dict[str, Any]


# A job as it travels: its number, its records, its idempotency record.
_Job = tuple[int, list[ScreeningRecord], IdempotencyWrite | None]
# An outcome as it comes back: the job's number and ("ok", commit time) or (error class name,
# message, idempotency key).
_Outcome = tuple[int, tuple[str, Any, Any]]


class GroupCommitWriter:
    """Stores screenings through a writer process, committing waiting jobs together.

    ``start()`` before ``submit()``; ``stop()`` drains what was submitted, then ends the process.
    """

    def __init__(self, store: SqlStore, *, max_group: int = 256) -> None:
        self.url = store.engine.url.render_as_string(hide_password=False)
        self.max_group = max_group
        self._lock = threading.Lock()  # guards the fields below and sending
        self._process: multiprocessing.process.BaseProcess | None = None
        self._jobs: Connection | None = None
        self._receiver: threading.Thread | None = None
        self._pending: dict[int, tuple[Future[list[Screening]], Sequence[NewScreening]]] = {}
        self._numbers = itertools.count(1)

    def start(self) -> None:
        """Start the writer process; raises ``StoreUnavailable`` when it cannot open the store."""
        with self._lock:
            if self._process is not None:
                return
            context = _context()
            jobs_out, jobs_in = context.Pipe(duplex=False)
            results_out, results_in = context.Pipe(duplex=False)
            process = context.Process(target=_serve, args=(self.url, jobs_out, results_in,
                                                           self.max_group),
                                      name="assay-store-writer", daemon=True)
            process.start()
            jobs_out.close()
            results_in.close()
            if not results_out.poll(START_TIMEOUT_S):
                process.kill()
                raise StoreUnavailable("the store writer did not start")
            status, detail = pickle.loads(results_out.recv_bytes())
            if status != "ready":
                process.join(5)
                raise StoreUnavailable(f"the store writer could not start: {detail}")
            self._process, self._jobs = process, jobs_in
            self._receiver = threading.Thread(target=self._receive, args=(results_out,),
                                              name="assay-store-results", daemon=True)
            self._receiver.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish every submitted job, then stop the process."""
        with self._lock:
            process, jobs, receiver = self._process, self._jobs, self._receiver
            self._process = self._jobs = self._receiver = None
            if jobs is not None:
                with contextlib.suppress(OSError):  # already gone: nothing left to drain
                    jobs.send_bytes(pickle.dumps(None))
                jobs.close()
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                process.kill()
        if receiver is not None:
            receiver.join(timeout)

    def alive(self) -> bool:
        """Whether the writer process runs (a stopped or crashed writer stores nothing)."""
        process = self._process
        return process is not None and process.is_alive()

    def submit(
        self, screenings: Sequence[NewScreening], *, idempotency: IdempotencyWrite | None = None
    ) -> Future[list[Screening]]:
        """Queue screenings (with ``id`` set) for storing; the future gives them as stored.

        Their screening.created audit events are appended in the same transaction.

        The future raises what ``Repository.add_screenings``/``add_idempotency`` raise
        (``IdempotencyKeyTaken``, ``StoreError``), or ``StoreUnavailable`` when the writer is
        not running.
        """
        future: Future[list[Screening]] = Future()
        # Running from now on, so it cannot be cancelled: ``asyncio.wrap_future`` cancels it
        # when the awaiting request is cancelled, and resolving a cancelled future would raise.
        future.set_running_or_notify_cancel()
        try:
            records = [s.record() for s in screenings]
        except ValueError as exc:
            future.set_exception(exc)
            return future
        with self._lock:
            if self._jobs is None:
                future.set_exception(StoreUnavailable("the store writer is not running"))
                return future
            number = next(self._numbers)
            self._pending[number] = (future, screenings)
            job: _Job = (number, records, idempotency)
            try:
                self._jobs.send_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            except OSError as exc:
                del self._pending[number]
                future.set_exception(StoreUnavailable(f"the store writer is gone: {exc}"))
        return future

    def _receive(self, results: Connection) -> None:
        """Resolve each job's future as its outcome comes back; when the process ends, fail
        whatever is still waiting."""
        while True:
            try:
                outcomes: list[_Outcome] = pickle.loads(results.recv_bytes())
            except (EOFError, OSError):
                break
            for number, outcome in outcomes:
                with self._lock:
                    future, screenings = self._pending.pop(number)
                if outcome[0] == "ok":
                    now: dt.datetime = outcome[1]
                    future.set_result([stored_form(s.screening, now) for s in screenings])
                else:
                    future.set_exception(_error(*outcome))
        results.close()
        with self._lock:
            waiting, self._pending = self._pending, {}
        for future, _ in waiting.values():
            future.set_exception(StoreUnavailable("the store writer stopped"))


def _context() -> ForkServerContext | SpawnContext:
    """Never fork the (threaded) server itself: on Linux a fork server that has this module
    loaded already starts each writer in milliseconds; elsewhere a fresh interpreter does."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _error(kind: str, message: str, key: str | None) -> Exception:
    """The exception a job failed with, rebuilt on this side of the pipe."""
    if kind == "IdempotencyKeyTaken" and key is not None:
        return IdempotencyKeyTaken(key)
    known: dict[str, type[Exception]] = {"StoreUnavailable": StoreUnavailable,
                                         "AuditError": AuditError, "ValueError": ValueError}
    return known.get(kind, StoreError)(message)


# ------------------------------------------------------------------ the writer process


def _serve(url: str, jobs: Connection, results: Connection, max_group: int) -> None:
    """The writer process: commit waiting jobs together until told to stop (None) or until
    the server goes away (end of file)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops it, after draining
    try:
        store = SqlStore.from_url(url)
        store.ping()
    except Exception as exc:
        results.send_bytes(pickle.dumps(("error", str(exc))))
        return
    results.send_bytes(pickle.dumps(("ready", None)))
    try:
        while True:
            try:
                job = pickle.loads(jobs.recv_bytes())
            except (EOFError, OSError):
                return
            if job is None:
                return
            group: list[_Job] = [job]
            stop = False
            while len(group) < max_group and jobs.poll():
                more = pickle.loads(jobs.recv_bytes())
                if more is None:
                    stop = True
                    break
                group.append(more)
            results.send_bytes(pickle.dumps(_commit(store, group),
                                            protocol=pickle.HIGHEST_PROTOCOL))
            if stop:
                return
    finally:
        store.dispose()


def _commit(store: SqlStore, group: list[_Job]) -> list[_Outcome]:
    now = dt.datetime.now(dt.UTC)
    try:
        with store.transaction(write=True, first_statement_writes=True) as repo:
            repo.add_records([r for _, records, _ in group for r in records], now=now)
            for _, _, write in group:
                if write is not None:
                    repo.add_idempotency(
                        key=write.key, fingerprint=write.fingerprint,
                        status_code=write.status_code, result=write.result, now=now,
                        org=write.org)
    except Exception as exc:  # every job gets an answer, and the writer goes on
        if len(group) > 1 and isinstance(exc, StoreError | AuditError | ValueError):
            # find the one that failed; the others commit alone
            return [outcome for job in group for outcome in _commit(store, [job])]
        if not isinstance(exc, StoreError | AuditError | ValueError):
            log.exception("store writer failed")
        key = exc.key if isinstance(exc, IdempotencyKeyTaken) else None
        return [(number, (type(exc).__name__, str(exc), key)) for number, _, _ in group]
    return [(number, ("ok", now, None)) for number, _, _ in group]
