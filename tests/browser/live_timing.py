"""Timing live widgets in the page: which frame answered which input, and how fast.

A live figure (``course_utils.widgets.live_figure``) writes the state it painted into a
hidden ``<widget>-frame`` part. The page records, with ``performance.now()``:

- every frame put on screen (a ``drawImage`` into a visible canvas of a ``*-plot`` part),
  with the state it shows;
- every value a dragged slider showed (its readout changes as the hand moves).

An input's latency is the time from the readout showing a value to the first frame that
shows that value or one further along the drag (a later value answers an earlier one:
that is a stale frame dropped, not a frame missing).
"""
from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass

HOOK_JS = """() => {
  if (window.__courseFrames) return;
  window.__courseFrames = [];
  window.__courseInputs = [];
  const original = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    const result = original.apply(this, args);
    const canvas = this.canvas;
    const plot = canvas && canvas.isConnected && canvas.closest('[class*="-plot"]');
    if (plot && args[0] instanceof HTMLCanvasElement) {
      const frame = plot.parentElement.querySelector('[class$="-frame"]');
      const name = [...plot.classList].find(c => c.endsWith('-plot'));
      window.__courseFrames.push({t: performance.now(), plot: name, label: frame ? frame.textContent : ''});
    }
    return result;
  };
}"""

WATCH_READOUT_JS = """(selector) => {
  const readout = document.querySelector(selector);
  const record = () => window.__courseInputs.push({t: performance.now(), text: readout.textContent});
  new MutationObserver(record).observe(readout, {characterData: true, childList: true, subtree: true});
  record();
}"""


