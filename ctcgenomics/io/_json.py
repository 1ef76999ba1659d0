"""One JSON cleaner for every JSON document the package writes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def json_ready(value: object) -> object:
    """Return ``value`` as JSON-ready Python.

    Dicts and lists are converted recursively (keys become ``str``, tuples lists), numpy
    scalars are unwrapped, and NaN, infinities, ``pd.NA`` and ``pd.NaT`` become ``None``
    (``null``; JSON has no NaN).
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
