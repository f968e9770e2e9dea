"""The view (one versioned dict) and one small renderer per output format."""
