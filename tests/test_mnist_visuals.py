"""Notebook 07's pure helpers behind the pictures and widgets: drawing → MNIST image,
confusion counts, worst mistakes, and the widgets built without a browser."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course_utils.drawing import render_strokes, to_mnist
from course_utils.plots import mnist as plots


def _bbox(image):
    rows, cols = np.nonzero(image.reshape(28, 28) > 0.05)
    return rows.min(), rows.max(), cols.min(), cols.max()


@pytest.mark.parametrize("stroke", [[(140, 40), (140, 240)], [(60, 200), (120, 60), (220, 60)],
                                    [(30, 30), (60, 60)]])
def test_drawn_digit_fits_a_20_pixel_box_centred_by_mass(stroke):
    image = to_mnist(render_strokes([stroke]))
    assert image.shape == (784,) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1
    top, bottom, left, right = _bbox(image)
    assert max(bottom - top, right - left) + 1 in (19, 20, 21)
    ys, xs = np.indices((28, 28))
    grid = image.reshape(28, 28)
    centre = ((ys * grid).sum() / grid.sum(), (xs * grid).sum() / grid.sum())
    assert abs(centre[0] - 13.5) <= 1.0 and abs(centre[1] - 13.5) <= 1.0


def test_empty_drawing_gives_an_empty_image():
    assert not to_mnist(render_strokes([])).any()


def test_a_single_click_paints_a_round_dot():
    picture = render_strokes([[(100, 100)]], width=18)
    assert picture[100, 100] == 1 and picture[100, 120] == 0
    assert np.isclose(picture.sum(), np.pi * 9 ** 2, rtol=0.1)


def test_confusion_counts_rows_are_true_labels():
    counts = plots.confusion_counts([0, 0, 1, 2], [0, 1, 1, 1], n_classes=3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]


def test_worst_mistakes_come_most_confident_first_and_skip_right_answers():
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.1, 0.9]])
    labels = np.array([1, 1, 1, 0])      # rows 0, 2, 3 are wrong with gaps 0.8, 0.2, 0.8
    assert plots.worst_mistakes(scores, labels, count=3).tolist()[:2] in ([0, 3], [3, 0])
    assert plots.worst_mistakes(scores, labels, count=3).tolist()[2] == 2


def test_strongest_units_rank_by_outgoing_weights():
    W2 = np.zeros((5, 3))
    W2[3] = 10
    W2[1] = 1
    assert plots.strongest_units(np.zeros((784, 5)), W2, count=2).tolist() == [3, 1]


@pytest.mark.parametrize("draw", [
    lambda: plots.plot_digits(np.zeros((8, 784)), range(8), 2, 4),
    lambda: plots.plot_loss_curve(np.linspace(1, 0.1, 300), 50),
    lambda: plots.plot_templates(np.random.default_rng(0).normal(size=(784, 10))),
    lambda: plots.plot_features(np.random.default_rng(0).normal(size=(784, 20)), [1, 5, 7]),
    lambda: plots.plot_confusion([0, 1, 2], [0, 2, 2]),
    lambda: plots.plot_mistakes(np.zeros((3, 784)), np.eye(10)[:3], np.array([1, 2, 0]), [0, 1, 2]),
])
def test_every_picture_draws(draw):
    import matplotlib.pyplot as plt

    fig = draw()
    assert fig.axes
    plt.close(fig)


def test_canvas_widget_predicts_from_recorded_strokes():
    pytest.importorskip("ipycanvas")
    from course_utils.widgets.digit_canvas import digit_canvas

    seen = []

    def predict(images):
        seen.append(images)
        return np.eye(10, dtype=np.float32)[[7]]

    box = digit_canvas(predict)
    assert "mnist-drawing" in box._dom_classes
    answer = box.children[-1]
    assert "mnist-prediction" in answer._dom_classes
    box.predict_now()
    assert "empty" in answer.value and not seen
    box.strokes.append([(140, 40), (140, 240)])
    box.predict_now()
    assert seen[0].shape == (1, 784) and "says <b>7</b>" in answer.value


def test_training_monitor_counts_steps_and_reports_time():
    from course_utils.widgets.training_monitor import training_monitor

    monitor = training_monitor(total_steps=6, steps_per_epoch=3, redraw_every=0)
    for loss in [0.5, 0.4, 0.3, 0.2, 0.1, float("nan")]:
        monitor.update(loss)
    seconds = monitor.close()
    assert len(monitor.losses) == 6 and seconds >= 0
    assert "training-monitor" in monitor.box._dom_classes


@pytest.mark.parametrize("predict, says", [
    (lambda images: 1 / 0, "ZeroDivisionError"),
    (lambda images: np.zeros((1, 3)), "shape (3,)"),
    (lambda images: np.full((1, 10), np.nan), "finite"),
])
def test_canvas_says_what_a_broken_network_did_and_keeps_working(predict, says):
    pytest.importorskip("ipycanvas")
    from course_utils.widgets.digit_canvas import digit_canvas

    calls = {"n": 0}

    def learners_predict(images):
        calls["n"] += 1
        return predict(images) if calls["n"] == 1 else np.eye(10)[[3]]

    box = digit_canvas(learners_predict)
    answer = box.children[-1]
    box.strokes.append([(140, 40), (140, 240)])
    box.predict_now()
    assert "could not answer" in answer.value and says in answer.value, answer.value
    box.predict_now()                  # fixed (here: the second call works): the canvas answers again
    assert "says <b>3</b>" in answer.value, answer.value
