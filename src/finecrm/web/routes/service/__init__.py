"""Service quality: complaints and requests handled to a deadline (``complaints``)."""
