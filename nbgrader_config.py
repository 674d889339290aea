"""nbgrader configuration for the course (the repository root is the nbgrader course directory).

``solutions/`` holds the one source of every assignment (solution and hidden-test markers);
``notebooks/`` is the student release generated from it by ``make release``. Submissions,
autograded notebooks, feedback and ``gradebook.db`` are created next to them and never committed.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "audio-dl"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
# Only notebooks are part of an assignment; data are found through course_utils.data.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.png", "*.wav"]

# Generating the release: deterministic output, no execution, outputs cleared.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearOutput.enabled = True

# Autograding: a per-cell limit so that an endless loop costs minutes, not the evening.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
# nbgrader's own list, plus: a warning on stderr in a test cell does not cost its points (the
# tests fail by raising). `course autograde` uses the same list with RobustExecute for Execute.
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "course_utils.grader.grading.StderrIsNotFailure",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback never reveals hidden tests: their source is cleared, and the traceback of a failing
# grade cell (which would print the failing hidden line) is reduced to the error message.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "course_utils.grader.grading.HideTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
