"""The course's grading system, for instructors only: the ``course`` command and what it runs.

Notebooks never import this subpackage (``course_utils`` itself holds only what they use), as
nbgrader keeps its exchange and preprocessors apart from the notebooks it grades:

* ``cli`` -- the ``course`` command (one sub-command per verb);
* ``collect`` -- submissions from a folder, a zip or an LMS download into ``submitted/``;
* ``lms`` -- Canvas and Moodle download layouts and rosters; ``export`` -- their grade files;
* ``autograde`` -- parallel, resumable grading over nbgrader, merged into the gradebook;
* ``preparation`` -- what a run reads and prepares first (submissions, checks, data);
* ``gradebook`` -- the gradebook on SQLite or PostgreSQL, and each job's private copy;
* ``jobserver`` -- one preloaded fork server running every worker's jobs;
* ``sandbox`` -- the namespaces and limits a student's kernel runs in; ``warmkernel`` and
  ``_kernel_client`` -- kernels forked, already warm, from one trusted process per run;
* ``grading`` -- nbgrader preprocessors (robust execution, stderr, feedback without tracebacks);
* ``report`` -- scores.csv and plots;
* ``lab`` -- JupyterLab in student or instructor mode (``jupyter_config/``);
* ``hub``, ``exchange`` -- ``course hub``: a JupyterHub for a class, with a private inbound
  folder per student.
"""
