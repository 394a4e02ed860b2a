"""Notebook 02's curve, reference walk, learning-rate verdicts, checks and valley widget."""
import matplotlib

matplotlib.use("Agg")
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from course_utils.checks.gradient_descent import (check_gradient_descent, check_gradient_step,
                                                  check_numerical_derivative, check_pick_learning_rates)
from course_utils.plots.gradient_descent import plot_valley
from course_utils.reference import gradient_descent as ref
from course_utils.widgets.valley import take_step, valley, valley_readout


def valley_loss_autograd(w):
    """The same curve written independently with autograd.numpy, from the module's constants."""
    loss = ref.BOWL * w ** 2 + ref.LEVEL
    for depth, centre, width2 in ref.DIPS:
        loss = loss - depth * anp.exp(-(w - centre) ** 2 / width2)
    return loss


@pytest.mark.parametrize("w", [-3.9, -2.0, -0.05, 0.7, 1.69, 3.3])
def test_valley_slope_matches_autograd(w):
    assert ref.valley_slope(w) == pytest.approx(autograd.grad(valley_loss_autograd)(w), rel=1e-7, abs=1e-9)


def test_valley_loss_works_on_numbers_and_arrays():
    grid = np.linspace(-3, 3, 7)
    assert isinstance(ref.valley_loss(0.5), float)
    np.testing.assert_allclose(ref.valley_loss(grid), [ref.valley_loss(w) for w in grid])


def test_the_curve_has_two_valleys_and_the_right_one_is_deeper():
    bottoms = ref.valley_bottoms()
    assert len(bottoms) == 2 and bottoms[0] < 0 < bottoms[1]
    assert ref.valley_loss(bottoms[1]) < ref.valley_loss(bottoms[0])
    for bottom in bottoms:
        assert abs(ref.valley_slope(bottom)) < 1e-6


@pytest.mark.parametrize("start, valley_index", [(-3.5, 0), (-0.3, 0), (0.3, 1), (3.5, 1)])
def test_the_ball_settles_in_the_valley_its_start_leads_to(start, valley_index):
    path = ref.descend(ref.valley_slope, start, 0.2, 200)
    assert path[-1] == pytest.approx(ref.valley_bottoms()[valley_index], abs=1e-6)


def test_descend_halves_the_distance_on_a_bowl_with_lr_one_quarter():
    np.testing.assert_allclose(ref.descend(lambda w: 2 * (w - 3.0), 0.0, 0.25, 3), [0, 1.5, 2.25, 2.625])


def test_descend_stops_quietly_when_the_weight_runs_off():
    path = ref.descend(ref.valley_slope, ref.START, 1e6, ref.N_STEPS)
    assert path.shape == (ref.N_STEPS + 1,) and np.isnan(path[-1])


@pytest.mark.parametrize("lr, kind", [(1e-4, "too small"), (0.01, "too small"), (0.05, "too small"),
                                      (0.1, "good"), (0.3, "good"), (0.7, "good"), (0.75, "overshooting"),
                                      (0.8, "too large"), (2.0, "too large"), (50.0, "too large")])
def test_learning_rates_are_classified_by_simulating_them(lr, kind):
    assert ref.classify_learning_rate(lr)[0] == kind


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), True, "0.1", None])
def test_a_learning_rate_must_be_a_positive_number(lr):
    assert ref.classify_learning_rate(lr)[0] == "invalid"


def test_a_good_rate_ends_within_tolerance_and_a_too_small_one_never_raises_the_loss():
    good = ref.descend(ref.valley_slope, ref.START, 0.3, ref.N_STEPS)
    assert abs(good[-1] - ref.nearest_bottom(good[-1])) < ref.TOLERANCE
    small = ref.valley_loss(ref.descend(ref.valley_slope, ref.START, 0.01, ref.N_STEPS))
    assert np.all(np.diff(small) < 0)


def failure(call):
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


def test_check_numerical_derivative_names_a_forward_difference():
    message = failure(lambda: check_numerical_derivative(lambda f, w, h=1e-5: (f(w + h) - f(w)) / h,
                                                         lambda w: w ** 3, 2.0))
    assert "forward difference" in message


def test_check_numerical_derivative_catches_an_ignored_h():
    fixed = lambda f, w, h=1e-5: (f(w + 1e-5) - f(w - 1e-5)) / 2e-5
    check_numerical_derivative(fixed, lambda w: w ** 3, 2.0)
    assert "expected 12.01" in failure(lambda: check_numerical_derivative(fixed, lambda w: w ** 3, 2.0, h=0.1))


