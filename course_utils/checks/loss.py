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


def check_mse(fn, y_hat, y):
    """``fn(y_hat, y)`` must be one number: the mean of the squared errors over all elements."""
    __tracebackhide__ = True
    size = int(np.asarray(y_hat).size)
    return check(fn, (y_hat, y), ref.mse(y_hat, y), arg_names=ARGS, batch_size=size,
                 hints={"mean_missing": f"the result is {size} times too large: this is the sum of the "
                                        "squared errors; the mean divides by the number of elements",
                        "factor_2_missing": "the result is half the mean squared error: "
                                            "did you divide by 2 (a convention some books use)? This course does not"},
                 cause="average the squared errors over every element, not over one axis")


def check_mse_grad(fn, y_hat, y):
    """``fn(y_hat, y)`` must be dL/dy_hat for L = mse, compared with a numerical gradient."""
    __tracebackhide__ = True
    y_hat64 = np.asarray(y_hat, dtype=np.float64)
    expected = numerical_gradient(lambda p: ref.mse(p, y), y_hat64)
    return check(fn, (y_hat, y), expected, arg_names=ARGS, batch_size=y_hat64.size,
                 hints={"sign": "every entry has the opposite sign: the gradient points uphill, "
                                "so it is 2*(y_hat - y)/N, not 2*(y - y_hat)/N",
                        "mean_missing": "every entry is N times too large: the 1/N of the mean is missing "
                                        "(N = y_hat.size, every element counts)"},
                 cause="differentiate the mean of the squared errors with respect to each y_hat entry: one term, its 2u, and the 1/N")
