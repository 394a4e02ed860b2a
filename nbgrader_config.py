"""nbgrader configuration for the course. Run nbgrader from this folder: it reads
this file only from the current directory."""
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "learning-from-mistakes"
c.CourseDirectory.source_directory = "solutions"   # instructor source, with solutions and hidden tests
c.CourseDirectory.release_directory = "notebooks"  # what learners get, generated and committed
# Everything about real learners stays in grading/, which git ignores.
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = "sqlite:///grading/gradebook.db"

# The release must not depend on who ran the source last.
c.ClearOutput.remove_metadata_fields = ["collapsed", "scrolled", "execution", "ExecuteTime", "deletable", "editable"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per cell, not per notebook. The longest graded cell (training in 07_mnist) takes
# about 15 s; 60 s leaves room for a slow machine while an endless loop in a learner's
# function still costs only that cell.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# A learner who deleted a test cell gets it back, and graded, instead of "needs manual grade".
c.OverwriteCells.add_missing_cells = True
