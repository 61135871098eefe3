"""Sign-in, tokens, invites and password resets (CONTRACT §4)."""
