"""A class through an LMS: Canvas and Moodle downloads collected, grade files exported.

Fixtures are built here from the formats as the LMSs' sources write them (docs/lms.md): Canvas's
``lib/content_zipper.rb`` and gradebook export, Moodle's ``mod/assign`` download and grading
worksheet, with invented students. The round trip (roster -> collect -> autograde -> export) runs
the real ``course`` command on the toy assignments.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_utils.grader.collect import collect
from course_utils.grader.export import export
from test_instructor import SANDBOX_OK, course_cmd, needs_sandbox, totals
from toy_course import make_course, toy_notebook, write_class

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "90_toy (123456)",
                 "91_toy (123457)", "Current Score"]


def released_course(tmp_path: Path) -> Path:
    """The toy course with its release in notebooks/ (what collect needs; no gradebook)."""
    course = make_course(tmp_path)
    for a in ("90_toy", "91_toy"):
        (course / "notebooks" / a).mkdir(parents=True)
        shutil.copy(course / "solutions" / a / f"{a}.ipynb", course / "notebooks" / a)
    return course


def notebook(tag: str) -> str:
    """A notebook whose content says who it came from."""
    nb = toy_notebook("90_toy")
    nb.cells[0].source = f"# {tag}"
    return nbformat.writes(nb)


def write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def canvas_roster(path: Path, students: list[tuple[str, str, str]], points: str = "3") -> Path:
    """Canvas's gradebook export: header, "Manual Posting" and "Points Possible" rows, students
    (name as "Last, First", Canvas user id, SIS login), the test student last."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:  # Canvas writes a BOM
        w = csv.writer(f)
        w.writerow(CANVAS_HEADER)
        w.writerow(["", "", "", "", "", "Manual Posting", "", ""])
        w.writerow(["    Points Possible", "", "", "", "", points, "3", "(read only)"])
        for name, uid, login in students:
            w.writerow([name, uid, f"S{uid}", login, "Seminar A", "", "", ""])
        w.writerow(["Student, Test", "99999", "", "", "Seminar A", "", "", ""])
    return path


