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
