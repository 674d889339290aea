"""nbgrader's file-system exchange with one private inbound folder per student (``course hub``).

nbgrader's default exchange has one shared ``inbound/`` that every user may write (mode 0733):
students cannot list it, but anyone can create ``alice+02_stft+<later timestamp>`` in it, and
``nbgrader collect`` takes the student id from that name (``CollectApp.check_owner`` only logs a
warning), so the newest folder "named alice" is graded as Alice's work, whoever wrote it. Here:

* ``inbound/`` belongs to the instructor (mode 0751: students may pass through, not list or write);
  ``inbound/<student>/`` is created by ``course hub start`` for each student of the roster, owned
  by that student, group ``<course>-instructors``, mode 2770: only its owner (and the instructors)
  can enter it, so nobody can read, list, overwrite or add another student's submission;
* ``Submit`` writes into the submitting user's own folder and refuses ``--student`` other than
  oneself (the file system would refuse anyway);
* ``Collect`` reads the per-student folders and takes a submission only when the folder's owner,
  the folder's name and the id in the submission's name agree (anything else is skipped with a
  warning, never graded);
* every class checks that the exchange root exists instead of creating it world-writable (nbgrader's
  ``ReleaseAssignment.ensure_root`` chmods it to 0777).

Released assignments (``outbound/``) stay readable by all, as nbgrader makes them. Feedback stays in
nbgrader's ``feedback/`` (mode 0711, not listable), each file named by a hash of the secret written
into that student's own submission, which only that student (and the instructors) can read.

Enabled by ``course_utils.grader.hub.exchange_config()`` lines in an nbgrader config (``course hub
start`` writes them into the servers' Jupyter config).
"""

from __future__ import annotations

import glob
import os
import pwd

from nbgrader.exchange import default
from nbgrader.utils import get_username

from .hub import inbound_folder

__all__ = ["Collect", "FetchAssignment", "FetchFeedback", "List", "ReleaseAssignment",
           "ReleaseFeedback", "Submit"]


class _ExistingRoot:
    """The exchange root is made by ``course hub start``; nbgrader must never create or chmod it."""

    def ensure_root(self):
        if not (os.path.isdir(self.root) and os.access(self.root, os.X_OK)):
            self.fail(f"The course exchange {self.root} does not exist or is closed to you: ask your "
                      "instructor (`course hub start` creates it).")


class ReleaseAssignment(_ExistingRoot, default.ExchangeReleaseAssignment):
    """nbgrader's release into ``outbound/``, without re-opening the exchange root."""


class FetchAssignment(_ExistingRoot, default.ExchangeFetchAssignment):
    """nbgrader's fetch from ``outbound/``."""


class List(_ExistingRoot, default.ExchangeList):
    """nbgrader's list of released and (from the student's own cache) submitted assignments."""


class ReleaseFeedback(_ExistingRoot, default.ExchangeReleaseFeedback):
    """nbgrader's release of feedback, each file named by its submission's secret."""


class FetchFeedback(_ExistingRoot, default.ExchangeFetchFeedback):
    """nbgrader's fetch of one's own feedback (found through the secrets in one's own cache)."""


class Submit(_ExistingRoot, default.ExchangeSubmit):
    """Submit into ``inbound/<me>/``; only as oneself."""

    def init_dest(self):
        me = get_username()
        if self.coursedir.student_id not in ("*", "", me):
            self.fail(f"You can only submit as yourself ({me}), not as {self.coursedir.student_id!r}.")
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        if not self.authenticator.has_access(me, self.coursedir.course_id):
            self.fail("You do not have access to this course.")
        self.inbound_path = inbound_folder(self.root, self.coursedir.course_id, me)
        if not os.access(self.inbound_path, os.W_OK | os.X_OK):
            self.fail(f"You have no inbound folder for this course ({self.inbound_path}): ask your "
                      "instructor to add you to the roster.")
        self.cache_path = os.path.join(self.cache, self.coursedir.course_id)
        self.coursedir.student_id = me
        stamp = f"{me}+{self.coursedir.assignment_id}+{self.timestamp}"
        if self.add_random_string:
            stamp += "+" + os.urandom(9).hex()
        self.assignment_filename = stamp

    def copy_files(self):
        super().copy_files()
        # nbgrader leaves the submission folder 0777 for a shared inbound; ours is private anyway.
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), 0o770)


class Collect(_ExistingRoot, default.ExchangeCollect):
    """Collect from the per-student folders, trusting only submissions their owner made."""

    def init_src(self):
        super().init_src()  # checks the course and reads the due date; finds nothing at the top
        if self.src_records:
            self.log.warning("Ignoring %d submissions at the top of %s (students cannot write there)",
                             len(self.src_records), self.inbound_path)
        wanted = self.coursedir.student_id or "*"
        self.src_records = []
        for folder in sorted(glob.glob(os.path.join(self.inbound_path, "*", ""))):
            student = os.path.basename(os.path.dirname(folder))
            if wanted != "*" and student != wanted:
                continue
            owner = pwd.getpwuid(os.stat(folder).st_uid).pw_name
            if owner != student:
                self.log.warning("Skipping %s: owned by %s, not by %s", folder, owner, student)
                continue
            records = []
            for path in glob.glob(os.path.join(folder, f"*+{self.coursedir.assignment_id}+*")):
                record = self._path_to_record(path)
                if record["username"] != student:
                    self.log.warning("Skipping %s: named for %s inside %s's folder", path,
                                     record["username"], student)
                    continue
                records.append(dict(record, filename=os.path.join(student, record["filename"])))
            if records:
                self.src_records.append(self._choose(records))

    def _choose(self, records: list[dict]) -> dict:
        """The newest submission, or with ``--before-duedate`` the newest one before the due date."""
        records = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            on_time = [r for r in records if r["timestamp"] <= self.duedate]
            if on_time:
                return on_time[0]
        return records[0]
