"""Start a sandbox process for the apply benchmark and read its counters."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request


class Sandbox:
    def __init__(self, proc: subprocess.Popen, url: str):
        self.proc = proc
        self.url = url

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/_sandbox/stats", timeout=30) as r:
            return json.load(r)

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/_sandbox/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def start_sandbox(world: str, latency_ms: float, *options: str) -> Sandbox:
    proc = subprocess.Popen(
        [sys.executable, "-m", "eeo_reconcile", "sandbox", "--world", world, "--port", "0",
         "--latency-ms", str(latency_ms), "--quiet", *options],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    first = proc.stderr.readline()  # type: ignore[union-attr]
    if "listening on " not in first:
        raise RuntimeError(first + proc.stderr.read())  # type: ignore[union-attr]
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]
    return Sandbox(proc, first.split("listening on ")[1].split()[0])
