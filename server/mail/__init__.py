"""Email: composing MIME messages and delivering them through one provider per service."""
