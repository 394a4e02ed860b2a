"""A class on this machine for the JupyterHub test: accounts, the hub, and clean-up.

    room = Classroom.create()            # group, exchange, hub config dir, all under /tmp
    room.add("instructor", "instructor") # system account, via classroom/add_instructor.sh
    room.start()                         # jupyterhub -f classroom/jupyterhub_config.py on 127.0.0.1
    room.run_as("...", "nbgrader", ...)  # a command as that user, in their course folder
    room.close()                         # hub, proxy, servers stopped by process group; accounts gone

Everything lives in one folder made with mkdtemp (pytest's own tmp folders are private
to root, and the accounts must reach their homes and the exchange), with unique names
for the group and the accounts, so two runs never meet.
"""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from ports import free_port
from shared_python import shared_environment

ROOT = Path(__file__).resolve().parents[2]
CLASSROOM = ROOT / "classroom"
PROXY_BIN = Path.home() / ".cache" / "learning-from-mistakes" / "configurable-http-proxy" / "node_modules" / ".bin"


def proxy_command() -> str | None:
    """configurable-http-proxy, as `course.py test` installs it with npm, or on PATH."""
    cached = PROXY_BIN / "configurable-http-proxy"
    return str(cached) if cached.exists() else shutil.which("configurable-http-proxy")


class Classroom:
    def __init__(self, state: Path, tag: str):
        self.state, self.tag = state, tag
        self.group = f"lfm{tag}"
        self.exchange = state / "exchange"
        self.config_dir = state / "etc" / "jupyter"
        self.homes = state / "home"
        self.users: dict[str, str] = {}  # name -> password
        self.hub: subprocess.Popen | None = None
        self.port = free_port()
        self.bin = shared_environment(state)  # the course's commands, runnable by every account

    @classmethod
    def create(cls) -> "Classroom":
        state = Path(tempfile.mkdtemp(prefix="lfm-hub-", dir="/tmp"))
        state.chmod(0o755)
        room = cls(state, secrets.token_hex(3))
        room.homes.mkdir()
        room.homes.chmod(0o755)
        room.exchange.mkdir()
        room.exchange.chmod(0o777)  # nbgrader: the exchange is writable by every account
        room.config_dir.mkdir(parents=True)
        shutil.copy(CLASSROOM / "nbgrader_config.py", room.config_dir)
        for folder in (state / "etc", room.config_dir):
            folder.chmod(0o755)
        (room.config_dir / "nbgrader_config.py").chmod(0o644)
        return room

    @property
    def env(self) -> dict[str, str]:
        """What the hub and the instructor's commands see: the classroom's settings."""
        return {"CLASSROOM_GROUP": self.group, "CLASSROOM_EXCHANGE": str(self.exchange),
                "CLASSROOM_JUPYTER_CONFIG": str(self.config_dir), "CLASSROOM_VENV": str(self.bin.parent),
                "CLASSROOM_HOME_BASE": str(self.homes), "CLASSROOM_COURSE": str(ROOT)}

    def name(self, role: str) -> str:
        return f"lfm{self.tag}{role}"

    def add(self, role: str, kind: str) -> str:
        """A system account (``kind`` is "learner" or "instructor") with a random password."""
        name, password = self.name(role), secrets.token_urlsafe(12)
        script = CLASSROOM / f"add_{kind}.sh"
        self.users[name] = password  # recorded first: a half-made account is removed too
        subprocess.run([str(script), name], env=dict(os.environ, **self.env), check=True,
                       capture_output=True, text=True)
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        home = self.home(name)
        # JupyterLab's news pop-up would cover the page in the screenshots.
        settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        self.run_as(name, "mkdir", "-p", str(settings), cwd=home)
        self.run_as(name, "sh", "-c", f"echo '{{\"fetchNews\": \"false\", \"checkForUpdates\": false}}' "
                    f"> {settings / 'notification.jupyterlab-settings'}", cwd=home)
        return name

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)

    def run_as(self, name: str, *command: str, cwd: Path | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess:
        """Run ``command`` as ``name``, with the classroom's settings and the venv on PATH."""
        entry = pwd.getpwnam(name)
        env = {"HOME": entry.pw_dir, "USER": name, "LOGNAME": name,
               "PATH": f"{self.bin}{os.pathsep}/usr/bin:/bin", "JUPYTER_CONFIG_PATH": str(self.config_dir),
               "CLASSROOM_EXCHANGE": str(self.exchange)}
        result = subprocess.run(list(command), cwd=cwd or entry.pw_dir, env=env, user=entry.pw_uid,
                                group=entry.pw_gid, extra_groups=[], capture_output=True, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} as {name} failed ({result.returncode}):\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    # ---- the hub ------------------------------------------------------------------------

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self, timeout: float = 90) -> None:
        hub_state = self.state / "hub"
        hub_state.mkdir()
        proxy = proxy_command()
        env = dict(os.environ, **self.env)
        env["PATH"] = f"{Path(proxy).parent}{os.pathsep}{self.bin}{os.pathsep}{env.get('PATH', '')}"
        command = [str(self.bin / "jupyterhub"), "-f", str(CLASSROOM / "jupyterhub_config.py"),
                   f"--JupyterHub.bind_url=http://127.0.0.1:{self.port}",
                   f"--JupyterHub.hub_bind_url=http://127.0.0.1:{free_port()}",
                   f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
                   f"--ConfigurableHTTPProxy.pid_file={hub_state / 'proxy.pid'}",
                   f"--JupyterHub.db_url=sqlite:///{hub_state / 'jupyterhub.sqlite'}",
                   f"--JupyterHub.cookie_secret_file={hub_state / 'cookie_secret'}"]
        self.log = hub_state / "hub.log"
        with open(self.log, "w") as log:
            self.hub = subprocess.Popen(command, cwd=hub_state, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.hub.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.hub.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("hub/api"), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the hub did not answer in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if getattr(self, "log", None) else ""

    # ---- clean-up -----------------------------------------------------------------------

    def _our_processes(self) -> list[int]:
        """Processes of our accounts or of the hub's session (the proxy, the servers)."""
        uids = set()
        for name in self.users:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                pid = int(entry.name)
                if entry.stat().st_uid in uids or (self.hub and os.getsid(pid) == self.hub.pid):
                    found.append(pid)
            except (OSError, ProcessLookupError):
                continue
        return found

    def _signal_groups(self, pids: list[int], sig: int) -> None:
        for pid in pids:
            try:
                os.killpg(os.getpgid(pid), sig)
            except (ProcessLookupError, PermissionError):
                pass

    def stop(self) -> None:
        """The hub first (it stops the servers and the proxy), then whatever is left."""
        if self.hub and self.hub.poll() is None:
            os.killpg(self.hub.pid, signal.SIGTERM)
            try:
                self.hub.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.hub.pid, signal.SIGKILL)
                self.hub.wait()
        pid_file = self.state / "hub" / "proxy.pid"
        left = self._our_processes()
        if pid_file.exists() and pid_file.read_text().strip().isdigit():
            left.append(int(pid_file.read_text().strip()))
        self._signal_groups(left, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self._our_processes() and time.monotonic() < deadline:
            time.sleep(0.2)
        self._signal_groups(self._our_processes(), signal.SIGKILL)

    def close(self) -> None:
        try:
            self.stop()
            self.left_running = self._our_processes()  # checked by the test: should be none
        finally:
            for name in self.users:
                subprocess.run(["userdel", "--remove", name], capture_output=True)
            subprocess.run(["groupdel", self.group], capture_output=True)
            shutil.rmtree(self.state, ignore_errors=True)
