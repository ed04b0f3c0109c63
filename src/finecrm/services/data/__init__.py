"""Data: ingest, build, the published snapshot's status and summary."""
