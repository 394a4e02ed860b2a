"""The fan-out widget: per-path products add up to the blame, row 1 of the matrix product
is the same number, the CSS hooks exist and a slider updates the sum."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils.widgets.fan_out import fan_out, fan_out_numbers, fan_out_sum_text  # noqa: E402


@pytest.mark.parametrize("deltas, w_row", [([0.5, -1.0, 2.0], [2.0, 1.0, 0.25]), ([1.0, 1.0, -2.0], [0.0, -1.5, 1.0])])
def test_path_products_add_up_to_the_blame_and_to_row_one_of_the_matrix_product(deltas, w_row):
    numbers = fan_out_numbers(deltas, w_row)
    np.testing.assert_allclose(numbers["products"], np.multiply(deltas, w_row), atol=1e-8)
    assert sum(numbers["products"]) == pytest.approx(numbers["total"], abs=1e-8)
    np.testing.assert_allclose(numbers["blames"], numbers["W"] @ np.asarray(deltas), atol=1e-8)
    assert f"sum = {numbers['total']:+.2f}" in fan_out_sum_text(numbers)


def test_widget_has_css_hooks_and_the_sum_follows_a_slider():
    box = fan_out()
    assert "fan-out" in box._dom_classes

    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)
    by_class = {c: w for w in walk(box) for c in getattr(w, "_dom_classes", ())}
    for name in ("cat", "dog", "bird"):
        assert f"fan-out-delta-{name}" in by_class and f"fan-out-w-{name}" in by_class
    total = by_class["fan-out-sum"]
    assert "sum = +0.50" in total.value
    by_class["fan-out-w-dog"].value = 0.0   # the Dog path's -1 disappears
    assert "sum = +1.50" in total.value


def test_zero_blame_reads_without_a_minus_sign_and_rows_count_from_zero():
    from course_utils.widgets.fan_out import fan_out_matrix_html, fan_out_numbers, fan_out_sum_text

    numbers = fan_out_numbers([0.0, -0.001, 0.0], [2.0, 1.0, -0.004])
    text, table = fan_out_sum_text(numbers), fan_out_matrix_html(numbers)
    assert "-0.00" not in text and "-0.00" not in table, text
    assert "neuron 0" in text and "<td>neuron 0</td>" in table and "neuron 3" not in table
