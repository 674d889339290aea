"""The ``course`` command for instructors: a thin layer over nbgrader.

    course release [ASSIGNMENT...]           regenerate notebooks/ from solutions/
    course collect ASSIGNMENT FOLDER_OR_ZIP   import submissions (plain, Canvas, Moodle) into submitted/
    course autograde ASSIGNMENT [--jobs N]    grade every submission, N at a time, sandboxed
    course feedback ASSIGNMENT                feedback HTML without hidden tests
    course report ASSIGNMENT                  scores.csv and plots in reports/ASSIGNMENT/
    course export ASSIGNMENT --lms canvas     the grade file Canvas or Moodle imports
    course lab [--student]                    JupyterLab: instructor mode (formgrader) or student mode
    course hub start|stop|status              JupyterHub for a class on this server (root; docs/hub.md)

Run it in the course directory (the repository root) or pass ``--course DIR``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]


def _this_environment_on_path() -> None:
    """Put this environment's bin first on PATH, for this process and its children: nbgrader's
    gradebook runs ``alembic`` by name (in-process through its API, and in every nbgrader
    command), which fails when ``course`` is started as ``.venv/bin/course`` without the venv."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{path}"


def _nbgrader(course: Path, *args: str) -> int:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course).returncode


def _assignments(course: Path) -> list[str]:
    return sorted(p.name for p in (course / "solutions").glob("[0-9][0-9]_*") if p.is_dir())


def cmd_release(args) -> int:
    names = args.assignments or _assignments(args.course)
    unknown = sorted(set(names) - set(_assignments(args.course)))
    if unknown:
        print(f"course release: no solutions/ folder for {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in names:
        code = _nbgrader(args.course, "generate_assignment", name, "--force", "--log-level=WARN")
        if code:
            return code
    print(f"released: {', '.join(names)}")
    return 0


def cmd_collect(args) -> int:
    from .collect import collect

    report = collect(args.course, args.assignment, args.folder, force=args.force,
                     roster=args.roster, id_column=args.id_column)
    width = max((len(r.source) for r in report), default=6)
    for r in report:
        print(f"{r.source:<{width}}  {r.student:<16} {r.status:<9} {r.reason}")
    placed = sum(r.status in ("collected", "renamed") for r in report)
    print(f"{placed} of {len(report)} submissions placed in submitted/*/{args.assignment}/")
    return 0 if all(r.status != "rejected" for r in report) else 1


def cmd_export(args) -> int:
    from .export import export

    done = export(args.course, args.assignment, args.lms, roster=args.roster, out=args.out,
                  missing_as_zero=args.missing_as_zero, id_column=args.id_column,
                  column=args.column, key=args.moodle_key)
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {done.path}: {done.rows} rows, column {done.column!r}, {done.scored} scores, "
          f"{done.blank} left empty (no submission)")
    if done.unmatched:
        print(f"NOT in the file (graded, but not in the roster): {', '.join(done.unmatched)}",
              file=sys.stderr)
    return 1 if done.unmatched else 0


