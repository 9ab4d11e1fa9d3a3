"""Serve the sandbox app with the options of ``calendar-sched sandbox serve`` (a stand-in used by
bench/harness.py only while that command is not registered; same app, same configuration)."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from calendar_sched.sandbox.app import create_app
from calendar_sched.sandbox.config import Faults, SandboxConfig


def main() -> None:
    """Parse the subset of options the benchmark uses and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--window", type=float, default=3600.0)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--fault-latency-ms", type=int, default=0)
    args = parser.parse_args()
    config = SandboxConfig(
        api_key=args.api_key,
        db_path=args.db,
        limit=args.limit,
        window=args.window,
        faults=Faults(latency_ms=args.fault_latency_ms),
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
