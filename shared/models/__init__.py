"""Pydantic v2 wire models and enums (CONTRACT.md); imports only pydantic and the standard library."""
