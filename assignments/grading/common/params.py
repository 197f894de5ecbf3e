"""Parameters returned by a student's init function, as the course's checks take them: a dict of float64 copies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from grader.checks import as_float_array, fail

LAYOUT = (
    "W_l has shape (n_l, n_(l-1)): row i holds the incoming weights of unit i of layer l, so W_l has one row per "
    "unit of layer l and one column per unit of layer l-1 (Z_l = W_l A_(l-1) + b_l)"
)
"""What a transposed weight matrix is told."""


def as_params(value: Any, layer_dims: Sequence[int], function: str) -> dict[str, np.ndarray]:
    """``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}`` as float64 copies, after checking keys, shapes and dtypes."""
    if not isinstance(value, Mapping):
        fail(function, f"must return a dict {{'W1': ..., 'b1': ..., ...}}; got a {type(value).__name__}")
    L = len(layer_dims) - 1
    wanted = [f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")]
    keys = list(value.keys())
    if any(not isinstance(k, str) for k in keys):
        fail(function, f"the keys of the dict must be the strings {wanted}; got {keys!r}")
    keys = [str.__str__(k) for k in keys]
    if sorted(keys) != sorted(wanted):
        missing, extra = sorted(set(wanted) - set(keys)), sorted(set(keys) - set(wanted))
        hint = " Layers are numbered from 1 (W1 is the first weight matrix)." if "W0" in extra else ""
        fail(
            function,
            f"for layer_dims={list(layer_dims)} the dict must have exactly the keys {wanted}; "
            f"missing {missing}, unexpected {extra}.{hint}",
        )
    params: dict[str, np.ndarray] = {}
    for l in range(1, L + 1):
        n, n_prev = int(layer_dims[l]), int(layer_dims[l - 1])
        params[f"W{l}"] = as_float_array(value[f"W{l}"], f"W{l}", (n, n_prev), function, layout=LAYOUT)
        params[f"b{l}"] = as_float_array(value[f"b{l}"], f"b{l}", (n, 1), function, column=True)
    return params
