"""The LeadFlow cloud server."""
