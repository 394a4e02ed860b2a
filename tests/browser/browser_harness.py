"""What the browser tests share: servers, a widget driver, screenshots and latencies.

A widget test needs only a few lines, because every course widget follows one contract:
a CSS class on the widget's box (``valley``) and ``<box>-<part>`` on each control and
readout (``valley-train-step``, ``valley-readout``). ``Widget`` finds parts by that name,
sets sliders, text boxes and drop-downs the way a learner does (typing into them), reads
readouts as text or numbers, and times how long the page takes to redraw after an action.
"""
from __future__ import annotations

import os
import json
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kernel_sockets import LOCAL_SOCKET_KERNELS, short_enough, short_folder
from ports import free_port  # noqa: F401  (the browser tests import it from here)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium where apt installed it (these machines); Playwright's own browser where the
# platform lets it be downloaded at set-up (COURSE_BROWSER=playwright: GitHub's runners, whose
# apt `chromium` is only a stand-in for a snap).
PLAYWRIGHT_BROWSER = os.environ.get("COURSE_BROWSER") == "playwright"


def chromium_missing() -> str | None:
    """Why no browser can be launched here, or None."""
    if PLAYWRIGHT_BROWSER or CHROMIUM.exists():
        return None
    return f"no Chromium at {CHROMIUM} (`python3 course.py test` installs it as root)"


def launch_chromium(playwright):
    executable = {} if PLAYWRIGHT_BROWSER else {"executable_path": str(CHROMIUM)}
    return playwright.chromium.launch(args=CHROMIUM_FLAGS, **executable)
# Flags measured to work for Debian's Chromium under Playwright on these machines.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]

# (widget, action) -> seconds from the learner's action to the redrawn page.
LATENCIES: dict[tuple[str, str], list[float]] = {}
# (widget, slider) -> DragResult of every drag; widget -> PlayResult of every Play.
DRAGS: dict[tuple[str, str], list["DragResult"]] = {}
PLAYS: dict[str, list["PlayResult"]] = {}

