"""What the test directories share: the real server on a loopback port (``live_server``), the
in-memory keyring (``keyring``) and the check that a test leaves no thread running
(``threads``). A conftest imports the fixtures it wants from here."""
