"""The sync protocol (CONTRACT §7): pull pages, pushed mutations and the change event stream."""
