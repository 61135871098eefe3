"""The owner's business settings, form, team and metrics (CONTRACT §6)."""
