#!/bin/sh
# Usage (as root): classroom/add_instructor.sh NAME
# The instructor's account: allowed on the hub, nbgrader's instructor tools switched on
# for it, their own copy of the course in ~/learning-from-mistakes and
# ~/.jupyter/nbgrader_config.py pointing formgrader there. Set the password with `passwd NAME`.
# Same variables as add_learner.sh; CLASSROOM_COURSE is the course to copy (default: this
# repository).
set -eu
name=$1
here=$(cd "$(dirname "$0")" && pwd)
venv=${CLASSROOM_VENV:-/opt/learning-from-mistakes}
group=${CLASSROOM_GROUP:-learning-from-mistakes}
course=${CLASSROOM_COURSE:-$(dirname "$here")}
getent group "$group" >/dev/null || groupadd "$group"
useradd --create-home ${CLASSROOM_HOME_BASE:+--base-dir "$CLASSROOM_HOME_BASE"} --groups "$group" \
    --shell /bin/bash "$name"
home=$(getent passwd "$name" | cut -d: -f6)
as_user() { runuser -u "$name" -- env -i HOME="$home" PATH="$venv/bin:/usr/bin:/bin" "$@"; }
as_user mkdir -p "$home/learning-from-mistakes/grading" "$home/.jupyter"
# solutions/ (with the hidden tests) stays readable by the instructor only.
chmod 700 "$home"
# Everything `python3 course.py grade ...` needs, so `--jobs N` works there too.
for part in solutions notebooks nbgrader_config.py course.py pyproject.toml README.md GLOSSARY.md course_utils; do
    cp -R "$course/$part" "$home/learning-from-mistakes/"
done
cp "$here/instructor_nbgrader_config.py" "$home/.jupyter/nbgrader_config.py"
chown -R "$name:$name" "$home/learning-from-mistakes" "$home/.jupyter"
as_user jupyter labextension enable --level=user @jupyter/nbgrader:formgrader \
    @jupyter/nbgrader:create-assignment @jupyter/nbgrader:course-list >/dev/null
# `jupyter server extension enable --user` refuses an extension the environment enabled
# ("could not be found"); jupyter_server's own function writes the same per-user file.
as_user python -c 'import sys
from jupyter_server.extension.serverextension import toggle_server_extension_python as toggle
for name in sys.argv[1:]: toggle(name, True, user=True)' \
    nbgrader.server_extensions.formgrader nbgrader.server_extensions.course_list
echo "instructor $name added (course folder $home/learning-from-mistakes)"
