"""nbgrader settings everyone on the hub shares: the course and its exchange.

Install it as /etc/jupyter/nbgrader_config.py (or in CLASSROOM_JUPYTER_CONFIG, see
jupyterhub_config.py). The Assignment List of every learner and the instructor's
release_assignment / collect / release_feedback read it. The exchange is one folder
that every account may write to (mode 777, as nbgrader documents for a course on one
machine); nbgrader gives each course's inbound folder write-but-not-list rights, so a
learner cannot read another learner's submission.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "learning-from-mistakes"
c.Exchange.root = os.environ.get("CLASSROOM_EXCHANGE", "/srv/nbgrader/exchange")
