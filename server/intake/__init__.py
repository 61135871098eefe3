"""Lead intake: the public form (HTML and JSON), spam defences, idempotent storage."""
