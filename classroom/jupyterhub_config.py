"""JupyterHub for one class of Learning from Mistakes on one machine.

    sudo /opt/learning-from-mistakes/bin/jupyterhub -f classroom/jupyterhub_config.py

Everyone logs in with their system account (PAM); members of the Unix group
``learning-from-mistakes`` may log in (``classroom/add_learner.sh`` and
``add_instructor.sh`` put them there). Each gets their own JupyterLab, run as their
own user from the environment this hub runs in, so the course's helper package,
nbgrader and its Assignment List are there for everyone. Which nbgrader tools a person
sees is their own per-user Jupyter setting: learners have formgrader, create-assignment
and the course list switched off, the instructor has them on (nbgrader's "one class,
one grader" set-up).

Settings a test or a second class changes without editing this file:
``CLASSROOM_GROUP`` (the Unix group allowed to log in), ``CLASSROOM_EXCHANGE`` (the
nbgrader exchange, read by classroom/nbgrader_config.py) and ``CLASSROOM_JUPYTER_CONFIG``
(a folder put on every single-user server's Jupyter config path, where the hub's
nbgrader_config.py lives when it is not in /etc/jupyter).
"""
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub)

BIN = Path(sys.executable).parent  # the environment JupyterHub itself runs in

c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.allowed_groups = {os.environ.get("CLASSROOM_GROUP", "learning-from-mistakes")}

c.JupyterHub.spawner_class = "localprocess"  # one process per person, as that system user
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"  # nbgrader fetches assignments into the learner's home
c.Spawner.http_timeout = 120  # a first JupyterLab start on a busy machine takes a while

# nbgrader runs `alembic` and the kernel from this environment: it comes first on PATH.
environment = {"PATH": f"{BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin"}
for name in ("CLASSROOM_EXCHANGE",):
    if name in os.environ:
        environment[name] = os.environ[name]
if "CLASSROOM_JUPYTER_CONFIG" in os.environ:
    environment["JUPYTER_CONFIG_PATH"] = os.environ["CLASSROOM_JUPYTER_CONFIG"]
c.Spawner.environment = environment

# Servers stop with the hub (`cleanup_servers`, the default): a restarted hub starts clean.
c.JupyterHub.cleanup_servers = True