def quantile(values, q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; values need not be sorted."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def painted_state(label: str) -> dict:
    try:
        return json.loads(label or "{}")
    except ValueError:
        return {}


def tolerance(text: str) -> float:
    """Half a unit of the readout's last decimal (a readout of 0.35 means 0.345 to 0.355)."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.51 * 10 ** -decimals


@dataclass
class DragResult:
    latencies_ms: list[float]   # one per value the slider showed during the drag
    settle_ms: float            # from the last value shown (the hand stops) to the frame showing it
    frames: int                 # frames put on screen during the drag
    values: int                 # values the slider showed

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return quantile(self.latencies_ms, 0.95)


def drag_latencies(inputs: list[dict], frames: list[dict], key: str, plot: str) -> DragResult:
    """Match each shown value to the first later frame that shows it (or one beyond it)."""
    number = re.compile(r"[-+−]?\d*\.?\d+(?:e[-+]?\d+)?", re.I)
    shown = []
    for item in inputs:
        found = number.search(item["text"].replace("−", "-"))
        if found and (not shown or shown[-1][2] != item["text"]):
            shown.append((item["t"], float(found.group()), item["text"]))
    own = [(f["t"], painted_state(f["label"]).get(key)) for f in frames if f["plot"] == plot]
    own = [(t, v) for t, v in own if v is not None]
    if len(shown) < 2:
        raise AssertionError(f"the slider showed {len(shown)} value(s) while dragged: {inputs[:3]}")
    direction = 1.0 if shown[-1][1] >= shown[0][1] else -1.0
    latencies = []
    for t, value, text in shown[1:]:
        tol = max(tolerance(text), 0.01 * abs(value))
        answer = next((ft for ft, fv in own if ft >= t and direction * (fv - value) >= -tol), None)
        if answer is None:
            raise AssertionError(f"no frame ever showed {key} = {text} (frames painted: {[v for _, v in own][-5:]})")
        latencies.append(answer - t)
    during = [ft for ft, _ in own if ft >= shown[0][0]]
    return DragResult(latencies, latencies[-1], len(during), len(shown) - 1)


@dataclass
class PlayResult:
    frames: int
    seconds: float
    steps: tuple[int, int]      # the step count painted in the first and the last frame

    @property
    def fps(self) -> float:
        return (self.frames - 1) / self.seconds if self.seconds > 0 and self.frames > 1 else 0.0


def play_rate(frames: list[dict], plot: str, since: float, until: float) -> PlayResult:
    own = [(f["t"], painted_state(f["label"]).get("step")) for f in frames
           if f["plot"] == plot and since <= f["t"] <= until]
    own = [(t, s) for t, s in own if s is not None]
    # Count frames that show a new step: a repeated picture is not progress.
    shown = [own[0]] if own else []
    for t, step in own[1:]:
        if step != shown[-1][1]:
            shown.append((t, step))
    if len(shown) < 2:
        return PlayResult(len(shown), 0.0, (shown[0][1], shown[0][1]) if shown else (0, 0))
    return PlayResult(len(shown), (shown[-1][0] - shown[0][0]) / 1000, (shown[0][1], shown[-1][1]))


def install(page) -> None:
    page.evaluate(HOOK_JS)


def drag(widget, part: str, key: str, *, start: float = 0.15, end: float = 0.85, moves: int = 40,
         pause_ms: float = 20, quiet_ms: float = 1500) -> DragResult:
    """Drag the slider ``part``'s handle from ``start`` to ``end`` (fractions of its track)
    in ``moves`` mouse moves ``pause_ms`` apart, like a hand; then time every value shown.

    ``key`` is the name of the slider's value in the painted state. Recorded in ``DRAGS``.
    """
    from browser_harness import DRAGS
    page = widget.page
    install(page)
    slider = widget.locator(part)
    slider.scroll_into_view_if_needed()           # mouse positions are in the viewport
    track, handle = slider.locator(".noUi-base").first, slider.locator(".noUi-handle").first
    box, knob = track.bounding_box(), handle.bounding_box()
    y = knob["y"] + knob["height"] / 2
    x0 = box["x"] + start * box["width"]
    page.mouse.move(knob["x"] + knob["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(x0, y, steps=4)                # take the handle to the start, then begin timing
    page.wait_for_timeout(quiet_ms)
    page.evaluate("() => { window.__courseInputs = []; window.__courseFrames = []; }")
    page.evaluate(WATCH_READOUT_JS, f"{widget.selector(part)} .widget-readout")
    for i in range(1, moves + 1):
        page.mouse.move(x0 + (end - start) * box["width"] * i / moves, y)
        page.wait_for_timeout(pause_ms)
    page.mouse.up()
    # The hand has stopped: wait for the frame that shows where it stopped (or give up after
    # 20 s; drag_latencies then names the value that was never drawn).
    for _ in range(200):
        page.wait_for_timeout(100)
        inputs, frames = page.evaluate("() => [window.__courseInputs, window.__courseFrames]")
        try:
            drag_latencies(inputs, frames, key, f"{widget.prefix or widget.name}-plot")
            break
        except AssertionError:
            continue
    page.wait_for_timeout(300)
    inputs, frames = page.evaluate("() => [window.__courseInputs, window.__courseFrames]")
    result = drag_latencies(inputs, frames, key, f"{widget.prefix or widget.name}-plot")
    DRAGS.setdefault((widget.name, part), []).append(result)
    return result


def play(widget, seconds: float, *, shots: tuple[float, ...] = ()) -> PlayResult:
    """Press Play, watch for ``seconds`` (screenshots at the given moments), press Pause.

    Returns the frames that showed a new step and their rate. Recorded in ``PLAYS``.
    """
    from browser_harness import PLAYS
    page = widget.page
    install(page)
    page.evaluate("() => { window.__courseFrames = []; }")
    button = widget.locator("play")               # a toggle button: the element itself
    button.click()
    since = page.evaluate("() => performance.now()")
    for moment in sorted(shots):
        page.wait_for_timeout(max(0, moment * 1000 - (page.evaluate("() => performance.now()") - since)))
        widget.screenshot(f"play-{moment:g}s")
    page.wait_for_timeout(max(0, seconds * 1000 - (page.evaluate("() => performance.now()") - since)))
    until = page.evaluate("() => performance.now()")
    if "Pause" in button.inner_text():
        button.click()
    frames = page.evaluate("() => window.__courseFrames")
    result = play_rate(frames, f"{widget.prefix or widget.name}-plot", since, until)
    PLAYS.setdefault(widget.name, []).append(result)
    return result


def live_report() -> list[str]:
    """The table of drags and Plays, ending on the one-line summary (empty without data)."""
    from browser_harness import DRAGS, PLAYS
    if not DRAGS and not PLAYS:
        return []
    lines = [f"{'widget':<18} {'dragged':<12} {'inputs':>6} {'frames':>6} {'median ms':>10} {'p95 ms':>7} "
             f"{'settle ms':>9}"]
    medians, p95s = [], []
    for (name, part), results in sorted(DRAGS.items()):
        latencies = [x for r in results for x in r.latencies_ms]
        median, p95 = statistics.median(latencies), quantile(latencies, 0.95)
        medians.append(median)
        p95s.append(p95)
        lines.append(f"{name:<18} {part:<12} {sum(r.values for r in results):>6} {sum(r.frames for r in results):>6} "
                     f"{median:>10.0f} {p95:>7.0f} {max(r.settle_ms for r in results):>9.0f}")
    fps = []
    if PLAYS:
        lines.append(f"{'widget':<18} {'Play':<12} {'frames':>6} {'seconds':>8} {'steps':>11} {'fps':>6}")
        for name, results in sorted(PLAYS.items()):
            frames, seconds = sum(r.frames for r in results), sum(r.seconds for r in results)
            rate = min(r.fps for r in results)
            fps.append(rate)
            steps = f"{results[-1].steps[0]}-{results[-1].steps[1]}"
            lines.append(f"{name:<18} {'playing':<12} {frames:>6} {seconds:>8.1f} {steps:>11} {rate:>6.1f}")
    lines.append(f"widget_latency_ms median_max={max(medians, default=0):.0f} p95_max={max(p95s, default=0):.0f} "
                 f"play_fps_min={min(fps, default=0):.1f}")
    return lines