def cmd_autograde(args) -> int:
    from .autograde import autograde, summary_table

    results = autograde(args.course, args.assignment, jobs=args.jobs, students=args.student,
                        force=args.force, timeout=args.timeout, sandbox=not args.no_sandbox,
                        memory_mb=args.memory)
    print(summary_table(results))
    failed = [r.student for r in results if r.status == "failed"]
    if failed:
        print(f"NOT graded (see reasons): {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def cmd_feedback(args) -> int:
    return _nbgrader(args.course, "generate_feedback", args.assignment, "--force")


def cmd_report(args) -> int:
    from .report import report

    out = report(args.course, args.assignment, args.out)
    print(f"wrote {out / 'scores.csv'}, {out / 'score_distribution.png'}, {out / 'failure_rate.png'}")
    return 0


def cmd_lab(args) -> int:
    from .lab import launch

    launch(args.course, "student" if args.student else "instructor", port=args.port,
           open_browser=not args.no_browser, allow_root=args.allow_root)
    return 0  # not reached: launch() replaces this process by JupyterLab


def cmd_hub(args) -> int:
    from . import hub

    paths = hub.HubPaths(args.state) if args.state else hub.HubPaths.default(hub.course_id_of(args.course))
    if args.action == "start":
        students = hub.read_roster(args.roster) if args.roster else []
        started = time.monotonic()
        url = hub.start(args.course, args.instructor, students, paths, port=args.port, ip=args.ip,
                        prefix=args.groups)
        print(f"hub running at {url} ({len(students)} students, instructor {args.instructor}) "
              f"after {time.monotonic() - started:.1f} s; state in {paths.state}")
    elif args.action == "stop":
        killed = hub.stop(paths)
        if killed is None:
            print(f"no hub running (state {paths.state})")
        else:
            print("hub stopped" + (f"; still running afterwards, killed: {', '.join(killed)}" if killed else ""))
    else:
        print(hub.status(paths))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="course directory (default: the current one)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("collect", help="import a folder of submissions")
    p.add_argument("assignment")
    p.add_argument("folder", type=Path)
    p.add_argument("--force", action="store_true", help="replace submissions already collected")
    p.add_argument("--roster", type=Path, help="the LMS's class list as CSV (docs/lms.md)")
    p.add_argument("--id-column", help="roster column that becomes the nbgrader id "
                                       "(default: ID for Canvas, Email address for Moodle)")
    p.set_defaults(func=cmd_collect)
    p = sub.add_parser("export", help="grade import file for Canvas or Moodle")
    p.add_argument("assignment")
    p.add_argument("--lms", choices=("canvas", "moodle"), required=True)
    p.add_argument("--roster", type=Path, help="the LMS's class list as CSV (docs/lms.md)")
    p.add_argument("--id-column", help="roster column holding the nbgrader ids (as for collect)")
    p.add_argument("--out", type=Path, help="file to write (default reports/ASSIGNMENT/ASSIGNMENT_LMS.csv)")
    p.add_argument("--missing-as-zero", action="store_true",
                   help="0 for students without a submission (default: an empty cell)")
    p.add_argument("--column", help="grade column name (default: from the roster, else the assignment)")
    p.add_argument("--moodle-key", choices=("email", "idnumber"), default="email",
                   help="what Moodle matches students by (default email)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("autograde", help="grade every submission of an assignment")
    p.add_argument("assignment")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--force", action="store_true", help="regrade students already graded")
    p.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")
    p.add_argument("--memory", type=int, default=6144,
                   help="memory (address space) of a student's kernel, MB (default 6144)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student code without isolation (trusted submissions only)")
    p.set_defaults(func=cmd_autograde)
    p = sub.add_parser("feedback", help="feedback HTML for every graded student")
    p.add_argument("assignment")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("report", help="scores.csv and plots")
    p.add_argument("assignment")
    p.add_argument("--out", type=Path, default=None)
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("lab", help="JupyterLab on the course (instructor mode unless --student)")
    p.add_argument("--student", action="store_true",
                   help="student mode on notebooks/ (Validate only; the Assignment List where an "
                        "exchange exists), as make lab opens it")
    p.add_argument("--port", type=int, default=None, help="port (default: Jupyter's, 8888)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument("--allow-root", action="store_true", help="passed to JupyterLab (run as root)")
    p.set_defaults(func=cmd_lab)
    p = sub.add_parser("hub", help="JupyterHub for a class on this server (root; docs/hub.md)")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--roster", type=Path, help="student logins, one a line, or an LMS roster CSV")
    p.add_argument("--instructor", default=os.environ.get("SUDO_USER") or "instructor",
                   help="the account that owns the course and has the formgrader "
                        "(default: the sudo user, else 'instructor')")
    p.add_argument("--port", type=int, default=8000, help="public port (default 8000; +1, +2 internal)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--state", type=Path, help="state folder (default /var/lib/course-hub/COURSE_ID)")
    p.add_argument("--groups", help="prefix of the two groups (default: the course id)")
    p.set_defaults(func=cmd_hub)
    args = parser.parse_args(argv)
    _this_environment_on_path()
    args.course = args.course.resolve()
    if not (args.course / "nbgrader_config.py").is_file():
        parser.error(f"{args.course} is not a course directory (no nbgrader_config.py)")
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"course {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
