"""Staging of a table that needs nothing at all (the organisation: branches, grids, staff)."""

from __future__ import annotations

from finecrm.engine.model import Model


def passthrough(name: str) -> Model:
    """``stg_<name>``: the source table ``name`` as delivered."""
    return Model(f"stg_{name}", "staging", (name,), lambda src, ctx: src[name], f"{name} as delivered.")
