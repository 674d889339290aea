"""Multiple-choice questions are fair: keys spread over the letters, consistent, and not leaked.

Every solution notebook's multiple-choice answer is found from its format (see CONTRIBUTING.md):
the answer cell sets ``answer_NAME = "x"`` between the solution markers; the options are the
markdown list items ``- (a) ...``, ``- (b) ...`` in the markdown cell(s) just before the answer
cell (a cell that sets several answers takes the option lists in order, one list per answer); the
grade cell asserts ``answer_NAME == "x"`` in its hidden region and checks only the form (one letter
among the options) in its visible part.
"""

from __future__ import annotations

import ast
import io
import json
import re
import textwrap
import tokenize
from collections import Counter
from dataclasses import dataclass, field

import pytest

from nbgrader_helpers import ASSIGNMENTS, RELEASE, SOLUTIONS, notebook_name

MAX_SHARE = 0.35                     # no letter may be the key of more than 35 % of the questions
ANSWER = re.compile(r"^answer_\w+$")
OPTION = re.compile(r"^- \(([a-z])\)\s")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n?", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@dataclass
class Question:
    assignment: str
    name: str                        # answer_NAME
    key: str                         # the letter the solution sets
    options: list = field(default_factory=list)   # option letters, in order
    hidden_keys: list = field(default_factory=list)   # letters the hidden tests assert
    visible: list = field(default_factory=list)       # visible code of the grade cells that assert it

    @property
    def where(self) -> str:
        return f"{self.assignment}: {self.name}"


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _python(source: str) -> str:
    """The cell's source with IPython magics and shell lines commented out."""
    return "\n".join("pass  # " + ln if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines())


def _option_lists(markdown: str) -> list[list[str]]:
    """The ``- (a) ...`` lists of a markdown text: one list of letters per run of option items."""
    lists, current = [], None
    for line in markdown.splitlines():
        item = OPTION.match(line)
        if item:
            current = current if current is not None else []
            current.append(item.group(1))
        elif current is not None and line.strip() and not line[0].isspace():
            lists.append(current)    # a line that is neither an item nor its continuation ends the list
            current = None
    if current is not None:
        lists.append(current)
    return lists


def _parse(code: str) -> ast.Module:
    """``code`` parsed; a region cut out of an indented block is dedented first."""
    try:
        return ast.parse(textwrap.dedent(code))
    except SyntaxError as err:
        raise AssertionError(f"cannot parse this code ({err}):\n{code}") from None


