"""Model files: scikit-learn pipelines saved with skops, never with pickle.

A pickle file runs whatever code it names when it is loaded; a model file that someone swapped on a
shared drive must not be able to do that. skops stores objects as data and, on loading, lists every
type outside its own safe set (``skops.io.get_untrusted_types``). We load a file only when each of
those types is on :data:`ALLOWED` — the few types our pipelines are made of — and refuse anything
else, naming the types.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import skops.io as sio

from finecrm.core.errors import FinecrmError

#: Types a finecrm propensity pipeline may contain beyond what skops trusts by default.
ALLOWED = frozenset({
    "finecrm.ml.propensity.transforms.Log1p",
    "finecrm.ml.propensity.transforms.QuantileClip",
    "finecrm.ml.propensity.transforms.SignedLog1p",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
})


class ModelFileError(FinecrmError):
    """A model file is missing, unreadable or contains types we do not load."""


def save_pipeline(pipeline: Any, path: Path) -> None:
    """Write ``pipeline`` to ``path`` (skops format) through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".skops", dir=path.parent)
    os.close(fd)
    try:
        sio.dump(pipeline, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def untrusted_types(path: Path) -> list[str]:
    """Types in the file that skops does not trust by default."""
    try:
        return sorted(sio.get_untrusted_types(file=path))
    except Exception as exc:  # a truncated or foreign file: skops raises zip/JSON errors
        raise ModelFileError(f"{path}: not a readable skops model file ({type(exc).__name__}: {exc})") from None


def load_pipeline(path: Path) -> Any:
    """Load a pipeline saved by :func:`save_pipeline`, refusing any type outside :data:`ALLOWED`."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    found = untrusted_types(path)
    refused = [t for t in found if t not in ALLOWED]
    if refused:
        raise ModelFileError(
            f"{path}: 模型文件含有不受信任的类型，拒绝加载 / the model file contains types finecrm does not load: "
            f"{', '.join(refused)}. Retrain the model with 'finecrm model train' instead of copying files in.")
    try:
        return sio.load(path, trusted=found)
    except Exception as exc:
        raise ModelFileError(f"{path}: the model file cannot be loaded ({type(exc).__name__}: {exc})") from None
