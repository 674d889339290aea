"""``course report``: scores per student and per graded part, as a CSV and two plots.

Reads the course's gradebook (``c.CourseDirectory.db_url``, nbgrader's API) and the ledger written by
``course autograde`` (the reason a submission was replaced or lost cells). Writes, in
``reports/<assignment>/``: ``scores.csv`` (one row per student: total, each graded cell, status,
reason), ``score_distribution.png`` and ``failure_rate.png`` (the share of students who did not get
full marks on each graded cell: the parts students get wrong most).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

__all__ = ["report"]


def _rows(course: Path, assignment: str):
    from .gradebook import open_gradebook

    with open_gradebook(course) as gb:
        a = gb.find_assignment(assignment)
        cells = [(nb.name, c.name, float(c.max_score)) for nb in a.notebooks for c in nb.grade_cells]
        rows = []
        for sub in sorted(a.submissions, key=lambda s: s.student.id):
            row = {"student": sub.student.id, "score": float(sub.score),
                   "max_score": float(a.max_score)}
            for nb, cell, _ in cells:
                g = gb.find_grade(cell, nb, assignment, sub.student.id)
                row[f"{nb}:{cell}"] = float(g.score)
            ledger = course / ".course_autograde" / assignment / f"{sub.student.id}.json"
            info = json.loads(ledger.read_text()) if ledger.is_file() else {}
            row["status"] = info.get("status", "graded")
            row["reason"] = "; ".join(([info["reason"]] if info.get("reason") else [])
                                      + info.get("events", []))
            rows.append(row)
    return cells, rows


def report(course: Path, assignment: str, out_dir: Path | None = None) -> Path:
    """Write the CSV and plots for ``assignment``; return the folder written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    course = Path(course)
    out = Path(out_dir) if out_dir else course / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    cells, rows = _rows(course, assignment)
    if not rows:
        raise ValueError(f"No graded submissions of {assignment}: run course autograde first.")
    fields = ["student", "score", "max_score"] + [f"{nb}:{c}" for nb, c, _ in cells] + ["status", "reason"]
    with open(out / "scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    scores = np.array([r["score"] for r in rows])
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    ax.hist(scores, bins=np.linspace(0, rows[0]["max_score"], 11), edgecolor="black")
    ax.set(xlabel="Score (points)", ylabel="Students",
           title=f"{assignment}: scores of {len(rows)} students (mean {scores.mean():.1f})")
    fig.savefig(out / "score_distribution.png", dpi=110)
    plt.close(fig)

    fail = [np.mean([r[f"{nb}:{c}"] < m for r in rows]) * 100 for nb, c, m in cells]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(cells) + 1.2), layout="constrained")
    ax.barh([c for _, c, _ in cells], fail, color="tab:red")
    ax.invert_yaxis()
    ax.set(xlabel="Students without full marks (%)", xlim=(0, 100),
           title=f"{assignment}: failure rate of each graded cell")
    fig.savefig(out / "failure_rate.png", dpi=110)
    plt.close(fig)
    return out
