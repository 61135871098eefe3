"""The durable job queue, its worker and the periodic ticks."""