@pytest.mark.parametrize("wrong, words", [(lambda w, g, lr: w + lr * g, "uphill"),
                                          (lambda w, g, lr: w - g, "learning rate is missing"),
                                          (lambda w, g, lr: -lr * g, "returned the step")])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_check_gradient_step_names_the_slip(wrong, words, shape):
    rng = np.random.default_rng(len(shape))
    w, g = rng.normal(size=shape) + 2, rng.normal(size=shape) + 1
    check_gradient_step(lambda w, g, lr: w - lr * g, w, g, 0.3)
    assert words in failure(lambda: check_gradient_step(wrong, w, g, 0.3))


def test_check_gradient_descent_explains_a_missing_start_and_a_stale_gradient():
    bowl = lambda w: 2 * (w - 3.0)

    def no_start(df, w0, lr, n):
        return ref.descend(df, w0, lr, n)[1:]

    def stale(df, w0, lr, n):
        return w0 - lr * np.arange(n + 1) * df(w0)

    check_gradient_descent(lambda df, w0, lr, n: ref.descend(df, w0, lr, n), bowl, 0.0, 0.25, 5)
    assert "the first entry is the start w0" in failure(lambda: check_gradient_descent(no_start, bowl, 0.0, 0.25, 5))
    assert "slope at the start" in failure(lambda: check_gradient_descent(stale, bowl, 0.0, 0.25, 5))


@pytest.mark.parametrize("rates, role", [((0.3, 0.3, 2.0), "too_small"), ((0.01, 0.05, 2.0), "good"),
                                         ((0.01, 0.3, 0.75), "too_large"), ((0.01, 0.3, -2.0), "too_large")])
def test_check_pick_learning_rates_names_the_wrong_role(rates, role):
    check_pick_learning_rates(lambda: (0.01, 0.3, 2.0), strict=True)
    assert f"{role} = " in failure(lambda: check_pick_learning_rates(lambda: rates))


def test_check_pick_learning_rates_strict_wants_three_plain_numbers():
    assert "plain numbers" in failure(lambda: check_pick_learning_rates(lambda: (0.01, 0.3, np.array([2.0])),
                                                                        strict=True))


def test_take_step_applies_the_update_rule():
    path = take_step([1.0], 0.5)
    assert path[0] == 1.0 and path[1] == pytest.approx(1.0 - 0.5 * ref.valley_slope(1.0))


def test_readout_shows_step_count_loss_and_a_rising_loss():
    path = [ref.START]
    for _ in range(3):
        path = take_step(path, 2.0)
    text = valley_readout(path, 2.0)
    assert "step 3" in text and f"loss = {ref.valley_loss(path[-1]):.4f}" in text
    rising = [path[:k + 1] for k in range(1, 4) if ref.valley_loss(path[k]) > ref.valley_loss(path[k - 1])]
    assert rising and "went UP" in valley_readout(rising[0], 2.0)


def _parts(box):
    buttons, lr, start, readout, plot = box.children
    named = {cls: child for child in buttons.children for cls in child._dom_classes}
    return named["valley-train-step"], named["valley-reset"], lr, start, readout


def test_widget_can_hide_the_curve_and_keeps_its_walk():
    box = valley()
    train, _reset, _lr, _start, readout = _parts(box)
    curve = next(c for c in box.children[0].children if "valley-show-curve" in c._dom_classes)
    assert "valley-show-curve" in curve._dom_classes
    train.click()
    curve.value = False
    assert "step 1" in readout.value


def test_widget_train_step_reset_and_start_drive_the_readout():
    box = valley()
    train, reset, lr, start, readout = _parts(box)
    assert "valley" in box._dom_classes and "valley-train-step" in train._dom_classes
    assert "valley-reset" in reset._dom_classes and "valley-lr" in lr._dom_classes
    assert "valley-start" in start._dom_classes and "valley-readout" in readout._dom_classes
    assert "step 0" in readout.value
    train.click()
    train.click()
    assert "step 2" in readout.value
    reset.click()
    assert "step 0" in readout.value and f"w = {ref.START:.4f}" in readout.value
    start.value = 2.5
    assert "step 0" in readout.value and "w = 2.5000" in readout.value


@pytest.mark.parametrize("path", [[ref.START], [-3.5, -2.0, 1.0], [0.0, 40.0]])
def test_plot_valley_draws_two_panels_even_when_the_ball_left(path):
    fig = plot_valley(path, 0.3)
    assert len(fig.axes) == 2
    matplotlib.pyplot.close(fig)
