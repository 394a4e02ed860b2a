"""The kernels the tests start outside a sandbox use local sockets, so no port of theirs can be taken.

tests/kernel_sockets.py says why: a kernel over TCP is given free port numbers a second
before it binds them, and another worker's kernel can be given the same ones.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))

import kernel_sockets  # noqa: E402
from browser_harness import jupyter_env, voila_server  # noqa: E402


def test_a_server_started_by_the_tests_is_configured_for_local_socket_kernels(tmp_path):
    env = jupyter_env(tmp_path)
    config = Path(env["JUPYTER_CONFIG_DIR"])
    for name in ("jupyter_server_config.json", "voila.json"):
        assert json.loads((config / name).read_text())["KernelManager"]["transport"] == "ipc"
    # Each kernel's sockets are named after its connection file in the runtime folder.
    longest = Path(env["JUPYTER_RUNTIME_DIR"]) / "kernel-00000000-0000-0000-0000-000000000000-ipc-5"
    assert Path(env["JUPYTER_RUNTIME_DIR"]).is_dir()
    assert len(str(longest)) <= kernel_sockets.SOCKET_PATH_LIMIT


def test_voilas_preheat_configuration_keeps_the_local_sockets(tmp_path):
    server = voila_server(tmp_path, preheat=("01_loss",))
    config = json.loads((Path(server.env["JUPYTER_CONFIG_DIR"]) / "voila.json").read_text())
    assert config["KernelManager"]["transport"] == "ipc"
    assert config["VoilaConfiguration"]["preheat_kernel"] is True
    assert config["VoilaKernelManager"]["kernel_pools_config"]["01_loss/01_loss.ipynb"] == {"pool_size": 1}


def test_a_socket_path_past_the_limit_keeps_tcp(monkeypatch, tmp_path):
    deep = tmp_path / ("d" * 80)
    deep.mkdir()
    monkeypatch.setattr(kernel_sockets.tempfile, "tempdir", str(deep))
    assert not kernel_sockets.short_enough()
    env = jupyter_env(tmp_path / "home")
    assert env["JUPYTER_RUNTIME_DIR"] == str(tmp_path / "home" / "runtime")
    assert not any((tmp_path / "home" / "config").iterdir())


@pytest.mark.slow
def test_nbvals_kernel_answers_over_local_sockets():
    """The kernel nbval starts for a notebook (solutions/*.ipynb) is told no TCP port to bind.

    (It still binds one itself, for ipykernel's IOPub pipe, but there it takes whatever port is
    free at that moment, retrying if taken: nothing is handed over, so nothing can be lost.)
    """
    import nbval.kernel

    kernel_sockets.use_local_sockets_for_nbval()
    kernel = nbval.kernel.RunningKernel("python3")
    try:
        manager = kernel.km
        assert manager.transport == "ipc"
        sockets = Path(manager.ip).parent
        assert len(str(sockets)) + len("/kernel-5") <= kernel_sockets.SOCKET_PATH_LIMIT
        assert sorted(p.name for p in sockets.iterdir()) == [f"kernel-{n}" for n in range(1, 6)]
        info = manager.get_connection_info()
        for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            # ipc "ports" are the suffixes of the socket files, not TCP ports anyone could bind.
            assert 1 <= info[name] <= 5
        msg_id = kernel.kc.execute("import os; print(os.getpid())")
        reply = kernel.kc.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
    finally:
        kernel.stop()
