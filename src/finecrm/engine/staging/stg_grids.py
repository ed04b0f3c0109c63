"""stg_grids: the grids table as delivered."""

from __future__ import annotations

from finecrm.engine.staging._passthrough import passthrough

MODEL = passthrough("grids")
