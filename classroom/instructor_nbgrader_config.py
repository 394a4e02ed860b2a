"""The instructor's nbgrader settings: their course folder, graded with the course's protections.

Install it as ~instructor/.jupyter/nbgrader_config.py (add_instructor.sh does). The
course folder is the instructor's own copy of the course (solutions/, notebooks/ and
the repository's nbgrader_config.py); formgrader, which runs in the instructor's own
JupyterLab from their home folder, grades there with the course's sandboxed
preprocessors, exactly as `nbgrader autograde` run inside the folder does.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

COURSE = os.path.expanduser("~/learning-from-mistakes")
c.CourseDirectory.root = COURSE
load_subconfig(os.path.join(COURSE, "nbgrader_config.py"))  # noqa: F821 (traitlets) the course's grading
# The course's gradebook path is relative to the folder nbgrader runs in; formgrader
# runs from the home folder, so give it the absolute path.
c.CourseDirectory.db_url = f"sqlite:///{COURSE}/grading/gradebook.db"
