"""Marts of the customers area: the 360 view, tiers, value, segments, lifecycle, summaries, deposit watch."""
