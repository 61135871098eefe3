"""The lead pipeline: analyse, gate, mail, follow-up."""
