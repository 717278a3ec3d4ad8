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

A large job can be streamed (`stream`): its parts are inserted as they arrive, so that the
writer stores the first screenings of a batch while the server screens the next ones, and
the whole job still commits (or fails) in one transaction.

On SQLite the writer's commits never checkpoint the WAL (by default the commit that grows it
past 1,000 pages copies it into the database file, and its requests wait for that): a thread
of the writer checkpoints beside the commits instead (`_Checkpoints`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import itertools
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..audit import AuditError
from ..models import Screening
from .errors import IdempotencyKeyTaken, StoreError, StoreUnavailable
from .repository import NewScreening, ScreeningRecord, SqlRepository, SqlStore, stored_form

log = logging.getLogger("assay.store")
START_TIMEOUT_S = 60.0
# Where `service` is imported from, for the writer's interpreter.
_IMPORT_ROOT = str(Path(__file__).resolve().parents[2])
PIPE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class IdempotencyWrite:
    """The idempotency record to store with a job's screenings (keys are per organisation)."""

    org: str
    key: str
    fingerprint: str
    status_code: int
    result: dict[str, Any]


# A message as it travels: (kind, job number, records, idempotency record). Kinds: "job" (a
# whole job), "part" (more of a streamed job), "end" (its last part), "abort" (drop it).
_Message = tuple[str, int, list[ScreeningRecord], IdempotencyWrite | None]
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
        # `_lock` guards the fields below; `_sending` the pipe to the writer, apart, so that
        # the thread taking answers never waits for a sender blocked on a full pipe.
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._jobs: Connection | None = None
        self._receiver: threading.Thread | None = None
        self._pending: dict[int, tuple[Future[list[Screening]], Sequence[NewScreening]]] = {}
        self._numbers = itertools.count(1)

    def start(self) -> None:
        """Start the writer process; raises ``StoreUnavailable`` when it cannot open the store."""
        with self._lock:
            if self._process is not None:
                return
            # A fresh interpreter running `python -m service.store`, not multiprocessing: that
            # would run the server's own main script again in the child.
            jobs_read, jobs_write = os.pipe()
            results_read, results_write = os.pipe()
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "service.store", str(jobs_read), str(results_write),
                     str(self.max_group)],
                    pass_fds=(jobs_read, results_write), stdin=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(
                        [_IMPORT_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])})
            finally:
                os.close(jobs_read)
                os.close(results_write)
            jobs_in = Connection(jobs_write, readable=False)
            results_out = Connection(results_read, writable=False)
            _widen(jobs_in)
            # The database URL (and its password) goes down the pipe, not on a command line.
            jobs_in.send_bytes(pickle.dumps(self.url))
            status, detail = "error", "it did not start in time"
            if results_out.poll(START_TIMEOUT_S):
                try:
                    status, detail = pickle.loads(results_out.recv_bytes())
                except EOFError:
                    detail = "it exited"
            if status != "ready":
                process.kill()
                process.wait(5)
                jobs_in.close()
                results_out.close()
                raise StoreUnavailable(f"the store writer could not start: {detail}")
            self._process, self._jobs = process, jobs_in
            self._receiver = threading.Thread(target=self._receive, args=(results_out,),
                                              name="assay-store-results", daemon=True)
            self._receiver.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish every submitted job, then stop the process."""
        with self._sending, self._lock:
            process, jobs, receiver = self._process, self._jobs, self._receiver
            self._process = self._jobs = self._receiver = None
            if jobs is not None:
                with contextlib.suppress(OSError):  # already gone: nothing left to drain
                    jobs.send_bytes(pickle.dumps(None))
                jobs.close()
        if process is not None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if receiver is not None:
            receiver.join(timeout)

    def alive(self) -> bool:
        """Whether the writer process runs (a stopped or crashed writer stores nothing)."""
        process = self._process
        return process is not None and process.poll() is None

    def submit(
        self, screenings: Sequence[NewScreening], *, idempotency: IdempotencyWrite | None = None
    ) -> Future[list[Screening]]:
        """Queue screenings (with ``id`` set) for storing; the future gives them as stored.

        Their screening.created audit events are appended in the same transaction.

        The future raises what ``Repository.add_screenings``/``add_idempotency`` raise
        (``IdempotencyKeyTaken``, ``StoreError``), or ``StoreUnavailable`` when the writer is
        not running.
        """
        try:
            records = [s.record() for s in screenings]
        except ValueError as exc:
            failed = _running_future()
            failed.set_exception(exc)
            return failed
        future, number = self._open(list(screenings))
        if number is not None:
            self._send(("job", number, records, idempotency))
        return future

    def stream(self) -> Stream:
        """A job sent in parts (``Stream.add``), stored in one transaction (``Stream.end``)."""
        screenings: list[NewScreening] = []
        future, number = self._open(screenings)
        return Stream(self, future, number, screenings)

    def _open(self, screenings: list[NewScreening]
              ) -> tuple[Future[list[Screening]], int | None]:
        """A job's future and number; no number (and the future failed) when the writer is
        down."""
        future = _running_future()
        with self._lock:
            if self._jobs is None:
                future.set_exception(StoreUnavailable("the store writer is not running"))
                return future, None
            number = next(self._numbers)
            self._pending[number] = (future, screenings)
            return future, number

    def _send(self, message: _Message) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._sending:
            try:
                if self._jobs is None:
                    raise OSError("the store writer is not running")
                self._jobs.send_bytes(data)
                return
            except OSError as exc:
                error = StoreUnavailable(f"the store writer is gone: {exc}")
        with self._lock:
            entry = self._pending.pop(message[1], None)
        if entry is not None and not entry[0].done():
            entry[0].set_exception(error)

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


class Stream:
    """One job sent in parts. ``end`` (or ``abort``, when the caller fails half way) must
    follow: the writer holds the job's transaction open until then."""

    def __init__(self, writer: GroupCommitWriter, future: Future[list[Screening]],
                 number: int | None, screenings: list[NewScreening]) -> None:
        self._writer, self.future, self._number = writer, future, number
        self._screenings = screenings

    def add(self, screenings: Sequence[NewScreening]) -> None:
        """Send more screenings (with ``id`` set) of the job."""
        self._part("part", screenings, None)

    def end(self, screenings: Sequence[NewScreening] = (), *,
            idempotency: IdempotencyWrite | None = None) -> Future[list[Screening]]:
        """Send the last screenings and the idempotency record; the future gives every
        screening of the job as stored, in the order sent."""
        self._part("end", screenings, idempotency)
        self._number = None
        return self.future

    def abort(self) -> None:
        """Drop the job: nothing of it is stored."""
        if self._number is not None:
            self._writer._send(("abort", self._number, [], None))
            self._number = None

    def _part(self, kind: str, screenings: Sequence[NewScreening],
              idempotency: IdempotencyWrite | None) -> None:
        if self._number is None:
            return  # the writer was down (the future says so) or the job is over
        records = [s.record() for s in screenings]
        self._screenings.extend(screenings)
        self._writer._send((kind, self._number, records, idempotency))


