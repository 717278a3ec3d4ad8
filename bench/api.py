"""API throughput, measured in one run on 127.0.0.1 (bounded: a few thousand requests).

1. Persisted ``POST /v1/screenings`` (validate, evaluate, store, commit, answer) against a bare
   FastAPI endpoint that only validates the same Shipment body. Same uvicorn settings (one
   worker, no access log), same client (a minimal asyncio HTTP/1.1 keep-alive client with a
   fixed number of connections, so that the servers and not the client are measured).
   Target >= 0.5.
2. One ``POST /v1/screenings:batch`` of 1,000 shipments against 1,000 single POSTs of the
   same shipments. Target >= 10x.

Both comparisons run in alternating rounds (the order flipping each round), and each ratio is
the median of the ratios of its rounds: a slow spell of the machine then touches both sides
of a round alike instead of one whole measurement.

Every request carries an API key (``Authorization: Bearer``; the bare endpoint ignores it), made
through the store for an organisation of its own, as a deployment's clients would send one.

Usage: ``python bench/api.py [--requests N] [--rounds R] [--concurrency C]
[--database-url URL]``
(default: a fresh SQLite file in a temporary directory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402

from service.auth import create_key  # noqa: E402
from service.models import EXAMPLE_SHIPMENT, Shipment  # noqa: E402
from service.store import SqlStore, upgrade  # noqa: E402


def bare_app() -> FastAPI:
    """The baseline: validate the Shipment body and answer, nothing else."""
    app = FastAPI()

    @app.post("/validate", status_code=200)
    def validate(shipment: Shipment) -> dict[str, str]:
        return {"reference": shipment.reference}

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(target: str, env: dict[str, str], app_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--factory", "--app-dir", str(app_dir),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{target} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"{target} did not start")


class _Connection:
    """A minimal HTTP/1.1 keep-alive client connection: cheap enough that the server, not the
    client, is what gets measured (both servers see exactly the same client)."""

    key = ""  # the API key every request sends

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, base: str) -> _Connection:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, f"{host}:{port}")

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Authorization: Bearer {self.key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def _hammer(base: str, path: str, bodies: list[bytes], concurrency: int,
                  expect: int) -> float:
    """Send every body (``concurrency`` connections in flight); return the elapsed seconds."""
    connections = [await _Connection.open(base) for _ in range(concurrency)]
    pending = list(reversed(bodies))

    async def worker(connection: _Connection) -> None:
        while pending:
            status, answer = await connection.post(path, pending.pop())
            if status != expect:
                raise SystemExit(f"{path}: {status} {answer[:300]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        await connection.close()
    return elapsed


async def _one(base: str, path: str, body: bytes) -> float:
    connection = await _Connection.open(base)
    started = time.perf_counter()
    status, answer = await connection.post(path, body)
    elapsed = time.perf_counter() - started
    await connection.close()
    if status != 200:
        raise SystemExit(f"{path}: {status} {answer[:300]!r}")
    statuses = {r["status"] for r in json.loads(answer)["results"]}
    if statuses != {201}:
        raise SystemExit(f"batch results: {statuses}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="assay-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(database_url)
    store = SqlStore.from_url(database_url)
    _Connection.key = create_key(store, org="bench", role="submitter", name="bench").key
    store.dispose()
    env = {**os.environ, "DATABASE_URL": database_url,
           "ASSAY_RULES_DIR": str(ROOT / "rules"), "ASSAY_SEEDS_DIR": str(ROOT / "seeds")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    shipments = [{**EXAMPLE_SHIPMENT, "reference": f"BENCH-{i}"} for i in range(args.requests)]
    bodies = [json.dumps(s).encode() for s in shipments]
    warmup = bodies[:100]
    servers: list[subprocess.Popen[bytes]] = []
    try:
        bare, bare_base = _start("api:bare_app", env, ROOT / "bench")
        servers.append(bare)
        real, real_base = _start("service.api.app:app_from_env", env, ROOT)
        servers.append(real)

        async def run() -> dict[str, list[float]]:
            await _hammer(bare_base, "/validate", warmup, args.concurrency, 200)
            await _hammer(real_base, "/v1/screenings", warmup, args.concurrency, 201)
            out: dict[str, list[float]] = {key: [] for key in (
                "bare", "persisted", "singles", "sequential", "batch")}
            batch = bodies[: args.batch]
            batch_body = json.dumps({"shipments": shipments[: args.batch]}).encode()
            for round_ in range(args.rounds):
                sides = [("bare", bare_base, "/validate", 200),
                         ("persisted", real_base, "/v1/screenings", 201)]
                for key, base, path, status in sides[:: 1 if round_ % 2 == 0 else -1]:
                    out[key].append(await _hammer(base, path, bodies, args.concurrency, status))
                out["batch"].append(await _one(real_base, "/v1/screenings:batch", batch_body))
                out["singles"].append(await _hammer(real_base, "/v1/screenings", batch,
                                                    args.concurrency, 201))
                out["sequential"].append(await _hammer(real_base, "/v1/screenings", batch, 1,
                                                       201))
            return out

        timings = asyncio.run(run())
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)

    def median_ratio(top: str, bottom: str) -> float:
        return statistics.median(t / b for t, b in zip(timings[top], timings[bottom],
                                                       strict=True))

    n, rounds = args.requests, args.rounds
    bare_rps = n / statistics.median(timings["bare"])
    persisted_rps = n / statistics.median(timings["persisted"])
    ratio = median_ratio("bare", "persisted")  # time of bare / time of persisted
    backend = database_url.split(":", 1)[0]
    print(f"API throughput ({backend}, 1 uvicorn worker, {args.concurrency} connections, "
          f"{rounds} rounds of {n} requests a side)")
    print(f"  bare validate-only endpoint  : {bare_rps:8.0f} req/s (median)")
    print(f"  persisted POST /v1/screenings: {persisted_rps:8.0f} req/s (median)")
    print(f"  ratio persisted/bare         : {ratio:8.2f}   (target >= 0.5) "
          f"{'OK' if ratio >= 0.5 else 'BELOW TARGET'}")
    speedup = median_ratio("singles", "batch")
    sequential = median_ratio("sequential", "batch")
    size = args.batch
    print(f"Batch of {size} vs {size} single POSTs ({rounds} rounds, medians)")
    print(f"  {size} single POSTs, {args.concurrency} connections : "
          f"{statistics.median(timings['singles']):6.2f} s")
    print(f"  {size} single POSTs, one at a time : "
          f"{statistics.median(timings['sequential']):6.2f} s")
    print(f"  one batch POST                     : {statistics.median(timings['batch']):6.2f} s")
    print(f"  speedup vs {args.concurrency} connections        : {speedup:6.1f}x  "
          f"(target >= 10x) {'OK' if speedup >= 10 else 'BELOW TARGET'}")
    print(f"  speedup vs one at a time           : {sequential:6.1f}x")


if __name__ == "__main__":
    main()
