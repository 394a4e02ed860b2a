"""A live view of training: a progress bar and the loss curve, redrawn as training runs.

Usage inside a training loop::

    monitor = training_monitor(total_steps, steps_per_epoch)
    for ...:
        ...
        monitor.update(loss)          # once per minibatch
    monitor.close()                   # final curve and summary

The curve is redrawn at the end of an epoch in a live figure: the training loop keeps the
kernel busy, so each frame is sent at once (:meth:`LiveFigure.push`) instead of waiting
for the browser to ask for it. At most every ``redraw_every`` seconds, and never more
often than keeps drawing under a tenth of the time (a frame costs 0.1 s on a quiet
machine, several times that on a busy one): watching must not slow training much.
CSS hooks: ``training-monitor`` (the box), ``training-monitor-status``, ``training-monitor-plot``.
"""
from __future__ import annotations

import math
import time

import ipywidgets as widgets
from IPython.display import display
from tqdm.auto import tqdm

from course_utils.plots.figures import subplots
from course_utils.plots.mnist import plot_loss_curve
from course_utils.widgets.live_figure import LiveFigure


class TrainingMonitor:
    """Progress bar + status line + loss curve for a loop of ``total_steps`` minibatch steps."""

    def __init__(self, total_steps: int, steps_per_epoch: int, title: str = "Training loss",
                 redraw_every: float = 1.0):
        self.redraw_every, self.last_drawn, self.draw_cost = float(redraw_every), 0.0, 0.0
        self.total, self.per_epoch, self.title = int(total_steps), max(1, int(steps_per_epoch)), title
        self.losses: list[float] = []
        self.started = time.perf_counter()
        self.bar_area = widgets.Output()
        self.status = widgets.HTML("starting…")
        self.status.add_class("training-monitor-status")
        self.live = LiveFigure(self._paint, figsize=(7, 3), css="training-monitor")
        self.box = widgets.VBox([self.bar_area, self.status, self.live.box])
        self.box.add_class("training-monitor")
        display(self.box)
        with self.bar_area:
            self.bar = tqdm(total=self.total, unit="step", desc="training")

    def update(self, loss: float) -> None:
        loss = float(loss)
        self.losses.append(loss)
        self.bar.update(1)
        if len(self.losses) % self.per_epoch == 0:
            epoch = len(self.losses) // self.per_epoch
            recent = sum(self.losses[-self.per_epoch:]) / self.per_epoch
            self.bar.set_postfix(loss=f"{recent:.4f}")
            self.status.value = f"epoch {epoch}: mean loss {recent:.4f}"
            if not math.isfinite(recent):
                self.status.value += " <b>(not a number: training has blown up)</b>"
            if time.perf_counter() - self.last_drawn >= max(self.redraw_every, 9 * self.draw_cost):
                self.redraw()

    def _paint(self, fig) -> dict:
        ax = subplots(fig)[1]
        plot_loss_curve([x if math.isfinite(x) else float("nan") for x in self.losses], self.per_epoch,
                        ax=ax, title=self.title)
        return {"step": len(self.losses)}

    def redraw(self) -> None:
        started = time.perf_counter()
        self.live.push()
        self.last_drawn = time.perf_counter()
        self.draw_cost = self.last_drawn - started

    def close(self) -> float:
        """Finish the bar, draw the final curve, return the seconds spent."""
        seconds = time.perf_counter() - self.started
        self.bar.close()
        self.redraw()
        last = sum(self.losses[-self.per_epoch:]) / max(1, len(self.losses[-self.per_epoch:]))
        self.status.value = f"done: {len(self.losses)} steps in {seconds:.1f} s, final mean loss {last:.4f}"
        return seconds


def training_monitor(total_steps: int, steps_per_epoch: int, title: str = "Training loss",
                     redraw_every: float = 1.0) -> TrainingMonitor:
    """Create and show a :class:`TrainingMonitor`."""
    return TrainingMonitor(total_steps, steps_per_epoch, title, redraw_every)
