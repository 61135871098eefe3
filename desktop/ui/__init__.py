"""Qt widgets of the desktop app. Views only: every I/O goes through ``desktop`` service objects."""