NUMBER = re.compile(r"[-+−]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_numbers(text: str) -> list[float]:
    """Every number written in ``text`` (thousands separators and the minus sign − allowed)."""
    values = []
    for token in NUMBER.findall(text):
        token = token.replace("−", "-").replace(",", "")
        try:
            values.append(float(token))
        except ValueError:
            pass
    return values


def missing_numbers(text: str, expected, rel: float = 1e-2, abs_: float = 1e-2) -> list[float]:
    """The expected values that ``text`` does not state (to the given tolerance)."""
    stated = parse_numbers(text)
    return [value for value in expected
            if not any(abs(value - got) <= max(abs_, rel * abs(value)) for got in stated)]


def jupyter_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a server that reads and writes only temporary Jupyter folders.

    Its kernels use local sockets, not TCP ports (tests/kernel_sockets.py): their sockets are
    named after their connection files, in the runtime folder, which is therefore a short one.
    """
    folders = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_RUNTIME_DIR": "runtime", "JUPYTER_DATA_DIR": "data",
               "JUPYTERLAB_SETTINGS_DIR": "lab-settings", "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
               "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "matplotlib"}
    env = dict(os.environ)
    for variable, name in folders.items():
        (home / name).mkdir(parents=True, exist_ok=True)
        env[variable] = str(home / name)
    if short_enough():
        env["JUPYTER_RUNTIME_DIR"] = str(short_folder())
        for config in ("jupyter_server_config.json", "voila.json"):
            write_config(Path(env["JUPYTER_CONFIG_DIR"]) / config, LOCAL_SOCKET_KERNELS)
    env.pop("JUPYTER_PATH", None)
    env.update(extra)
    return env


def write_config(path: Path, config: dict) -> None:
    """Add ``config`` ({"Class": {"trait": value}}) to the JSON configuration file at ``path``."""
    merged = json.loads(path.read_text()) if path.exists() else {}
    for section, traits in config.items():
        merged.setdefault(section, {}).update(traits)
    path.write_text(json.dumps(merged, indent=1))


@dataclass
class Server:
    """A web server started in its own session, stopped through its own process group."""
    command: list[str]
    env: dict[str, str]
    log_path: Path
    port: int
    token: str
    cwd: Path = ROOT
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"

    def start(self, ready_path: str = "/", timeout: float = 90, tries: int = 3) -> "Server":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.close()
                if tries > 1 and "already in use" in self.log_tail():
                    # Someone took the free port between our look and the server's bind: take another.
                    old, self.port = self.port, free_port()
                    self.command = [arg.replace(f"={old}", f"={self.port}") for arg in self.command]
                    return self.start(ready_path, timeout, tries - 1)
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url(ready_path), timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not answering after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, grace: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self._log.close()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


# A preheated kernel is used once: Voilà would run the notebook again in a new kernel a
# second after (its pool refill), beside the widgets being timed. A day is "never" here.
NO_REFILL_SECONDS = 86_400


@dataclass
class VoilaServer(Server):
    """Voilà, with the notebooks in ``preheated`` run in a kernel of their own as it starts."""
    preheated: tuple[str, ...] = ()

    all_run: bool = False
    # What a wait that timed out found still running: the next caller (the widget tests, after
    # the preheat test has failed on it) does not wait the whole timeout again.
    given_up: list[str] | None = None

    def wait_until_preheated(self, timeout: float = 300, quiet_seconds: float = 1.0) -> list[str]:
        """Wait until Voilà has run every preheated notebook; return what it has not (after ``timeout``).

        Voilà logs a pool as filled once its kernel has started and the cells are under way;
        the cells are done when that kernel has stayed idle for ``quiet_seconds`` (its state,
        GET /api/kernels/<id>, read every 0.2 s: between two cells it is idle only for an instant).
        """
        if self.all_run:
            return []
        if self.given_up is not None:
            return self.given_up
        deadline, idle_since = time.monotonic() + timeout, {}
        while True:
            log = self.log_tail(10**7)
            waiting = [name for name in self.preheated if f"Kernel pool of {name}/{name}.ipynb is filled" not in log]
            if not waiting:
                now = time.monotonic()
                for kernel in re.findall(r"Kernel started: ([0-9a-f-]{36})", log)[:len(self.preheated)]:
                    if self._kernel_state(kernel) in ("idle", "gone"):
                        idle_since.setdefault(kernel, now)
                    else:
                        idle_since.pop(kernel, None)
                    if now - idle_since.get(kernel, now) < quiet_seconds:   # busy now, or idle too briefly
                        waiting.append(f"kernel {kernel}")
            if not waiting:
                self.all_run = True
                return waiting
            if time.monotonic() > deadline or (self.process and self.process.poll() is not None):
                self.given_up = waiting
                return waiting
            time.sleep(0.2)

    def _kernel_state(self, kernel: str) -> str:
        try:
            with urllib.request.urlopen(self.url(f"api/kernels/{kernel}"), timeout=5) as reply:
                return json.load(reply).get("execution_state", "unknown")
        except urllib.error.HTTPError as error:   # 404: shut down since (its page was closed)
            return "gone" if error.code == 404 else "unknown"
        except (urllib.error.URLError, OSError):
            return "unknown"

    def stop(self, grace: float = 5) -> None:
        # Voilà's shutdown also awaits its pending pool refills (NO_REFILL_SECONDS away): it has
        # shut its kernels down by then, so after a few seconds the process group is killed.
        super().stop(grace)


def voila_server(home: Path, preheat: tuple[str, ...] = ()) -> VoilaServer:
    """Voilà serving every solution notebook: /voila/render/NN_name/NN_name.ipynb.

    The notebooks named in ``preheat`` (e.g. "02_gradient_descent") are run at once, each in a
    kernel of its own (Voilà's preheated kernels), so their first page comes without waiting
    for the cells: the kernels run while the machine is busy with something else, and the page's
    widgets are ready when a test opens it. Any later page of the notebook gets a fresh kernel.
    """
    port, token = free_port(), secrets.token_hex(16)
    env = jupyter_env(home)
    if preheat:
        pools = {"default": {"pool_size": 0}, **{f"{name}/{name}.ipynb": {"pool_size": 1} for name in preheat}}
        config = {"VoilaConfiguration": {"preheat_kernel": True},
                  "VoilaKernelManager": {"kernel_pools_config": pools, "fill_delay": NO_REFILL_SECONDS}}
        write_config(Path(env["JUPYTER_CONFIG_DIR"]) / "voila.json", config)
    command = [sys.executable, "-m", "voila", str(SOLUTIONS), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
               "--Voila.port_retries=0", f"--token={token}", "--show_tracebacks=True"]
    return VoilaServer(command, env, home / "voila.log", port, token, preheated=tuple(preheat))


def notebook_path(name: str) -> Path:
    return SOLUTIONS / name / f"{name}.ipynb"


@dataclass
class Widget:
    """One widget on a page, reached through its CSS classes."""
    page: object
    name: str                      # the CSS class of the widget's box, e.g. "valley"
    notebook: str
    prefix: str | None = None      # the parts' classes are "<prefix>-<part>"; default: the box's class
    shots: list[Path] = field(default_factory=list)

    # ---- finding parts ---------------------------------------------------------------
    def selector(self, part: str | None = None) -> str:
        return f".{self.name}" if part is None else f".{self.prefix or self.name}-{part}"

    def locator(self, part: str | None = None):
        return self.page.locator(self.selector(part)).first

    def text(self, part: str) -> str:
        """What the learner reads in a readout (or a label, or a text box's value)."""
        element = self.locator(part)
        inner = element.locator("input[type=text], textarea")
        if inner.count():
            return inner.first.input_value()
        return element.inner_text().strip()

    def numbers(self, part: str) -> list[float]:
        return parse_numbers(self.text(part))

    def picture(self) -> str:
        """A fingerprint of what the widget draws: its plot images and canvases."""
        return self.page.evaluate(PICTURE_JS, self.selector())

    # ---- acting like a learner -------------------------------------------------------
    def click(self, part: str, *, timed: str | None = None, watch: tuple[str, ...] = (),
              picture: bool = True) -> float | None:
        button = self.locator(part)
        button = button.locator("button").first if button.locator("button").count() else button
        return self._act(lambda: button.click(), timed, watch, picture)

    def set(self, part: str, value, *, timed: str | None = None, watch: tuple[str, ...] = (),
            picture: bool = True) -> float | None:
        """Set a slider, text box, drop-down or toggle as a learner would, and wait for the kernel."""
        element = self.locator(part)
        readout = element.locator(".widget-readout")
        field_ = element.locator("input[type=text], input[type=number], textarea")
        select = element.locator("select")
        if readout.count():                    # a slider: type into its readout
            if parse_numbers(readout.first.inner_text()) == [float(value)]:
                return None                    # already there: nothing would change
            readout.first.click()
            readout.first.press("Control+A")
            readout.first.type(f"{value}")
            action = lambda: readout.first.press("Enter")  # noqa: E731
        elif field_.count():                   # a text box
            if field_.first.input_value() == str(value):
                return None
            field_.first.fill(str(value))
            action = lambda: field_.first.press("Enter")  # noqa: E731
        elif select.count():                   # a drop-down
            action = lambda: select.first.select_option(label=str(value))  # noqa: E731
        else:                                  # toggle buttons or radio buttons
            action = lambda: element.get_by_text(str(value), exact=True).first.click()  # noqa: E731
        return self._act(action, timed, watch, picture)

    def _act(self, action, timed: str | None, watch: tuple[str, ...], picture: bool = True) -> float | None:
        """Run ``action``; wait until every watched part (and, if asked, the picture) has changed."""
        selectors = [self.selector(part) for part in watch]
        before = self.page.evaluate(SNAPSHOT_JS, [self.selector(), selectors])
        start = time.perf_counter()
        action()
        if not watch and not timed:
            return None
        try:
            self.page.wait_for_function(CHANGED_JS, arg=[self.selector(), selectors, before, picture], polling=10,
                                        timeout=30_000)
        except Exception as error:
            if type(error).__name__ != "TimeoutError":
                raise
            now = self.page.evaluate(SNAPSHOT_JS, [self.selector(), selectors])
            raise AssertionError(
                f"{self.name}: no redraw within 30 s. Watched {list(watch)}: {before['texts']} -> {now['texts']}; "
                f"picture {'changed' if now['picture'] != before['picture'] else 'unchanged'}"
                f"{'' if picture else ' (not watched)'}") from None
        seconds = time.perf_counter() - start
        self.settle()
        if timed:
            LATENCIES.setdefault((self.name, timed), []).append(seconds)
        return seconds

    def settle(self, quiet: float = 0.15, timeout: float = 10) -> None:
        """Wait until the picture has not changed for ``quiet`` seconds (a redraw may come in two steps)."""
        deadline = time.monotonic() + timeout
        last, since = self.picture(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.03)
            now = self.picture()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def wait_for_text(self, part: str, pattern: str, timeout: float = 30) -> str:
        """Wait until the part's text matches ``pattern`` (a regular expression)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text(part)
            if re.search(pattern, text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.selector(part)} never matched {pattern!r}; it reads {text!r}")
            time.sleep(0.05)

    def screenshot(self, label: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.notebook}-{self.name}{'-' + label if label else ''}.png"
        self.locator().screenshot(path=str(path), animations="disabled")
        self.shots.append(path)
        return path


# A snapshot of the widget: the text of each watched part, and a fingerprint of its pictures.
PICTURE_JS = """(root) => {
  const box = document.querySelector(root);
  if (!box) return '';
  const hash = (text) => {  // FNV-1a over the whole image data
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return text.length + ':' + (h >>> 0).toString(16);
  };
  const parts = [];
  for (const img of box.querySelectorAll('img')) parts.push(hash(img.src));
  for (const c of box.querySelectorAll('canvas')) { try { parts.push(hash(c.toDataURL())); } catch (e) {} }
  for (const s of box.querySelectorAll('svg')) parts.push(hash(s.outerHTML));
  return parts.join('|');
}"""
SNAPSHOT_JS = """([root, selectors]) => {
  const picture = (""" + PICTURE_JS + """)(root);
  const texts = selectors.map(s => { const e = document.querySelector(s); return e ? e.innerText : null; });
  return {picture, texts};
}"""
# Changed = every watched text differs and is not blank, and the picture differs and is drawn.
CHANGED_JS = """([root, selectors, before, picture]) => {
  const now = (""" + SNAPSHOT_JS + """)([root, selectors]);
  const textsChanged = now.texts.every((t, i) => t && t.trim() && t !== before.texts[i]);
  const pictureChanged = !picture || before.picture === '' || (now.picture !== '' && now.picture !== before.picture);
  return textsChanged && pictureChanged;
}"""


def latency_report() -> list[str]:
    if not LATENCIES:
        return []
    lines = [f"{'widget':<18} {'action':<34} {'n':>3} {'median ms':>10} {'max ms':>8}"]
    for (widget, action), values in sorted(LATENCIES.items()):
        lines.append(f"{widget:<18} {action:<34} {len(values):>3} {statistics.median(values) * 1000:>10.0f} "
                     f"{max(values) * 1000:>8.0f}")
    return lines


LATENCY_PARTS = ARTIFACTS / "latency-parts"  # one file per xdist worker, merged by the controller


def write_latency_report(terminalreporter) -> None:
    """Print the latency tables at the end of the run and write latency.txt / latency.json."""
    from live_timing import live_report

    clicks, live = latency_report(), live_report()
    if not clicks and not live:
        return
    lines = []
    if clicks:
        lines += ["learner action -> redrawn widget", *clicks]
    if live:
        lines += ["input -> redraw while dragging, and frames a second while playing", *live]
    with open("/proc/loadavg") as load:
        lines.insert(0, f"machine load (1, 5, 15 min): {' '.join(load.read().split()[:3])}")
    terminalreporter.write_sep("-", "browser: widget latency (benchmark figures, not asserted)")
    for line in lines:
        terminalreporter.write_line(line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "latency.txt").write_text("\n".join(lines) + "\n")
    (ARTIFACTS / "latency.json").write_text(json.dumps({
        "clicks": {f"{widget}: {action}": values for (widget, action), values in sorted(LATENCIES.items())},
        "drags": {f"{widget}: {part}": [r.latencies_ms for r in results] for (widget, part), results in DRAGS.items()},
        "plays": {widget: [[r.frames, r.seconds] for r in results] for widget, results in PLAYS.items()}}, indent=1))


def merge_worker_latencies() -> bool:
    """Load the figures xdist workers left in LATENCY_PARTS (then remove them); True if any."""
    import pickle

    parts = sorted(LATENCY_PARTS.glob("*.pickle")) if LATENCY_PARTS.is_dir() else []
    for part in parts:
        latencies, drags, plays = pickle.loads(part.read_bytes())
        for mine, theirs in ((LATENCIES, latencies), (DRAGS, drags), (PLAYS, plays)):
            for key, values in theirs.items():
                mine.setdefault(key, []).extend(values)
        part.unlink()
    return bool(parts)
