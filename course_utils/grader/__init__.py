"""The course's grading system, for instructors only: the ``course`` command and what it runs.

Notebooks never import this subpackage (``course_utils`` itself holds only what they use), as
nbgrader keeps its exchange and preprocessors apart from the notebooks it grades:

* ``cli`` -- the ``course`` command (one sub-command per verb);
* ``collect`` -- submissions from a folder or a zip into ``submitted/``;
* ``autograde`` -- parallel, resumable grading over nbgrader, merged into the gradebook;
* ``jobserver`` -- one preloaded fork server per grading worker;
* ``sandbox`` -- the namespaces and limits a student's kernel runs in;
* ``grading`` -- nbgrader preprocessors (robust execution, stderr, feedback without tracebacks);
* ``report`` -- scores.csv and plots.
"""
