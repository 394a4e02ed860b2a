#!/bin/sh
# Usage (as root): classroom/add_learner.sh NAME
# A system account allowed on the hub, with nbgrader's instructor tools switched off for it
# (nbgrader's per-user way: `jupyter labextension disable --level=user`). Set its password
# with `passwd NAME`. CLASSROOM_VENV is the hub's environment, CLASSROOM_HOME_BASE where
# homes go (default /home), CLASSROOM_GROUP the group allowed to log in.
set -eu
name=$1
venv=${CLASSROOM_VENV:-/opt/learning-from-mistakes}
group=${CLASSROOM_GROUP:-learning-from-mistakes}
getent group "$group" >/dev/null || groupadd "$group"
useradd --create-home ${CLASSROOM_HOME_BASE:+--base-dir "$CLASSROOM_HOME_BASE"} --groups "$group" \
    --shell /bin/bash "$name"
home=$(getent passwd "$name" | cut -d: -f6)
as_user() { runuser -u "$name" -- env -i HOME="$home" PATH="$venv/bin:/usr/bin:/bin" "$@"; }
as_user jupyter labextension disable --level=user @jupyter/nbgrader:formgrader \
    @jupyter/nbgrader:create-assignment @jupyter/nbgrader:course-list >/dev/null
# `jupyter server extension disable --user` refuses an extension the environment enabled
# ("could not be found"); jupyter_server's own function writes the same per-user file.
as_user python -c 'import sys
from jupyter_server.extension.serverextension import toggle_server_extension_python as toggle
for name in sys.argv[1:]: toggle(name, False, user=True)' \
    nbgrader.server_extensions.formgrader nbgrader.server_extensions.course_list
echo "learner $name added (home $home)"
