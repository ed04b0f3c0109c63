"""Every engine model is found by its name: one model per file, the file named after the model."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import finecrm.engine
from finecrm.engine.model import Model
from finecrm.engine.registry import MODELS

ENGINE = Path(finecrm.engine.__file__).parent


def engine_modules() -> list[ModuleType]:
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(finecrm.engine.__path__, prefix="finecrm.engine.")]


def models_defined_in(module: ModuleType) -> list[Model]:
    """The models a module holds at its top level (the registry holds them in a tuple, not as names)."""
    return [value for value in vars(module).values() if isinstance(value, Model)]


def test_every_model_lives_in_a_file_named_after_it():
    homes: dict[int, list[ModuleType]] = {}
    for module in engine_modules():
        for model in models_defined_in(module):
            homes.setdefault(id(model), []).append(module)
    wrong = []
    for model in MODELS:
        found = homes.get(id(model), [])
        if len(found) != 1:
            wrong.append(f"{model.name}: held by {[m.__name__ for m in found] or 'no module'}")
            continue
        path = Path(str(found[0].__file__))
        if path.stem != model.name or ENGINE not in path.parents:
            wrong.append(f"{model.name}: in {path.relative_to(ENGINE.parent)}, expected engine/**/{model.name}.py")
    assert not wrong, "models not found by their name:\n" + "\n".join(wrong)


def test_one_model_per_file_and_no_model_outside_the_registry():
    registered = {id(m) for m in MODELS}
    crowded, unregistered = [], []
    for module in engine_modules():
        held = models_defined_in(module)
        if len(held) > 1:
            crowded.append(f"{module.__name__}: {', '.join(m.name for m in held)}")
        unregistered += [f"{module.__name__}: {m.name}" for m in held if id(m) not in registered]
    assert not crowded, "more than one model in a file:\n" + "\n".join(crowded)
    assert not unregistered, "models missing from registry.MODELS:\n" + "\n".join(unregistered)


def test_marts_are_grouped_by_area_and_layers_stay_flat():
    for model in MODELS:
        module = next(m for m in engine_modules() if any(x is model for x in models_defined_in(m)))
        parts = module.__name__.split(".")[2:]  # after finecrm.engine
        if model.layer == "mart":
            assert len(parts) == 3 and parts[0] == "marts", f"{model.name}: expected marts/<area>/{model.name}.py"
        else:
            assert parts[:-1] == [model.layer], f"{model.name}: expected {model.layer}/{model.name}.py"