def moodle_worksheet(path: Path, students: list[tuple[str, str, str]]) -> Path:
    """The assignment's grading worksheet: participant id, full name, email."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                    "Feedback comments"])
        for pid, name, email in students:
            w.writerow([f"Participant {pid}", name, email, "Submitted for grading", "", "3.00", "Yes",
                        "Monday, 30 November 2026, 9:12 AM", "-", ""])
    return path


def by_source(report):
    return {r.source: r for r in report}


def test_canvas_download_is_collected_by_ids(tmp_path):
    """Canvas file names: ids decide (two Jane Does), LATE and -1 are read, accents kept, a
    student's zip opened; every other file is rejected with its reason."""
    course = released_course(tmp_path)
    roster = canvas_roster(tmp_path / "grades.csv", [
        ("Doe, Jane", "1001", "jdoe1"), ("Doe, Jane", "1002", "jdoe2"), ("Müller, José", "1003", "jmuller"),
        ("Smith, Bob", "1004", "bsmith"), ("Lee, Ann", "1005", "alee"), ("Kim, Yu", "1006", "ykim"),
        ("Ng, Tom", "1007", "tng"), ("Wu, Li", "1008", "lwu"), ("Team, Alpha", "1009", "talpha"),
        ("Park, Jin", "1010", "jpark")])
    inner = write_zip(tmp_path / "inner.zip", {"work/90_toy.ipynb": notebook("tom")}).read_bytes()
    download = write_zip(tmp_path / "submissions.zip", {
        "doejane_1001_5001_90_toy.ipynb": notebook("jane one"),
        "doejane_LATE_1002_5002_90_toy-1.ipynb": notebook("jane two"),
        "müllerjosé_1003_5003_homework.ipynb": notebook("josé"),
        "smithbob_1004_5004_90_toy.ipynb": notebook("bob"),
        "smithbob_1004_5005_report.pdf": b"%PDF-1.4",
        "leeann_1005_5006_a.ipynb": notebook("ann a"),
        "leeann_1005_5007_b.ipynb": notebook("ann b"),
        "kimyu_1006_5008_91_toy.ipynb": notebook("yu"),
        "ghostcasper_4242_5009_90_toy.ipynb": notebook("nobody"),
        "anon_x7k2p_5010_90_toy.ipynb": notebook("anonymous"),
        "ngtom_1007_5011_90_toy.zip": inner,
        "wuli_1008_text.html": "<p>my answer</p>",
        "groupalpha_1009_5012_90_toy.ipynb": notebook("alpha"),
        "parkjin_1010_5013_90_toy.ipynb": notebook("jin"),
        "parkjin_1010_5014_scratch.ipynb": notebook("jin's scratch"),
    })
    report = collect(course, "90_toy", download, roster=roster, id_column="SIS Login ID")
    r = by_source(report)

    def submitted(student):
        return (course / "submitted" / student / "90_toy" / "90_toy.ipynb").read_text()

    assert "# jane one" in submitted("jdoe1") and "# jane two" in submitted("jdoe2")
    assert r["doejane_LATE_1002_5002_90_toy-1.ipynb"].status == "collected"
    assert "late on Canvas" in r["doejane_LATE_1002_5002_90_toy-1.ipynb"].reason
    assert "late" not in r["doejane_1001_5001_90_toy.ipynb"].reason
    assert r["müllerjosé_1003_5003_homework.ipynb"].status == "renamed" and "# josé" in submitted("jmuller")
    assert "# bob" in submitted("bsmith") and "# tom" in submitted("tng")
    assert r["smithbob_1004_5005_report.pdf"].status == "rejected"
    assert "not a notebook" in r["smithbob_1004_5005_report.pdf"].reason
    ann = r["leeann_1005_5006_a.ipynb (+1)"]
    assert ann.status == "rejected" and "two notebooks" in ann.reason and not (course / "submitted" / "alee").exists()
    assert r["kimyu_1006_5008_91_toy.ipynb"].status == "rejected"
    assert "wrong assignment" in r["kimyu_1006_5008_91_toy.ipynb"].reason
    assert "unknown student" in r["ghostcasper_4242_5009_90_toy.ipynb"].reason
    assert "anonymous" in r["anon_x7k2p_5010_90_toy.ipynb"].reason
    assert r["wuli_1008_text.html"].status == "rejected" and "not a notebook" in r["wuli_1008_text.html"].reason
    assert r["(canvas 1008: no notebook)"].status == "missing"  # recorded, so graded 0 with the reason
    assert r["groupalpha_1009_5012_90_toy.ipynb"].status == "collected"  # the id decides ...
    assert "group" in r["groupalpha_1009_5012_90_toy.ipynb"].reason  # ... the other name is noted
    # Canvas's zip holds no submission time: no timestamp.txt, so nbgrader applies no lateness
    assert not list((course / "submitted").glob("*/90_toy/timestamp.txt"))
    placed = {p.parent.parent.name for p in (course / "submitted").glob("*/90_toy/90_toy.ipynb")}
    jin = r["parkjin_1010_5013_90_toy.ipynb (+1)"]  # the assignment's notebook wins, the other is named
    assert jin.status == "collected" and "also found scratch.ipynb" in jin.reason and "# jin" in submitted("jpark")
    assert "also found" not in r["müllerjosé_1003_5003_homework.ipynb"].reason
    assert placed == {"jdoe1", "jdoe2", "jmuller", "bsmith", "tng", "talpha", "jpark"}
    assert len(report) == 14  # one line per file or student: nothing dropped silently

    proc = course_cmd(course, "collect", "91_toy", str(download), "--roster", str(roster), check=False)
    assert proc.returncode == 1, proc.stdout  # rejected files make the command fail
    assert (course / "submitted" / "1006" / "91_toy" / "91_toy.ipynb").is_file()  # default id: Canvas ID


def test_canvas_names_without_utf8_flag_and_unpacked_folder(tmp_path):
    """A zip writer that stores UTF-8 names without the UTF-8 flag (rubyzip's default) still gives
    the right names; an unpacked download folder is recognised as the zip is."""
    course = released_course(tmp_path)
    name = "müllerjosé_1003_5003_90_toy.ipynb"
    path = write_zip(tmp_path / "raw.zip", {name: notebook("josé")})
    data = bytearray(path.read_bytes())
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # clear bit 11 (UTF-8) in both headers
        i = data.find(sig)
        data[i + at + 1] &= ~0x08 & 0xFF
    path.write_bytes(bytes(data))
    assert not zipfile.ZipFile(path).infolist()[0].flag_bits & 0x800
    report = collect(course, "90_toy", path)
    assert [(r.source, r.student, r.status) for r in report] == [(name, "1003", "collected")]

    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "doejane_LATE_1001_5001_90_toy.ipynb").write_text(notebook("jane"))
    (folder / "doe--jane-late_1002_5002_90_toy.ipynb").write_text(notebook("jane, older Canvas"))
    r = {x.student: x for x in collect(course, "90_toy", folder, force=True)}
    assert {s: x.status for s, x in r.items()} == {"1001": "collected", "1002": "collected"}
    assert "late" in r["1001"].reason and "late" in r["1002"].reason


