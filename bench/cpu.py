"""CPU time of processes on this machine (Linux ``/proc``), for the benches' per-request figures."""

from __future__ import annotations

import os


def process_cpu_s(pid: int, *, named: str | None = None) -> float:
    """User + system CPU seconds of a process so far (NaN if it is gone or this is not Linux);
    with ``named``, 0 unless the process's command is that name."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            head, _, tail = stat.read().rpartition(")")
    except OSError:
        return float("nan")
    if named is not None and head.partition("(")[2] != named:
        return 0.0
    fields = tail.split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float:
    """CPU seconds of every ``postgres`` process of this machine so far (its backends, the WAL
    writer, the checkpointer…): the database's share of a request when PostgreSQL is local.
    Backends that exit in between are missed, but the servers' pools keep theirs open."""
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()] if os.path.isdir("/proc") else []
    cpu = [process_cpu_s(pid, named="postgres") for pid in pids]
    return sum(c for c in cpu if c == c) if pids else float("nan")
