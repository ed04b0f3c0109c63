"""Marts: named by entity, wide, with a stated grain and key checked at build."""