def test_moodle_download_is_collected_by_participant_ids(tmp_path):
    """Moodle folders (both namings), a zip inside one, two Jane Does told apart by participant id."""
    course = released_course(tmp_path)
    sheet = moodle_worksheet(tmp_path / "worksheet.csv", [
        ("111", "Jane Doe", "jane.doe1@uni.example"), ("222", "Jane Doe", "Jane.Doe2@uni.example"),
        ("333", "José Müller", "jose@uni.example"), ("555", "Ana Silva", "ana@uni.example")])
    inner = write_zip(tmp_path / "inner.zip", {"90_toy.ipynb": notebook("jane two")}).read_bytes()
    download = write_zip(tmp_path / "moodle.zip", {
        "Jane Doe_111_assignsubmission_file_/90_toy.ipynb": notebook("jane one"),  # Moodle 3.1-4.0
        "Jane Doe_111_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
        "Jane Doe_222_assignsubmission_file/sub/90_toy.zip": inner,  # Moodle 4.1+
        "José Müller_333_assignsubmission_file/answers.ipynb": notebook("josé"),
        "Jane Doe_444_assignsubmission_file/90_toy.ipynb": notebook("stranger"),
        "Ana Silva_555_assignsubmission_file_90_toy.ipynb": notebook("ana"),  # "in folders" off
    })
    r = by_source(collect(course, "90_toy", download, roster=sheet))

    def submitted(student):
        return (course / "submitted" / student / "90_toy" / "90_toy.ipynb").read_text()

    assert "# jane one" in submitted("jane.doe1@uni.example")
    assert "# jane two" in submitted("jane.doe2@uni.example")  # emails are lower-cased
    assert r["José Müller_333_assignsubmission_file/answers.ipynb"].status == "renamed"
    assert "# josé" in submitted("jose@uni.example") and "# ana" in submitted("ana@uni.example")
    assert "not a notebook" in r["Jane Doe_111_assignsubmission_onlinetext_/onlinetext.html"].reason
    stranger = r["Jane Doe_444_assignsubmission_file/90_toy.ipynb"]
    assert stranger.status == "rejected" and "unknown student" in stranger.reason

    # a grades export has names but no participant ids: the unique name is placed, twins are not
    export_csv = tmp_path / "grades.csv"
    export_csv.write_text('"First name","Last name","ID number",Institution,Department,"Email address",'
                          '"Assignment: 90_toy (Real)","Last downloaded from this course"\n'
                          "Jane,Doe,s1,Uni,Audio,jane.doe1@uni.example,-,1764580000\n"
                          "Jane,Doe,s2,Uni,Audio,jane.doe2@uni.example,-,1764580000\n"
                          "José,Müller,s3,Uni,Audio,jose@uni.example,-,1764580000\n", encoding="utf-8")
    r = by_source(collect(course, "90_toy", download, roster=export_csv, id_column="ID number", force=True))
    assert "grading worksheet" in r["Jane Doe_111_assignsubmission_file_/90_toy.ipynb"].reason
    assert r["José Müller_333_assignsubmission_file/answers.ipynb"].student == "s3"

    twice = tmp_path / "twice.csv"  # a roster error: two participants with one email
    twice.write_text(sheet.read_text().replace("Jane.Doe2@", "jane.doe1@"))
    r = by_source(collect(course, "90_toy", download, roster=twice, force=True))
    assert "a second submission for jane.doe1@uni.example" in r["Jane Doe_222_assignsubmission_file/sub/90_toy.zip"].reason
    assert "# jane one" in submitted("jane.doe1@uni.example")  # the first stays

    r = collect(course, "90_toy", download, force=True)  # no roster: nothing can be placed
    assert {x.status for x in r} == {"rejected"} and all("--roster" in x.reason for x in r)


