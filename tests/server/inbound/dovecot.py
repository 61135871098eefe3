"""A real Dovecot IMAP server for the tests: Debian's ``dovecot-imapd`` started in the
foreground with a configuration written into a temporary directory, on a loopback port, with
one plain-text login. Mail is delivered into it with IMAP APPEND."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imap_tools import MailBoxUnencrypted

from tests.server.support import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "inbox@leadflow.test"
PASSWORD = "dovecot-test-password"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%n
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="leadflow-dovecot-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if os.geteuid() == 0:
            # Dovecot refuses to hand mail to root: the mailbox belongs to Debian's ``mail``.
            account = pwd.getpwnam("mail")
            users = ""
        else:
            account = pwd.getpwuid(os.getuid())
            users = (
                f"default_login_user = {account.pw_name}\ndefault_internal_user = {account.pw_name}"
            )
        self.root.chmod(0o755)
        for name in ("run", "state", "home"):
            (self.root / name).mkdir()
        if os.geteuid() == 0:
            os.chown(self.root / "home", account.pw_uid, account.pw_gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                uid=account.pw_uid,
                gid=account.pw_gid,
                users=users,
            )
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.1)
                continue
            # One login, so that Dovecot's auth process is up before a test times anything.
            with MailBoxUnencrypted("127.0.0.1", self.port).login(USER, PASSWORD):
                return
        raise RuntimeError(f"Dovecot did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def deliver(self, *raws: bytes, folder: str = "INBOX") -> None:
        with MailBoxUnencrypted("127.0.0.1", self.port).login(USER, PASSWORD) as mailbox:
            for raw in raws:
                mailbox.append(raw, folder)

    def keywords(self, folder: str = "INBOX") -> list[tuple[str, ...]]:
        """The flags of every message in the folder, in UID order."""
        with MailBoxUnencrypted("127.0.0.1", self.port).login(
            USER, PASSWORD, initial_folder=folder
        ) as mailbox:
            return [m.flags for m in mailbox.fetch(mark_seen=False, headers_only=True)]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