def _answers_set(source: str) -> list[tuple[str, str]]:
    """``(answer_NAME, letter)`` for each single-letter assignment in a solution region, in order."""
    found = []
    for region in SOLUTION.findall(source):
        found += sorted((node.lineno, t.id, node.value.value) for node in ast.walk(_parse(region))
                        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                        and isinstance(node.value.value, str) and len(node.value.value) == 1
                        for t in node.targets if isinstance(t, ast.Name) and ANSWER.match(t.id))
    return [(name, letter) for _, name, letter in found]


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _compared_letters(code: str, name: str) -> list[str]:
    """Letters that ``code`` compares ``name`` (or an expression of it) with, by ==, !=, is, is not."""
    letters = []
    for node in ast.walk(_parse(code)):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot))
                                                 for op in node.ops):
            sides = [node.left, *node.comparators]
            if any(_mentions(side, name) for side in sides):
                letters += [s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
    return letters


def collect(assignment: str) -> list[Question]:
    """The multiple-choice questions of one solution notebook."""
    cells = json.loads((SOLUTIONS / assignment / notebook_name(assignment)).read_text())["cells"]
    questions = []
    for i, cell in enumerate(cells):
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("solution") or meta.get("grade"):
            continue
        answers = _answers_set(_source(cell))
        if not answers:
            continue
        markdown, j = [], i - 1
        while j >= 0 and cells[j]["cell_type"] == "markdown":    # the markdown cells just before
            markdown.insert(0, _source(cells[j]))
            j -= 1
        lists = _option_lists("\n".join(markdown))
        for k, (name, key) in enumerate(answers):
            # One list per answer, in order; a lone answer takes the last list before it.
            options = lists[k] if len(lists) == len(answers) else (lists[-1] if len(answers) == 1 and lists else [])
            questions.append(Question(assignment, name, key, options))
    by_name = {q.name: q for q in questions}
    for cell in cells:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("grade"):
            continue
        source = _python(_source(cell))
        regions = HIDDEN.findall(source)
        for name, question in by_name.items():
            letters = [letter for region in regions for letter in _compared_letters(region, name)]
            if letters:
                question.hidden_keys += letters
                question.visible.append((meta["grade_id"], HIDDEN.sub("", source)))
    return questions


QUESTIONS = [q for a in ASSIGNMENTS for q in collect(a)]


def test_questions_are_found():
    """The parser finds the course's multiple-choice answers (a format change would hide them all)."""
    assert len(QUESTIONS) >= 10, (f"only {len(QUESTIONS)} multiple-choice answers found "
                                  f"({[q.where for q in QUESTIONS]}): is the answer cell format still "
                                  '`answer_NAME = "x"` between the solution markers?')


def test_no_letter_holds_too_many_keys():
    """No letter is the key of more than 35 % of the course's questions (always answering it must not pay)."""
    counts = Counter(q.key for q in QUESTIONS)
    share = {letter: n / len(QUESTIONS) for letter, n in counts.items()}
    worst = max(share, key=share.get)
    holders = [q.where for q in QUESTIONS if q.key == worst]
    assert share[worst] <= MAX_SHARE, (
        f'"{worst}" is the key of {counts[worst]} of {len(QUESTIONS)} questions ({share[worst]:.0%} > '
        f"{MAX_SHARE:.0%}): {holders}; keys per letter: {dict(sorted(counts.items()))}.")


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"{q.assignment}-{q.name}")
def test_key_is_one_of_at_least_two_options(question):
    """The question lists options `- (a) ...` before its answer cell, and the key is one of them."""
    options = question.options
    assert len(options) >= 2, (
        f"{question.where}: {len(options)} option(s) found in the markdown cell(s) before the answer "
        "cell; list the options one per line as `- (a) ...`, `- (b) ...` (one list per answer, in order).")
    assert options == [chr(ord("a") + k) for k in range(len(options))], \
        f"{question.where}: the options are lettered {options}, expected a, b, c, ... in order without gaps."
    assert question.key in options, f'{question.where}: the key "{question.key}" is not among the options {options}.'


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"{q.assignment}-{q.name}")
def test_hidden_test_asserts_the_solution_key(question):
    """A grade cell's hidden region asserts the key the solution sets, and only it."""
    assert question.hidden_keys, (f'{question.where}: no grade cell asserts `{question.name} == "..."` '
                                  "in its hidden region, so the answer earns nothing.")
    assert set(question.hidden_keys) == {question.key}, (
        f'{question.where}: the solution sets "{question.key}" but the hidden test compares with '
        f"{sorted(set(question.hidden_keys))}.")


