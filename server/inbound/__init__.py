"""Inbound mail (CONTRACT §10): customers' replies reach the lead's thread by IMAP or webhook."""
