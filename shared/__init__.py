"""Code shared by the LeadFlow server and desktop app: wire models and vocabularies."""