def test_roster_errors_say_what_to_do(tmp_path):
    course = released_course(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,score\nJane,3\n")
    download = write_zip(tmp_path / "d.zip", {"doejane_1001_5001_90_toy.ipynb": notebook("x")})
    with pytest.raises(ValueError, match="Canvas's gradebook export"):
        collect(course, "90_toy", download, roster=bad)
    roster = canvas_roster(tmp_path / "grades.csv", [("Doe, Jane", "1001", "jdoe1")])
    with pytest.raises(ValueError, match="--id-column"):
        collect(course, "90_toy", download, roster=roster, id_column="Login")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("Student,ID,SIS Login ID,Section\n\"Müller, José\",1,jm,A\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        collect(course, "90_toy", download, roster=latin)
    with pytest.raises(FileNotFoundError, match="No roster"):
        collect(course, "90_toy", download, roster=tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError, match="neither a folder"):
        collect(course, "90_toy", tmp_path / "nothing.zip")


def graded_gradebook(tmp_path: Path) -> Path:
    """The toy course released, with nbgrader submissions written through its API: jdoe1 3 points,
    jdoe2 1 point + a manual grade of 2 on mul, outsider 2 (not on any roster)."""
    course = make_course(tmp_path)
    course_cmd(course, "release", "90_toy")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, add, mul in (("jdoe1", 1, 2), ("jdoe2", 1, 0), ("outsider", 0, 2)):
            gb.update_or_create_student(student, first_name="Jane", last_name="Doe")
            gb.add_submission("90_toy", student)
            gb.find_grade("test_add", "90_toy", "90_toy", student).auto_score = add
            gb.find_grade("test_mul", "90_toy", "90_toy", student).auto_score = mul
        gb.find_grade("test_mul", "90_toy", "90_toy", "jdoe2").manual_score = 2
        gb.db.commit()
    return course


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_export_canvas_and_moodle_files(tmp_path):
    """Canvas: the roster's column and ids, a Points Possible row, manual grades counted, empty for
    no submission (0 on request); Moodle: keyed by email; an unrostered student is reported."""
    course = graded_gradebook(tmp_path)
    roster = canvas_roster(tmp_path / "grades.csv", [
        ("Doe, Jane", "1001", "jdoe1"), ("Doe, Jane", "1002", "jdoe2"), ("Roe, Max", "1003", "mroe")])
    done = export(course, "90_toy", "canvas", roster=roster, id_column="SIS Login ID")
    rows = read_rows(done.path)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "90_toy (123456)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "3"]
    assert rows[2:5] == [["Doe, Jane", "1001", "S1001", "jdoe1", "Seminar A", "3"],
                         ["Doe, Jane", "1002", "S1002", "jdoe2", "Seminar A", "3"],  # 1 auto + 2 manual
                         ["Roe, Max", "1003", "S1003", "mroe", "Seminar A", ""]]
    assert done.unmatched == ["outsider"] and done.blank == 2  # mroe and the test student
    zero = export(course, "90_toy", "canvas", roster=roster, id_column="SIS Login ID",
                  missing_as_zero=True, out=tmp_path / "zero.csv")
    assert read_rows(zero.path)[4][-1] == "0"

    bare = read_rows(export(course, "90_toy", "canvas", out=tmp_path / "bare.csv").path)  # no roster
    assert bare[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "90_toy"]
    assert bare[2:] == [["Doe, Jane", "jdoe1", "", "", "", "3"], ["Doe, Jane", "jdoe2", "", "", "", "3"],
                        ["Doe, Jane", "outsider", "", "", "", "2"]]  # the nbgrader id must be Canvas's ID

    other_points = canvas_roster(tmp_path / "grades10.csv", [("Doe, Jane", "1001", "jdoe1")], points="10")
    assert "10 points" in export(course, "90_toy", "canvas", roster=other_points,
                                 id_column="SIS Login ID").warnings[0]
    same_points = canvas_roster(tmp_path / "grades3.csv", [("Doe, Jane", "1001", "jdoe1")], points="3,00")
    assert export(course, "90_toy", "canvas", roster=same_points, id_column="SIS Login ID").warnings == []

    sheet = moodle_worksheet(tmp_path / "ws.csv", [("111", "Jane Doe", "JDoe1@uni.example")])
    sheet.write_text(sheet.read_text().replace("JDoe1@uni.example", "jdoe1@uni.example"))
    course_ids = {"jdoe1@uni.example": "jdoe1"}  # as if collected by email
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for email, student in course_ids.items():
            gb.update_or_create_student(email)
            gb.add_submission("90_toy", email)
            gb.find_grade("test_add", "90_toy", "90_toy", email).auto_score = 1
        gb.db.commit()
    done = export(course, "90_toy", "moodle", roster=sheet)
    assert read_rows(done.path) == [["Full name", "Email address", "90_toy"],
                                    ["Jane Doe", "jdoe1@uni.example", "1"]]
    with pytest.raises(ValueError, match="--moodle-key email"):
        export(course, "90_toy", "moodle", roster=sheet, key="idnumber")
    with pytest.raises(ValueError, match="--column"):
        bad = tmp_path / "nocol.csv"
        bad.write_text(roster.read_text(encoding="utf-8-sig").replace("90_toy (123456)", "Quiz (1)"))
        export(course, "90_toy", "canvas", roster=bad)


@needs_sandbox
def test_round_trip_roster_collect_autograde_export(tmp_path):
    """Canvas for 90_toy and Moodle for 91_toy: LMS zip -> collect -> autograde --jobs 2 -> export;
    the file read back gives every student the gradebook's total (a manual grade included)."""
    course = make_course(tmp_path)
    course_cmd(course, "release")
    plain = tmp_path / "plain"
    kinds = {"s1": "solution", "s2": "partial", "s3": "blank"}
    people = {"s1": ("Doe, Jane", "Jane Doe"), "s2": ("Doe, Jane", "Jane Doe"), "s3": ("Ångström, Åsa", "Åsa Ångström"),
              "s4": ("Roe, Max", "Max Roe")}  # s4 submits nothing
    canvas = canvas_roster(tmp_path / "canvas.csv",
                           [(people[s][0], str(1000 + i), s) for i, s in enumerate(people)])
    sheet = moodle_worksheet(tmp_path / "moodle.csv",
                             [(str(500 + i), people[s][1], f"{s}@uni.example") for i, s in enumerate(people)])
    for assignment, lms in (("90_toy", "canvas"), ("91_toy", "moodle")):
        expected = write_class(course, assignment, plain / assignment, kinds, {})
        members = {}
        for i, s in enumerate(kinds):
            data = (plain / assignment / f"{s}.ipynb").read_text()
            if lms == "canvas":
                members[f"{people[s][0].replace(', ', '').lower()}_{1000 + i}_{7000 + i}_{assignment}.ipynb"] = data
            else:
                members[f"{people[s][1]}_{500 + i}_assignsubmission_file/{assignment}.ipynb"] = data
        download = write_zip(tmp_path / f"{lms}.zip", members)
        roster = canvas if lms == "canvas" else sheet
        id_column = "SIS Login ID" if lms == "canvas" else None
        course_cmd(course, "collect", assignment, str(download), "--roster", str(roster),
                   *(["--id-column", id_column] if id_column else []))
        run = course_cmd(course, "autograde", assignment, "--jobs", "2", *([] if SANDBOX_OK else ["--no-sandbox"]))
        ids = {s: s if lms == "canvas" else f"{s}@uni.example" for s in kinds}
        assert totals(course, assignment) == pytest.approx({ids[s]: v for s, v in expected.items()}), run.stdout
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # a TA's manual grade
            gb.find_grade("test_mul", assignment, assignment, ids["s2"]).manual_score = 2
            gb.db.commit()
        gradebook = totals(course, assignment)
        assert gradebook[ids["s2"]] == expected["s2"] + 2

        out = tmp_path / f"{lms}-grades.csv"
        course_cmd(course, "export", assignment, "--lms", lms, "--roster", str(roster), "--out", str(out),
                   *(["--id-column", id_column] if id_column else []))
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        column = f"{assignment} (123456)" if lms == "canvas" else assignment
        key = "SIS Login ID" if lms == "canvas" else "Email address"
        if lms == "canvas":
            assert rows[0]["Student"] == "    Points Possible" and rows[0][column] == "3"
            rows = rows[1:]
        got = {r[key]: r[column] for r in rows if r[key]}
        assert {k: float(v) for k, v in got.items() if v} == pytest.approx(gradebook)
        assert got["s4" if lms == "canvas" else "s4@uni.example"] == ""  # no submission: empty, not 0