def _running_future() -> Future[list[Screening]]:
    """A job's future, running from the start so that it cannot be cancelled:
    ``asyncio.wrap_future`` cancels it when the awaiting request is cancelled, and resolving
    a cancelled future would raise."""
    future: Future[list[Screening]] = Future()
    future.set_running_or_notify_cancel()
    return future


def _widen(pipe: Connection) -> None:
    """Let a pipe hold a whole part of a streamed batch (Linux), so that sending one seldom
    waits for the writer to read."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_BYTES)


def _error(kind: str, message: str, key: str | None) -> Exception:
    """The exception a job failed with, rebuilt on this side of the pipe."""
    if kind == "IdempotencyKeyTaken" and key is not None:
        return IdempotencyKeyTaken(key)
    known: dict[str, type[Exception]] = {"StoreUnavailable": StoreUnavailable,
                                         "AuditError": AuditError, "ValueError": ValueError}
    return known.get(kind, StoreError)(message)


# ------------------------------------------------------------------ the writer process


class _Inbox:
    """The messages from the server, with those read ahead and put back kept in order, and
    how many bytes have come in (``received``)."""

    def __init__(self, jobs: Connection) -> None:
        self.jobs = jobs
        self.ahead: deque[_Message | None] = deque()
        self.received = 0

    def ready(self) -> bool:
        """Whether a message can be had without waiting."""
        return bool(self.ahead) or self.jobs.poll()

    def get(self) -> _Message | None:
        """The next message (None: stop). Raises ``EOFError`` when the server is gone."""
        if self.ahead:
            return self.ahead.popleft()
        data = self.jobs.recv_bytes()
        self.received += len(data)
        message: _Message | None = pickle.loads(data)
        return message


class _Checkpoints:
    """A thread that checkpoints SQLite's WAL whenever about as much as SQLite's own default
    interval (1,000 pages of 4 KiB) has been sent to be stored since the last checkpoint.

    A passive checkpoint runs beside the writer's transactions (in WAL mode neither waits for
    the other), so no request waits for one. Nothing to do on PostgreSQL.
    """

    EVERY = 4 << 20  # bytes

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._due = threading.Event()
        self._stopping = False
        self._since = 0
        self._thread: threading.Thread | None = None
        if store.backend == "sqlite":
            self._thread = threading.Thread(target=self._run, name="assay-checkpoints",
                                            daemon=True)
            self._thread.start()

    def received(self, total: int) -> None:
        """The bytes received so far (``_Inbox.received``): start a checkpoint when due."""
        if self._thread is not None and total - self._since >= self.EVERY:
            self._since = total
            self._due.set()

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._stopping = True
            self._due.set()
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._stopping:
                return
            try:
                self._store.checkpoint()
            except Exception as exc:  # the next one retries; the data is in the WAL either way
                log.warning("WAL checkpoint failed: %s", exc)


def main(argv: list[str]) -> None:
    """The writer process (`python -m service.store JOBS_FD RESULTS_FD MAX_GROUP`), which
    the server starts itself."""
    if len(argv) != 4 or not all(a.isdigit() for a in argv[1:]):
        sys.exit("usage: python -m service.store JOBS_FD RESULTS_FD MAX_GROUP "
                 "(the API server starts it; it is not run by hand)")
    jobs = Connection(int(argv[1]), writable=False)
    results = Connection(int(argv[2]), readable=False)
    try:
        url = pickle.loads(jobs.recv_bytes())
    except EOFError:
        return
    _serve(url, jobs, results, int(argv[3]))


def _serve(url: str, jobs: Connection, results: Connection, max_group: int) -> None:
    """The writer process: commit waiting jobs together until told to stop (None) or until
    the server goes away (end of file)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops it, after draining
    try:
        store = SqlStore.from_url(url, checkpoints=False)
        store.ping()
    except Exception as exc:
        results.send_bytes(pickle.dumps(("error", str(exc))))
        return
    results.send_bytes(pickle.dumps(("ready", None)))
    inbox = _Inbox(jobs)
    checkpoints = _Checkpoints(store)
    try:
        while True:
            message = inbox.get()
            if message is None:
                return
            if message[0] in ("part", "end"):
                outcomes = _stream(store, inbox, message)
            elif message[0] == "abort":  # a stream abandoned before its first part
                outcomes = [(message[1], _ABANDONED)]
            else:
                group = [message]
                while len(group) < max_group and inbox.ready():
                    more = inbox.get()
                    if more is None or more[0] != "job":
                        inbox.ahead.appendleft(more)
                        break
                    group.append(more)
                outcomes = _commit(store, group)
            results.send_bytes(pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL))
            checkpoints.received(inbox.received)
    except (EOFError, OSError):
        return
    finally:
        checkpoints.stop()
        store.dispose()


