"""Marts: named by entity, wide, with a stated grain and key checked at build.

Grouped by area, one mart per file named after it: ``marts/<area>/<mart>.py``.
"""
