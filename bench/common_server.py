"""Run the SES simulator in its own process, so the benchmarked client has the GIL to itself."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import ROOT


@contextmanager
def simulator_process(*options: str) -> Iterator[dict[str, Any]]:
    """Start ``ses-smtp simulator`` on a free port; yield its client settings."""
    with tempfile.TemporaryDirectory() as tmp:
        cafile = str(Path(tmp, "ca.pem"))
        process = subprocess.Popen(
            [sys.executable, "-m", "ses_smtp_backends", "simulator", "--port", "0", "--cafile", cafile, *options],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            lines = []
            while not lines or lines[-1] != "Press Ctrl-C to stop.":
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError("the simulator did not start: " + "\n".join(lines))
                lines.append(line.rstrip("\n"))
            text = "\n".join(lines)
            yield {
                "host": "127.0.0.1",
                "port": int(re.search(r"^EMAIL_PORT = (\d+)$", text, re.MULTILINE).group(1)),  # type: ignore[union-attr]
                "username": "AKIAIOSFODNN7EXAMPLE",
                "password": "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9",
                "cafile": cafile,
                "region": "us-east-1",
            }
        finally:
            process.terminate()
            process.communicate(timeout=30)


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server on a free loopback port; yields its URL."""
    import shutil
    import socket
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def worker_env(client: dict[str, Any], redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's Celery worker: the simulator's SES settings."""
    import os

    return {
        **os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        "CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url,
        "SES_SMTP_REGION": client["region"], "SES_SMTP_HOST": client["host"],
        "SES_SMTP_PORT": str(client["port"]), "SES_SMTP_USERNAME": client["username"],
        "SES_SMTP_PASSWORD": client["password"], "SES_SMTP_CAFILE": client["cafile"], **extra,
    }  # fmt: skip


@contextmanager
def celery_workers(env: dict[str, str], count: int, pool: str, concurrency: int) -> Iterator[None]:
    """``count`` worker processes of ``bench/celery_app.py``; the caller's process is set up
    to enqueue through the same app."""
    import os
    import time

    command = [
        sys.executable, "-m", "celery", "-A", "celery_app", "worker", f"--pool={pool}",
        f"--concurrency={concurrency}", "--loglevel=ERROR", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    workers = [
        subprocess.Popen(
            [*command, "-n", f"w{i}@%h"],
            env=env,
            cwd=ROOT / "bench",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    os.environ.update({name: env[name] for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")})
    try:
        time.sleep(3)  # let the workers connect
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