def _stream(store: SqlStore, inbox: _Inbox, first: _Message) -> list[_Outcome]:
    """Store a streamed job in one transaction, its parts as they come. Messages of other
    jobs that arrive meanwhile wait their turn, in order."""
    number = first[1]
    now = dt.datetime.now(dt.UTC)
    others: list[_Message] = []
    message: _Message = first
    failure: Exception | None = None
    try:
        with store.transaction(write=True, first_statement_writes=True) as repo:
            while True:
                if failure is None and message[0] != "abort":
                    try:
                        repo.add_records(message[2], now=now)
                        _add_idempotency(repo, message[3], now)
                    except Exception as exc:  # read the rest of the job, then fail it
                        failure = exc
                if message[0] in ("end", "abort"):
                    break
                message = _next_of(inbox, number, others)
            if failure is not None or message[0] == "abort":
                raise _Dropped
    except _Dropped:
        pass
    except Exception as exc:  # the commit itself failed
        failure = exc
    finally:
        inbox.ahead.extendleft(reversed(others))
    if message[0] == "abort":
        return [(number, _ABANDONED)]
    if failure is not None:
        return _failed([number], failure)
    return [(number, ("ok", now, None))]


_ABANDONED = ("StoreError", "the job was abandoned by its sender", None)


class _Dropped(Exception):
    """Roll the streamed job back (it failed, or its sender abandoned it)."""


def _next_of(inbox: _Inbox, number: int, others: list[_Message]) -> _Message:
    """The next message of job `number`; the others read meanwhile go to `others`."""
    while True:
        message = inbox.get()
        if message is None:  # stopped half way: the job is rolled back
            raise StoreUnavailable("the server stopped in the middle of a streamed job")
        if message[1] == number:
            return message
        others.append(message)


def _commit(store: SqlStore, group: list[_Message]) -> list[_Outcome]:
    now = dt.datetime.now(dt.UTC)
    try:
        with store.transaction(write=True, first_statement_writes=True) as repo:
            repo.add_records([r for _, _, records, _ in group for r in records], now=now)
            for _, _, _, write in group:
                _add_idempotency(repo, write, now)
    except Exception as exc:  # every job gets an answer, and the writer goes on
        if len(group) > 1 and isinstance(exc, _JOB_ERRORS):
            # find the one that failed; the others commit alone
            return [outcome for job in group for outcome in _commit(store, [job])]
        return _failed([number for _, number, _, _ in group], exc)
    return [(number, ("ok", now, None)) for _, number, _, _ in group]


# What a job's own data can make fail; anything else is a fault of the writer.
_JOB_ERRORS = (StoreError, AuditError, ValueError)


def _add_idempotency(repo: SqlRepository, write: IdempotencyWrite | None,
                     now: dt.datetime) -> None:
    if write is not None:
        repo.add_idempotency(key=write.key, fingerprint=write.fingerprint,
                             status_code=write.status_code, result=write.result, now=now,
                             org=write.org)


def _failed(numbers: list[int], exc: Exception) -> list[_Outcome]:
    """The outcome of jobs that failed with `exc`, as it travels back."""
    if not isinstance(exc, _JOB_ERRORS):
        log.error("store writer failed", exc_info=exc)
    key = exc.key if isinstance(exc, IdempotencyKeyTaken) else None
    return [(number, (type(exc).__name__, str(exc), key)) for number in numbers]
