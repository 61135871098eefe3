"""The console script as an operator uses it: migrate, create-admin, serve on a real port, and the
onboarding path over HTTP with the invite arriving at a real SMTP server."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server.support import SmtpSink, body_text, free_port

SCRIPT = Path(sys.executable).parent / "leadflow-server"


def _env(db_url: str, data_dir: Path, smtp: SmtpSink | None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LEADFLOW_") or k.startswith("LEADFLOW_ARGON2_")
    }
    env.update(LEADFLOW_DATA_DIR=str(data_dir), LEADFLOW_DATABASE_URL=db_url, **extra)
    if smtp is not None:
        env.update(
            LEADFLOW_EMAIL_PROVIDER="smtp",
            LEADFLOW_SMTP_HOST="127.0.0.1",
            LEADFLOW_SMTP_PORT=str(smtp.port),
        )
    return env


def test_production_refuses_generated_secret_local_ai_and_outbox_in_one_line(tmp_path):
    env = _env(
        f"sqlite+aiosqlite:///{tmp_path}/x.db", tmp_path / "data", None, LEADFLOW_ENV="production"
    )
    result = subprocess.run(
        [str(SCRIPT), "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "LEADFLOW_SECRET_KEY" in line and "LEADFLOW_AI_PROVIDER" in line
    assert "LEADFLOW_EMAIL_PROVIDER" in line
    allowed = subprocess.run(
        [str(SCRIPT), "serve", "--port", str(free_port())],
        env={
            **env,
            "LEADFLOW_SECRET_KEY": fresh_key(),
            "LEADFLOW_PUBLIC_URL": "https://leads.example.com",
            "LEADFLOW_ALLOW_LOCAL_AI": "true",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert allowed.returncode == 2
    assert "LEADFLOW_EMAIL_PROVIDER" in allowed.stderr and "AI_PROVIDER" not in allowed.stderr


def fresh_key() -> str:
    printed = subprocess.run(
        [str(SCRIPT), "secret"], capture_output=True, text=True, timeout=60, check=True
    )
    return printed.stdout.strip()


@pytest.mark.parametrize(
    ("secret", "public_url", "refused"),
    [
        ("CHANGE-ME", "https://leads.example.com", "LEADFLOW_SECRET_KEY"),
        ("s" * 64, "https://leads.example.com", "LEADFLOW_SECRET_KEY"),
        ("Xy7-change-me-" + "k3Q9" * 16, "https://leads.example.com", "LEADFLOW_SECRET_KEY"),
        (None, "http://leads.example.com", "https://"),
        (None, "https://127.0.0.1:8000", "names this machine"),
        (None, "https://localhost", "names this machine"),
    ],
)
def test_production_refuses_a_weak_secret_and_a_local_or_plain_http_public_url(
    tmp_path, secret, public_url, refused
):
    from server.config import load_settings, production_problems

    settings = load_settings(
        env="production",
        data_dir=tmp_path,
        secret_key=secret or fresh_key(),
        public_url=public_url,
        ai_provider="openai",
        email_provider="smtp",
    )
    [problem] = production_problems(settings)
    assert refused in problem


def test_secret_prints_a_fresh_key_that_production_accepts(tmp_path):
    from server.config import load_settings, production_problems

    first, second = fresh_key(), fresh_key()
    assert first != second and len(first) >= 43
    settings = load_settings(
        env="production",
        data_dir=tmp_path,
        secret_key=first,
        public_url="https://leads.example.com",
        ai_provider="openai",
        email_provider="smtp",
    )
    assert production_problems(settings) == []


def test_generated_secret_is_written_once_with_owner_only_permissions(tmp_path):
    from server.config import load_settings

    first = load_settings(data_dir=tmp_path)
    second = load_settings(data_dir=tmp_path)
    key_file = tmp_path / "secret_key"
    assert first.secret_source == "generated"
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_operator_onboarding_over_a_real_server(db_url, tmp_path, smtp):
    """migrate → create-admin → admin logs in → creates a business → the owner opens the invite
    link and sets a password → the owner logs in and /me shows the membership."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(db_url, tmp_path / "data", smtp, LEADFLOW_PUBLIC_URL=base)
    subprocess.run([str(SCRIPT), "migrate"], env=env, check=True, timeout=120)
    created = subprocess.run(
        [str(SCRIPT), "create-admin", "--email", "root@example.test", "--name", "Root"],
        input="root-password-1\n",
        text=True,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    assert "created super-admin root@example.test" in created.stdout
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [str(SCRIPT), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        http = httpx.Client(base_url=base, timeout=10)
        deadline = time.monotonic() + 30
        while True:
            try:
                if http.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail((tmp_path / "server.log").read_text())
            time.sleep(0.2)
        admin = http.post(
            "/api/v1/auth/login", json={"email": "root@example.test", "password": "root-password-1"}
        )
        admin_h = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        business = http.post(
            "/api/v1/admin/businesses",
            headers=admin_h,
            json={
                "name": "Harbour Dental",
                "contact_email": "desk@harbour.example",
                "owner": {"email": "olive@harbour.example", "full_name": "Olive"},
            },
        ).json()
        invite = smtp.wait_for("olive@harbour.example", timeout=15)[0]
        link = re.search(re.escape(base) + r"/invite/[\w\-]+", body_text(invite)).group(0)
        page = http.get(link)
        assert page.status_code == 200 and "Harbour Dental" in page.text
        done = http.post(
            link,
            data={
                "full_name": "Olive",
                "password": "olive-password-1",
                "password_confirm": "olive-password-1",
            },
        )
        assert done.status_code == 200
        owner = http.post(
            "/api/v1/auth/login",
            json={"email": "olive@harbour.example", "password": "olive-password-1"},
        )
        me = http.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {owner.json()['access_token']}"}
        )
        assert me.json()["memberships"] == [
            {"business_id": business["id"], "business_name": "Harbour Dental", "role": "owner"}
        ]
    finally:
        server.send_signal(signal.SIGINT)  # an operator's Ctrl+C
        status = server.wait(15)
        log.close()
    output = (tmp_path / "server.log").read_text()
    assert "Application shutdown complete" in output and "Traceback" not in output, output[-3000:]
    assert status in (0, 130)  # 130 when uvicorn re-raises the Ctrl+C it handled
