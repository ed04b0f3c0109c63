"""Data: the status of the published snapshot (``status``)."""
