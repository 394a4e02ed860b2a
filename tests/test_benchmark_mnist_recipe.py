"""benchmarks/mnist_recipe.py: the shifted copies, and the recipe learns the digits.

(That each momentum step is notebook 07's ``momentum_update`` is tested on the trainer
itself, in test_fast_mlp.py.)
"""
import importlib.util
from pathlib import Path

import numpy as np

_spec = importlib.util.spec_from_file_location(
    "mnist_recipe", Path(__file__).resolve().parent.parent / "benchmarks" / "mnist_recipe.py")
mnist_recipe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mnist_recipe)


def test_shifted_copies_move_pixels_by_one_and_keep_the_original():
    image = np.zeros((1, 28 * 28), np.uint8)
    image[0, 14 * 28 + 14] = 255
    copies = mnist_recipe.shifted_copies(image).reshape(9, 28, 28)
    spots = sorted(tuple(int(i) for i in np.argwhere(c)[0]) for c in copies)
    assert spots == [(r, c) for r in (13, 14, 15) for c in (13, 14, 15)]


def test_three_epochs_of_the_recipe_learn_the_bundled_digits():
    from course_utils.data import load_mnist
    from course_utils.reference.mlp import mlp_forward

    data = load_mnist(source="subset")
    losses = []
    net = mnist_recipe.train(data.X_train, data.y_train, epochs=3, callback=lambda epoch, loss: losses.append(loss))
    accuracy = np.mean(mlp_forward(data.X_test / 255.0, net.params()).argmax(1) == data.y_test)
    assert losses[-1] < losses[0]
    assert accuracy > 0.85, accuracy  # chance is 0.10; the notebook's 20 epochs reach about 0.95
