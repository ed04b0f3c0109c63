"""Staging: one model per source table. Rename, cast, categorise; no joins, no aggregates."""
