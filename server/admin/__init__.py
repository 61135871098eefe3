"""The super-admin console's API (CONTRACT §8)."""
