"""Exact NumPy reference for dense networks: init schemes, forward/backward, training, gradient checks, symmetry.

Conventions everywhere: float64; X is (n_x, m) with examples as columns; W_l is (n_l, n_{l-1}); b_l is (n_l, 1);
``params = {"W1", "b1", ...}``, ``grads = {"dW1", "db1", ...}``; randomness only through ``rng: np.random.Generator``.
"""
