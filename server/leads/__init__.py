"""The owner's work on leads: lists, detail, status, replies, notes, follow-ups, timeline."""
