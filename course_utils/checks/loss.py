"""Checks for notebook 01 (loss): ``squared_error``, ``mse``, ``mse_grad``."""
import numpy as np

from course_utils.feedback import check
from course_utils.gradcheck import numerical_gradient
from course_utils.reference import loss as ref

ARGS = ("y_hat", "y")


def check_squared_error(fn, y_hat, y):
    """``fn(y_hat, y)`` must equal ``(y - y_hat)**2`` elementwise, same shape as the inputs."""
    __tracebackhide__ = True
    return check(fn, (y_hat, y), ref.squared_error(y_hat, y), arg_names=ARGS,
                 cause="square the difference of each pair, with no sum or mean",
                 hints={"factor_2_extra": "every entry is twice the squared error: "
                                          "square the difference, do not multiply it by 2"})


def _rows_only(y_hat, expected, size: int) -> dict:
    """The answer divided by the number of rows instead of every element (len(y) on a 2-D batch)."""
    rows = int(np.shape(y_hat)[0]) if np.ndim(y_hat) else 1
    if np.ndim(y_hat) < 2 or rows == size:
        return {}
    return {"rows_only": np.asarray(expected, dtype=np.float64) * (size / rows)}


def check_mse(fn, y_hat, y):
    """``fn(y_hat, y)`` must be one number: the mean of the squared errors over all elements."""
    __tracebackhide__ = True
    size = int(np.asarray(y_hat).size)
    rows = int(np.shape(y_hat)[0]) if np.ndim(y_hat) else 1
    expected = ref.mse(y_hat, y)
    check(fn, (y_hat, y), expected, arg_names=ARGS, batch_size=size,
          candidates=_rows_only(y_hat, expected, size),
          hints={"rows_only": f"the result is {size // rows if size % rows == 0 else size / rows:g} times too large: "
                              f"the sum was divided by len(y) = {rows}, the number of rows; the mean divides by "
                              f"every element, N = y.size = {size}",
                 "mean_missing": f"the result is {size} times too large: this is the sum of the "
                                 "squared errors; the mean divides by the number of elements",
                 "factor_2_missing": "the result is half the mean squared error: "
                                     "did you divide by 2 (a convention some books use)? This course does not"},
          cause="average the squared errors over every element, not over one axis")


def check_mse_grad(fn, y_hat, y):
    """``fn(y_hat, y)`` must be dL/dy_hat for L = mse, compared with a numerical gradient."""
    __tracebackhide__ = True
    y_hat64 = np.asarray(y_hat, dtype=np.float64)
    size = y_hat64.size
    rows = int(y_hat64.shape[0]) if y_hat64.ndim else 1
    expected = numerical_gradient(lambda p: ref.mse(p, y), y_hat64)
    check(fn, (y_hat, y), expected, arg_names=ARGS, batch_size=size,
          candidates=_rows_only(y_hat64, expected, size),
          hints={"sign": "every entry has the opposite sign: the gradient points uphill, "
                         "so it is 2*(y_hat - y)/N, not 2*(y - y_hat)/N",
                 "mean_missing": "every entry is N times too large: the 1/N of the mean is missing "
                                 "(N = y_hat.size, every element counts)",
                 "rows_only": f"every entry is {size / rows:g} times too large: you divided by len(y_hat) = {rows}, "
                              f"the number of rows, but N counts every element: N = y_hat.size = {size}"},
          cause="differentiate the mean of the squared errors with respect to each y_hat entry: one term, its 2u, and the 1/N")