def _holds_all(node: ast.AST, options: list[str]) -> bool:
    """``node`` is a literal collection (or a string) that holds every option letter."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        letters = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        return set(options) <= letters
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and set(options) <= set(node.value)


def _loose_key(code: str, key: str, options: list[str]) -> list[str]:
    """The key as a string in ``code`` outside a collection that holds every option."""
    tree = _parse(code)
    allowed = {id(e) for node in ast.walk(tree) if isinstance(node, (ast.Tuple, ast.List, ast.Set))
               and _holds_all(node, options) for e in node.elts}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.strip().lower() == key and id(n) not in allowed]


def _comments(code: str) -> list[str]:
    return [tok.string for tok in tokenize.generate_tokens(io.StringIO(code).readline)
            if tok.type == tokenize.COMMENT]


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"{q.assignment}-{q.name}")
def test_visible_part_checks_only_the_form(question):
    """The visible part of the grade cell accepts every option letter and never names the key."""
    options = question.options or [question.key]
    for grade_id, visible in question.visible:
        compared = _compared_letters(visible, question.name)
        assert not compared, (f"{question.where}: the visible part of {grade_id} compares the answer with "
                              f"{compared}: only the hidden region may test the key.")
        loose = _loose_key(visible, question.key, options)
        assert not loose, (f"{question.where}: the visible part of {grade_id} names the key {loose} "
                           f"outside the form check (a collection of all the options {options}).")
        form = [n for n in ast.walk(_parse(visible)) if isinstance(n, ast.Compare) and len(n.ops) == 1
                and isinstance(n.ops[0], ast.In) and _mentions(n.left, question.name)
                and _holds_all(n.comparators[0], options)]
        assert form, (f"{question.where}: the visible part of {grade_id} does not check the form, one "
                      f"letter among all the options (`assert {question.name} in {tuple(options)}, ...`).")
        key_in_comment = [c for c in _comments(visible) if re.search(rf"""["'(]{question.key}["')]""", c)]
        assert not key_in_comment, f"{question.where}: a visible comment of {grade_id} names the key: {key_in_comment}"


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"{q.assignment}-{q.name}")
def test_release_does_not_contain_the_key(question):
    """notebooks/: the answer cell is a stub (no letter set) and no cell holds the key's assignment or assertion."""
    cells = json.loads((RELEASE / question.assignment / notebook_name(question.assignment)).read_text())["cells"]
    leak = re.compile(rf"""{question.name}\s*(=|==)\s*["']{question.key}["']""")
    for k, cell in enumerate(cells):
        source = _source(cell)
        assert not leak.search(source), (f"notebooks/{question.assignment} cell {k} contains "
                                         f"{leak.search(source).group(0)!r}: the release must not hold the key.")
        if cell["cell_type"] != "code" or not cell["metadata"].get("nbgrader", {}).get("solution"):
            continue
        set_here = [(n, v) for n, v in _assignments(_python(source)) if n == question.name]
        assert not set_here, (f"notebooks/{question.assignment} cell {k} sets {question.name} = "
                              f"{set_here[0][1]!r}: the released answer cell must be a stub.")


def _assignments(code: str) -> list[tuple[str, str]]:
    """``(name, value)`` of every assignment of a string constant to a name in ``code``."""
    return [(t.id, node.value.value) for node in ast.walk(_parse(code))
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str) for t in node.targets if isinstance(t, ast.Name)]


def test_the_parser_sees_lists_comparisons_and_loose_keys():
    """The helpers above find what the tests rely on (so that a passing test means something)."""
    markdown = ("**1.** First?\n- (a) one\n- (b) two,\n  continued\n\n- (c) three\n\n"
                "**2.** Second?\n- (a) yes\n- (b) no\n")
    assert _option_lists(markdown) == [["a", "b", "c"], ["a", "b"]]
    assert _option_lists("- (a) at 10 kHz   (b) at 6 kHz") == [["a"]]     # options on one line: not the format
    assert _compared_letters('assert answer_x.strip().lower() == "c", "why"', "answer_x") == ["c"]
    assert _compared_letters('assert answer_y == "c"', "answer_x") == []
    form = 'assert answer_x in ("a", "b", "c", "d"), f"got {answer_x!r}"\n'
    assert _loose_key(form, "b", ["a", "b", "c", "d"]) == []
    assert _loose_key(form + 'print("b")\n', "b", ["a", "b", "c", "d"]) == ["b"]
    assert _loose_key('assert answer_x in ("a", "c", "d")', "b", ["a", "b", "c", "d"]) == []
    assert _answers_set('### BEGIN SOLUTION\nanswer_b = "d"\nanswer_a = "c"  # why\n### END SOLUTION\n') \
        == [("answer_b", "d"), ("answer_a", "c")]
