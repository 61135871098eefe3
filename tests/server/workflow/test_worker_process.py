"""`leadflow-server worker` as its own process: it runs the queued workflow, then stops."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from server.config import Settings
from tests.server.factories import admin_headers, onboard, submit
from tests.server.support import SmtpSink, server_env

SERVER_SCRIPT = Path(sys.executable).with_name("leadflow-server")


async def test_the_worker_process_answers_a_lead_and_stops_on_sigterm(
    settings: Settings, ctx, client, smtp: SmtpSink, worker
):
    tenant = await onboard(ctx, client, smtp, worker, await admin_headers(ctx, client))
    email = "walk-in@example.net"
    response = await submit(client, tenant.slug, customer_email=email)
    assert response.status_code == 202
    assert smtp.to(email) == []  # nothing runs the job in this process

    env = server_env(
        settings,
        LEADFLOW_EMAIL_PROVIDER="smtp",
        LEADFLOW_SMTP_HOST="127.0.0.1",
        LEADFLOW_SMTP_PORT=str(settings.smtp_port),
    )
    process = subprocess.Popen(
        [str(SERVER_SCRIPT), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        mails = await asyncio.to_thread(smtp.wait_for, email, 1, 30.0)
        assert len(mails) == 1  # the acknowledgement (or AI reply) sent by the worker process
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        process.stderr.close()
    assert "Traceback" not in errors, errors[-2000:]
