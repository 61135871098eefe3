"""Pydantic v2 wire models and enums (CONTRACT.md); only pydantic and the standard library."""
