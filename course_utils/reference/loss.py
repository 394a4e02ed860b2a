"""Reference forward functions for notebook 01 (loss)."""
import numpy as np


def squared_error(y_hat, y):
    """Elementwise ``(y - y_hat)**2``; same shape as the inputs."""
    return (np.asarray(y, dtype=np.float64) - np.asarray(y_hat, dtype=np.float64)) ** 2


def mse(y_hat, y) -> float:
    """Mean squared error over all elements: ``mean((y_hat - y)**2)``."""
    return float(np.mean(squared_error(y_hat, y)))
