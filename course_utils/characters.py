"""Text turned into numbers, for notebook 08's next-character model.

The text is the Zen of Python, which ships with every Python in the standard library's
``this`` module (stored there in rot13), so nothing is downloaded. A model sees the
``k`` characters before a position as one-hot rows side by side and predicts the
character at that position.
"""
from __future__ import annotations

import codecs
import contextlib
import io
from typing import Callable

import numpy as np


def zen_text() -> str:
    """The Zen of Python, decoded from ``this.s`` (importing ``this`` prints it: kept quiet)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    return codecs.decode(this.s, "rot13")


def vocabulary(text: str) -> str:
    """The distinct characters of ``text``, sorted: character ``chars[i]`` has index i."""
    return "".join(sorted(set(text)))


def encode(text: str, chars: str) -> np.ndarray:
    """Indices of the characters of ``text`` in ``chars``, shape (len(text),)."""
    index = {c: i for i, c in enumerate(chars)}
    return np.array([index[c] for c in text], dtype=int)


def context_features(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """One-hot rows of the ``k`` given character indices, side by side: shape (k * vocab_size,)."""
    features = np.zeros(len(ids) * vocab_size)
    features[np.arange(len(ids)) * vocab_size + np.asarray(ids)] = 1.0
    return features


def training_pairs(ids: np.ndarray, vocab_size: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every position of the text with ``k`` characters before it.

    Returns X of shape (N, k * vocab_size), the one-hot contexts, and labels of shape (N,),
    the index of the character that follows each context; N = len(ids) - k.
    """
    X = np.stack([context_features(ids[i:i + k], vocab_size) for i in range(len(ids) - k)])
    return X, np.asarray(ids[k:], dtype=int)


def generate(probabilities: Callable[[np.ndarray], np.ndarray], start: str, chars: str, k: int,
             length: int, rng: np.random.Generator) -> str:
    """Extend ``start`` by ``length`` characters, each drawn from the model's distribution.

    ``probabilities(X)`` takes contexts (1, k * len(chars)) and returns (1, len(chars)).
    """
    text = start
    for _ in range(length):
        context = encode(text[-k:], chars)
        p = np.asarray(probabilities(context_features(context, len(chars))[None, :]), dtype=np.float64)[0]
        text += chars[rng.choice(len(chars), p=p / p.sum())]
    return text
