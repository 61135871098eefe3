"""Schemathesis against the OpenAPI schema of a real server on loopback: every operation of the
owner, admin, auth and public routes gets its examples, the boundary values of every parameter
(coverage: the largest integers, empty and overlong strings, wrong types) and generated input,
sent with a valid token of a user who is both a super-admin and a business owner. No answer
may be a 500, and every error must be the contract's envelope.

Bounded for CI (``MAX_EXAMPLES`` per operation, ``MAX_TIME_S`` in all, a fixed seed): it keeps
the routes closed against what the tests by hand did not think of."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.live_server import OWNER_PASSWORD, live_server, onboard

MAX_EXAMPLES = 8
MAX_TIME_S = 90
ROOT = Path(__file__).resolve().parents[3]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# A stream that never ends by design (tested in tests/server/sync/test_events.py).
ENDLESS = "/api/v1/owner/events"


@pytest.mark.timeout(MAX_TIME_S + 150)
def test_no_operation_answers_500_or_leaves_the_error_envelope(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        assert server.smtp is not None
        tenant = onboard(server, server.smtp)
        server.create_admin(tenant.owner_email, OWNER_PASSWORD)  # one token for every route
        headers = tenant.headers()
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{server.url}/openapi.json",
                "--phases=examples,coverage,fuzzing",
                "--checks=not_a_server_error,error_envelope",
                f"--max-examples={MAX_EXAMPLES}",
                f"--max-time={MAX_TIME_S}",
                "--seed=15",
                "--generation-deterministic",
                "--workers=1",
                "--request-timeout=30",
                "--suppress-health-check=all",
                f"--exclude-path={ENDLESS}",
                "--continue-on-failure",
                *(f"--header={name}: {value}" for name, value in headers.items()),
            ],
            cwd=ROOT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.server.foundation.schemathesis_hooks"},
            capture_output=True,
            text=True,
            timeout=MAX_TIME_S + 120,
        )
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    # The summary's count line ("7023 generated, 7023 passed"); warnings may say "failed" too.
    cases = re.search(r"Test cases:\s*\n\s*(.+)", run.stdout)
    assert cases and " generated, " in cases.group(1), report
    assert "failed" not in cases.group(1) and "errored" not in cases.group(1), report
