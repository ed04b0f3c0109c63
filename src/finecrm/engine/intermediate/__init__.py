"""Intermediate models, named by what they do. Joins and aggregates live here."""
