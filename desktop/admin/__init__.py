"""The super-admin console's non-UI parts: API client, page cache, CSV export (CONTRACT §8)."""
