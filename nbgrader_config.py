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
c.Execute.timeout = 60  # nbgrader's own kernel run (validate); autograde uses SandboxExecute
c.Execute.interrupt_on_timeout = True
# A learner who deleted a test cell gets it back, and graded, instead of "needs manual grade".
c.OverwriteCells.add_missing_cells = True

# ---- grading an instructor can trust (see course_utils/grading/) --------------------
# The learner's cells run in a sandbox process; graded test cells run in nbgrader's own
# process with the instructor's locked cells only, so nothing a learner writes (a patched
# np.allclose, a shadowed check, an object whose == is always true, sys.exit, os._exit)
# can change a verdict. Edited, deleted or duplicated locked cells are reported before
# nbgrader restores them. Feedback never shows hidden-test code.
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearOutput, GetGrades, IgnorePattern,
    LimitOutput, OverwriteKernelspec, SaveAutoGrades)

from course_utils.grading import (  # noqa: E402
    DeduplicateIds, HideHiddenTests, IntegrityCheck, KnownCellsOnly, OverwriteCellsSafely, SandboxExecute)

# KnownCellsOnly: nbgrader metadata the gradebook does not know (a cell the learner added)
# is removed first, so that cell runs as an ordinary one instead of stopping nbgrader;
# OverwriteCellsSafely restores a deleted test cell even when the cell before it is gone too.
c.Autograde.sanitize_preprocessors = [KnownCellsOnly, ClearOutput, IntegrityCheck, DeduplicateIds,
                                      OverwriteKernelspec, OverwriteCellsSafely, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [SandboxExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.SandboxExecute.timeout = 60          # seconds per cell, as c.Execute.timeout above
c.SandboxExecute.output_limit = 20000  # characters of printed output kept per cell
c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
# Feedback pages show what a learner wrote (markdown cells, HTML and markdown outputs): all of
# it goes through bleach (nbconvert's sanitiser) with the allow-list in feedback_html.py, so no
# script, event handler or javascript: link survives; with sanitize_html, nbconvert's template
# also leaves out JavaScript outputs and widget views. nbgrader's feedback template does not
# sanitise markdown cells itself: grading/templates/feedback/feedback_safe.html.j2 extends it to do so.
from course_utils.grading.feedback_html import FEEDBACK_TEMPLATE_DIRS  # noqa: E402

c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": "course_utils.grading.feedback_html.clean_html"}
c.HTMLExporter.template_name = "feedback"  # nbgrader's, found in the second of these folders
c.HTMLExporter.extra_template_basedirs = FEEDBACK_TEMPLATE_DIRS
c.HTMLExporter.template_file = "feedback_safe.html.j2"
