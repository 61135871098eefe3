"""The LeadFlow desktop client: API client, offline store, sync engine, secrets, notifier.

Only ``desktop/ui`` imports Qt widgets; nothing here imports ``server``.
"""
