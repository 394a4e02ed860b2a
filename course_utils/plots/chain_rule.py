"""Pictures for notebook 03: the scalar chain as a computation graph, forward and backward."""
from matplotlib.patches import Circle, FancyArrowPatch

from course_utils.chain_numbers import dw1_product, fmt
from course_utils.plots.figures import finish, subplots

# Where each node sits: the chain along the bottom row, the weights and target above.
POSITIONS = {"x": (0.0, 0.0), "h": (3.0, 0.0), "y_hat": (6.0, 0.0), "L": (9.0, 0.0),
             "w1": (1.5, 1.6), "w2": (4.5, 1.6), "y": (7.5, 1.6)}
LABELS = {"x": "x", "h": "h", "y_hat": "ŷ", "L": "L", "w1": "w1", "w2": "w2", "y": "y"}
RADIUS = 0.55
FORWARD, BACKWARD, LOCAL = "0.15", "tab:red", "tab:blue"


def _arrow(ax, start, end, color, lw=1.6, shrink=RADIUS):
    """An arrow from circle edge to circle edge (``shrink`` in data units at both ends)."""
    (xa, ya), (xb, yb) = start, end
    length = ((xb - xa) ** 2 + (yb - ya) ** 2) ** 0.5
    ux, uy = (xb - xa) / length, (yb - ya) / length
    ax.add_patch(FancyArrowPatch((xa + ux * shrink, ya + uy * shrink), (xb - ux * shrink, yb - uy * shrink),
                                 arrowstyle="-|>", mutation_scale=14, color=color, lw=lw,
                                 shrinkA=0, shrinkB=0))


def plot_chain_graph(numbers: dict, fig=None):
    """Draw the chain with forward values in the nodes, local derivatives on the edges
    and the gradients of L below the nodes (red, flowing right to left).

    ``numbers`` is what :func:`course_utils.chain_numbers.chain_numbers` returns.
    Returns the matplotlib Figure.
    """
    forward, local, grad = numbers["forward"], numbers["local"], numbers["grad"]
    fig, ax = subplots(fig, figsize=(10, 4.2))
    # Forward edges, each labelled with its local derivative.
    edges = [("x", "h", f"∂h/∂x = {fmt(local['dh/dx'])}", (0, -0.32)),
             ("w1", "h", f"∂h/∂w1 = {fmt(local['dh/dw1'])}", (0.55, 0.1)),
             ("h", "y_hat", f"∂ŷ/∂h = {fmt(local['dy_hat/dh'])}", (0, -0.32)),
             ("w2", "y_hat", f"∂ŷ/∂w2 = {fmt(local['dy_hat/dw2'])}", (0.55, 0.1)),
             ("y_hat", "L", f"∂L/∂ŷ = {fmt(local['dL/dy_hat'])}", (0, -0.32)),
             ("y", "L", "", (0, 0))]
    for a, b, text, (dx, dy) in edges:
        (xa, ya), (xb, yb) = POSITIONS[a], POSITIONS[b]
        _arrow(ax, (xa, ya), (xb, yb), FORWARD)
        if text:
            ax.text((xa + xb) / 2 + dx, (ya + yb) / 2 + dy + 0.12, text, ha="center", fontsize=9, color=LOCAL)
    # Nodes with their forward values.
    for name, (px, py) in POSITIONS.items():
        weight = name in ("w1", "w2")
        ax.add_patch(Circle((px, py), RADIUS, fc="#fff4d6" if weight else "#eef3fb", ec="0.3", lw=1.5))
        ax.text(px, py + 0.13, LABELS[name], ha="center", va="center", fontsize=11, weight="bold")
        ax.text(px, py - 0.2, fmt(forward[name]), ha="center", va="center", fontsize=9)
    # Gradients flowing back: red arrows under the chain and dL/d(node) under each node.
    for a, b in [("L", "y_hat"), ("y_hat", "h"), ("h", "x")]:
        (xa, ya), (xb, yb) = POSITIONS[a], POSITIONS[b]
        _arrow(ax, (xa, ya - 0.95), (xb, yb - 0.95), BACKWARD, lw=1.2, shrink=0.3)
    below = {"y_hat": f"dL/dŷ = {fmt(grad['y_hat'])}", "h": f"dL/dh = {fmt(grad['h'])}",
             "x": f"dL/dx = {fmt(grad['x'])}", "L": "dL/dL = 1"}
    for name, text in below.items():
        px, py = POSITIONS[name]
        ax.text(px, py - 0.75, text, ha="center", fontsize=9, color=BACKWARD)
    for name in ("w1", "w2"):
        px, py = POSITIONS[name]
        ax.text(px, py + 0.72, f"dL/d{name} = {fmt(grad[name])}", ha="center", fontsize=10,
                color=BACKWARD, weight="bold")
    ax.text(4.5, -1.55, dw1_product(numbers), ha="center", fontsize=10, color=BACKWARD)
    ax.text(-0.6, 2.75, f"forward (black): h = w1·x = {fmt(forward['h'])},  ŷ = w2·h = {fmt(forward['y_hat'])},"
            f"  L = (ŷ − y)² = {fmt(forward['L'])}", fontsize=9, color=FORWARD)
    ax.set(xlim=(-0.8, 9.8), ylim=(-1.8, 3.0), aspect="equal")
    ax.axis("off")
    return finish(fig)
