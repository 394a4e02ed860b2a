"""The numbers the chain-graph widget shows, for ``x -> h -> y_hat -> L``.

Contract: :func:`chain_numbers` returns the forward value of every node, the local
derivative on every edge and the gradient of the loss at every node, all measured by
central differences of the reference forward pass (no derivative formula is written
here); :func:`dw1_product` writes dL/dw1 out as the product of the local derivatives.
"""
from __future__ import annotations

from course_utils.gradcheck import numerical_gradient, numerical_gradients
from course_utils.reference.chain_rule import chain_forward, chain_loss, loss_from_h, squared_loss


def fmt(value: float, digits: int = 2) -> str:
    """A number for display, without a "-0.00" for a tiny negative rounding error."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


def _slope(f, at) -> float:
    return float(numerical_gradient(lambda v: float(f(v)), float(at)))


def chain_numbers(x: float, w1: float, w2: float, y: float) -> dict:
    """Forward values, local derivatives and gradients of the scalar chain.

    Returns
    -------
    dict with
      ``forward``: x, w1, w2, y, h, y_hat, L;
      ``local``: dh/dx, dh/dw1, dy_hat/dh, dy_hat/dw2, dL/dy_hat (each edge's own slope);
      ``grad``: dL/d of y_hat, h, w2, w1, x (the gradients flowing back).
    """
    h, y_hat = (float(v) for v in chain_forward(x, w1, w2))
    forward = dict(x=x, w1=w1, w2=w2, y=y, h=h, y_hat=y_hat, L=float(squared_loss(y_hat, y)))
    local = {"dh/dx": _slope(lambda v: chain_forward(v, w1, w2)[0], x),
             "dh/dw1": _slope(lambda v: chain_forward(x, v, w2)[0], w1),
             "dy_hat/dh": _slope(lambda v: w2 * v, h),
             "dy_hat/dw2": _slope(lambda v: v * h, w2),
             "dL/dy_hat": _slope(lambda v: squared_loss(v, y), y_hat)}
    whole = numerical_gradients(lambda p: float(chain_loss(p["x"], p["w1"], p["w2"], y)),
                                {"x": x, "w1": w1, "w2": w2})
    grad = {"y_hat": local["dL/dy_hat"], "h": _slope(lambda v: loss_from_h(v, w2, y), h),
            "w2": float(whole["w2"]), "w1": float(whole["w1"]), "x": float(whole["x"])}
    return dict(forward=forward, local=local, grad=grad)


# dL/dw1 as a product of local derivatives, in symbols: what dw1_factors puts numbers to.
DW1_SYMBOLS = "dL/dw1 = dL/dŷ · dŷ/dh · dh/dw1 = 2(ŷ − y) · w2 · x"


def dw1_factors(numbers: dict) -> str:
    """The product's current numbers and its result: ``"(-8.00) · (-2.00) · (3.00) = 48.00"``."""
    local = numbers["local"]
    factors = [local["dL/dy_hat"], local["dy_hat/dh"], local["dh/dw1"]]
    product = factors[0] * factors[1] * factors[2]
    return " · ".join(f"({fmt(v)})" for v in factors) + f" = {fmt(product)}"


def dw1_product(numbers: dict) -> str:
    """dL/dw1 written out: symbols, then the current numbers, then the result."""
    return f"{DW1_SYMBOLS} = {dw1_factors(numbers)}"
