"""The semantic hold check's cost: load time, memory, milliseconds per lead.

    python -m bench semantic [--repeat N]

Loads the model as the server does (first ``semantic_hold()`` call: the weights' sha256, the
engine, the head), then scores the 80 development leads' text one lead at a time, as the
worker does, ``--repeat`` times. Memory is the process's resident set before and after the load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from scripts.train_caution import _lead, dev_leads
from server.ai.semantic import semantic_hold


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    leads = [_lead(text) for text in dev_leads()[0]]
    before = _rss_mib()
    started = time.perf_counter()
    hold = semantic_hold()
    load_s = time.perf_counter() - started
    after = _rss_mib()
    timings, cpu = [], []
    for _ in range(args.repeat):
        for lead in leads:
            started, started_cpu = time.perf_counter(), time.thread_time()
            hold.score(lead)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
    timings.sort()
    print(f"load (sha256 of the weights, engine, head): {load_s * 1000:.0f} ms")
    print(
        f"resident memory: {before:.0f} MiB before the load, {after:.0f} MiB after it, "
        f"{_rss_mib():.0f} MiB after scoring (the weights are mapped, read in as used)"
    )
    print(
        f"per lead ({len(timings)} scored, one thread): median {statistics.median(timings):.1f} "
        f"ms, p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms, max {timings[-1]:.1f} ms; "
        f"CPU median {statistics.median(cpu):.1f} ms"
    )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[0]}")


if __name__ == "__main__":
    main()
