"""Small widgets every page shares: empty states, confirmations, chips."""
