"""The tests' own kernels talk over local (Unix) sockets, so no two kernels can meet on a port.

    env = jupyter_env(home)              # browser_harness: a server's kernels use local sockets
    use_local_sockets_for_nbval()       # tests/conftest.py: so do nbval's kernels

A kernel started over TCP gets five port numbers from its manager, which finds each one free
with ``bind(("127.0.0.1", 0))``, closes the socket and writes the number into the kernel's
connection file; the kernel binds it a second or two later, once Python has imported it.
With several pytest workers starting kernels at once, another manager's ``bind(0)`` in that
second can pick the same free number: the later kernel dies at start ("Address already in
use"), and its page or notebook waits for it ("Kernel didn't respond in 60 seconds"). That
happened to a kernel Voilà started for the widget tests, which then waited ten minutes.
Local sockets are files with unique names, so that race is gone. (tests/ports.py keeps the
tests' own listeners out of the kernels' way; the graders' kernels run in a sandbox with a
network of its own.)

A socket's path may be at most 107 bytes, so each server (and each nbval kernel) gets a short
folder of its own under the temporary directory for its kernels' sockets; where even that
would be too long, kernels keep TCP.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

SOCKET_PATH_LIMIT = 107
FOLDER_NAME = len("/jupyter-kernels-12345678")   # mkdtemp's name: the prefix and 8 random characters
# "<folder>/kernel-<36-character id>-ipc-5": the longest path a server's kernel uses.
LONGEST_NAME = len("/kernel-00000000-0000-0000-0000-000000000000-ipc-5")


def short_enough() -> bool:
    """Whether sockets in a new folder under the temporary directory keep within the limit."""
    return len(tempfile.gettempdir()) + FOLDER_NAME + LONGEST_NAME <= SOCKET_PATH_LIMIT


def short_folder() -> Path:
    """A new folder for kernels' sockets under the temporary directory, removed when this process ends."""
    folder = Path(tempfile.mkdtemp(prefix="jupyter-kernels-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


# The configuration (for jupyter_server_config.json or voila.json) of a server whose kernels
# use local sockets: each kernel's sockets are named after its connection file.
LOCAL_SOCKET_KERNELS = {"KernelManager": {"transport": "ipc"}}


def use_local_sockets_for_nbval() -> None:
    """Make nbval start its kernels over local sockets, each in a short folder of its own.

    nbval has no option for the transport; it builds ``jupyter_client``'s KernelManager by name
    in ``nbval.kernel``, so that name is pointed at a subclass whose defaults say "ipc".
    """
    try:
        import nbval.kernel
        from jupyter_client.manager import KernelManager
        from traitlets import default
    except ImportError:
        return
    if getattr(nbval.kernel.KernelManager, "local_sockets", False):
        return

    class LocalSocketKernelManager(KernelManager):
        local_sockets = True

        @default("transport")
        def _default_transport(self) -> str:
            return "ipc" if short_enough() else "tcp"

        @default("ip")
        def _default_local_socket_prefix(self) -> str:
            # nbval's kernels have no connection file of their own to name the sockets after.
            return str(short_folder() / "kernel") if self.transport == "ipc" else super()._ip_default()

    nbval.kernel.KernelManager = LocalSocketKernelManager
