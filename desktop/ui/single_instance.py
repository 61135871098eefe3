"""One LeadFlow per user and data folder: a second start hands its ``leadflow://`` link to the
running app (which opens the lead) and ends, as a mail client does when a link is clicked."""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop.accounts import data_dir

CONNECT_MS = 500


class SingleInstance(QObject):
    received = Signal(str)  # a lead id, or "" to come to the front

    def __init__(self) -> None:
        super().__init__()
        # The name, not a path: a socket path under a deep data folder can pass the OS's limit.
        folder = str(data_dir().resolve()).encode()
        self.name = "leadflow-" + hashlib.sha256(folder).hexdigest()[:16]
        self.server: QLocalServer | None = None

    def claim(self) -> bool:
        """True when this process is the only LeadFlow for the folder (it then listens)."""
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_MS):
            probe.disconnectFromServer()
            return False
        QLocalServer.removeServer(self.name)  # a socket left by a crashed run
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        return self.server.listen(self.name)

    def forward(self, lead_id: str) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return False
        socket.write((lead_id + "\n").encode())
        socket.waitForBytesWritten(CONNECT_MS)
        socket.disconnectFromServer()
        return True

    def release(self) -> None:
        if self.server is not None:
            self.server.close()

    def _accept(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            self.received.emit(bytes(socket.readLine().data()).decode(errors="replace").strip())
