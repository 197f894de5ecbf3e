"""LSUV, layer-sequential unit-variance init (Mishkin & Matas, 2015): orthogonal weights, then each layer's weights
rescaled on a batch of data until its pre-activations have variance 1. The data-free schemes are in
:mod:`reference.init`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from reference.activations import get_activation
from reference.init import check_rng, orthogonal
from reference.network import Params, num_layers


def lsuv(
    params: Params,
    X: np.ndarray,
    activations: Sequence[str],
    rng: np.random.Generator,
    *,
    tol: float = 0.1,
    max_iter: int = 10,
) -> Params:
    """Layer-sequential unit-variance init (Mishkin & Matas, 2015); returns a new dict, ``params`` untouched.

    Every W_l is first replaced by an orthogonal matrix of its shape (drawn from ``rng`` for l = 1..L, in
    order); then for l = 1..L, with layers 1..l−1 already final, Z_l = W_l A_{l−1} + b_l is computed on X
    (n_x, m) and W_l ← W_l / √Var(Z_l) (variance over all n_l·m entries) until |Var(Z_l) − 1| < ``tol`` or
    ``max_iter`` rescalings. Biases are kept as given (with zero biases one rescaling gives Var(Z_l) = 1
    exactly). A layer already within ``tol`` of 1 is left as drawn.
    """
    check_rng(rng)
    L = num_layers(params)
    if L == 0:
        raise ValueError("params holds no W1; expected keys W1, b1, ..., WL, bL")
    if len(activations) != L:
        raise ValueError(
            f"params has {L} layers but {len(activations)} activations were given: {list(activations)}"
        )
    gs = [get_activation(name) for name in activations]
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != params["W1"].shape[1]:
        raise ValueError(f"X must have shape (n_x, m) = ({params['W1'].shape[1]}, m); got {X.shape}")
    if not tol > 0 or max_iter < 1:
        raise ValueError(f"need tol > 0 and max_iter >= 1; got tol={tol!r}, max_iter={max_iter!r}")

    new: Params = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    for layer in range(1, L + 1):
        new[f"W{layer}"] = orthogonal(new[f"W{layer}"].shape, rng)
    A = X
    for layer in range(1, L + 1):
        W, b = new[f"W{layer}"], new[f"b{layer}"]
        Z = W @ A + b
        for _ in range(max_iter):
            var = float(np.var(Z))
            if abs(var - 1.0) < tol:
                break
            if not (math.isfinite(var) and var > 0):
                raise ValueError(
                    f"layer {layer}'s output Z{layer} has variance {var}; LSUV cannot rescale it to 1"
                )
            W = W / math.sqrt(var)
            Z = W @ A + b
        new[f"W{layer}"] = W
        A = gs[layer - 1].forward(Z)
    return new
