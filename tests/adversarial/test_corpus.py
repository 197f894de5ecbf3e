"""Does a batch of hostile submissions leave the grader standing, give every attacker nothing, and every honest student
exactly the score they get when graded alone?

The whole corpus (`tests.adversarial.corpus.ATTACKS`) and three honest students are graded as ONE batch by
``grader.autograde.run`` with the fork engine, two notebooks at a time: once in the bubblewrap sandbox (skipped,
saying why, where it cannot run) and once without it, where the attacks only a sandbox stops are left out. The
honest students are graded a second time alone, in a clean copy of the course: their per-cell scores must be
identical, and the batch must not hold them up (the attacks on the course's judge include floods of requests).
What each attack must leave true besides its score of 0 (report, outputs, leaks, files on the host) is checked per
attack; the attacks on the judge that reach past their own notebook are in test_judge.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.autograde import AutogradeResult
from grader.judge.server import load_course
from grader.records import fingerprint_submission
from tests.adversarial.conftest import (
    HONEST,
    HONEST_POINTS,
    JUDGE_SECRET,
    RIGHT,
    SECRETS,
    TESTS,
    Listener,
    answers,
    bwrap_works,
    cell_scores,
    fresh_copy,
    grade,
    graded_outputs,
    submit,
)
from tests.adversarial.corpus import ATTACKS, Attack, Target
from tests.grader.conftest import ASSIGNMENT

pytestmark = pytest.mark.slow

MAX_SCORE = 5.0  # 4 automatic points + 1 written answer


@dataclass
class Batch:
    mode: str
    """The sandbox the batch ran in: "bwrap" or "none"."""
    why_not: str
    course: Path
    result: AutogradeResult
    scores: dict[str, dict[str, float | None]]
    alone: dict[str, dict[str, float | None]]
    """The honest students' scores when graded without the attackers."""
    untouched: dict[str, tuple[str, str]]
    """Honest student -> fingerprint of their submitted folder before and after the batch."""
    seconds: float
    """Wall time of the batch (engine start included)."""
    alone_result: AutogradeResult
    alone_seconds: float


def _timed(course: Path, mode: str) -> tuple[AutogradeResult, float]:
    started = time.perf_counter()
    result = grade(course, mode)
    return result, time.perf_counter() - started


def _submit_honest(course: Path) -> None:
    for student, wrong in HONEST.items():
        submit(course, student, answers(course, **{**RIGHT, **wrong}))


@pytest.fixture(scope="module", params=["bwrap", "none"])
def batch(request: pytest.FixtureRequest, released_adversarial: Path, listener: Listener,
          tmp_path_factory: pytest.TempPathFactory) -> Batch:
    mode = request.param
    why_not = bwrap_works() if mode == "bwrap" else "the batch runs without the sandbox"
    if mode == "bwrap" and why_not:
        pytest.skip(f"the bubblewrap sandbox cannot run here: {why_not}")
    course = fresh_copy(released_adversarial, tmp_path_factory.mktemp("batch"))
    _submit_honest(course)
    target = Target(course, listener.port)
    for attack in ATTACKS:
        if mode == "bwrap" or not attack.sandbox:
            attack.build(target, attack.name)
    before = {s: fingerprint_submission(course / "submitted" / s / ASSIGNMENT) for s in HONEST}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        try:
            result, seconds = _timed(course, mode)
        finally:
            huge = course / "submitted" / "huge_notebook" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            huge.unlink(missing_ok=True)  # the 1 GB file (sparse) is not kept
    after = {s: fingerprint_submission(course / "submitted" / s / ASSIGNMENT) for s in HONEST}
    alone = fresh_copy(released_adversarial, tmp_path_factory.mktemp("alone"))
    _submit_honest(alone)
    alone_result, alone_seconds = _timed(alone, mode)
    return Batch(mode, why_not, course, result, cell_scores(course), cell_scores(alone),
                 {s: (before[s], after[s]) for s in HONEST}, seconds, alone_result, alone_seconds)


def test_the_course_has_a_secret_its_judge_keeps(released_adversarial: Path) -> None:
    """The hostile course's checks and answer key compute the truth with its solution module, which holds
    `JUDGE_SECRET`: the judge's server loads them (the attacks on the judge look for them everywhere else)."""
    loaded, failed = load_course(str(released_adversarial))
    functions, key = loaded["ps1"]
    assert failed == {} and sorted(functions) == ["zeros_init"] and sorted(key) == ["q1_first_step_W1_moves"]
    assert functions["zeros_init"].__globals__["SOLUTION_SIGNED"] == JUDGE_SECRET
    assert key["q1_first_step_W1_moves"].expected == 2


def test_the_corpus_has_one_submission_per_attack_and_at_least_twenty() -> None:
    names = [attack.name for attack in ATTACKS]
    assert len(names) == len(set(names)) >= 20


def test_every_submission_of_the_batch_got_a_report(batch: Batch) -> None:
    """Did the grader survive the batch and report on every student, attackers included?"""
    expected = set(HONEST) | {a.name for a in ATTACKS if batch.mode == "bwrap" or not a.sandbox}
    assert {r.student for r in batch.result.reports} == expected


@pytest.mark.parametrize("student", sorted(HONEST))
def test_honest_students_keep_their_exact_scores(batch: Batch, student: str) -> None:
    """Is every cell of an honest student scored exactly as when graded without the attackers?"""
    assert batch.scores[student] == batch.alone[student]
    report = next(r for r in batch.result.reports if r.student == student)
    assert (report.score, report.max_score, report.problems) == (HONEST_POINTS[student], MAX_SCORE, [])


def test_the_batch_does_not_stall(batch: Batch) -> None:
    """Do the floods of the judge (and every other attack) leave each honest student's grading about as quick as
    when graded alone (within the course's 2 s cell limit of it), and the whole batch well within a minute (it
    takes about 12 s on two cores, several attackers running to their limits)? A judge or a server held up by an
    attacker would show here as honest notebooks waiting for theirs."""
    alone = {r.student: r.seconds for r in batch.alone_result.reports}
    for report in batch.result.reports:
        if report.student in HONEST:
            assert report.seconds < alone[report.student] + 2.0, (report.student, report.seconds, alone)
    assert batch.seconds < 60.0, (batch.seconds, batch.alone_seconds)


def test_honest_submissions_are_untouched(batch: Batch) -> None:
    for student, (before, after) in batch.untouched.items():
        assert before == after, f"{student}'s submitted files changed during the batch"


def test_no_notebook_reached_the_grading_host_over_the_network(batch: Batch, listener: Listener) -> None:
    if batch.mode != "bwrap":
        pytest.skip(f"only the sandbox cuts the network: {batch.why_not}")
    assert listener.connections() == 0


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.name)
def test_the_attacker_gains_nothing(batch: Batch, attack: Attack) -> None:
    """Does the attack score 0 (its answers are wrong), leave the maximum alone, get named in the report when it
    was seen, and leak neither hidden tests nor secrets into what the student gets back?"""
    if attack.sandbox and batch.mode != "bwrap":
        pytest.skip(f"only the bubblewrap sandbox stops '{attack.name}': {batch.why_not}")
    report = next(r for r in batch.result.reports if r.student == attack.name)
    scores = batch.scores.get(attack.name, {})
    assert [scores.get(test) for test in TESTS] == [0.0, 0.0, 0.0], report.problems
    assert (report.score, report.max_score) == (0.0, MAX_SCORE), report.problems
    problems = " | ".join(report.problems)
    shown = graded_outputs(batch.course, attack.name)
    if attack.or_stopped_in_time and "ran past the 2 s limit" in problems:
        assert "CellTimeoutError" in shown, "a cell stopped at its time limit must say so in the notebook"
    else:
        for phrase in attack.reported:
            assert phrase in problems, f"{phrase!r} not in the report: {problems}"
        for phrase in attack.shown:
            assert phrase in shown, f"{phrase!r} not in the graded notebook's outputs"
    for secret in attack.hidden:
        assert secret not in shown and secret not in problems, f"{secret!r} leaked to {attack.name}"
    for name in attack.absent:
        assert not (batch.course / name).exists(), f"{name} was written: the payload of {attack.name} ran"


def test_the_judges_verdicts_keep_a_graded_notebook_within_the_output_limit(batch: Batch) -> None:
    """``huge_verdict_message`` fails a check with a 2 MB message, then hides the verdict from its test cell: the
    error the grader adds from the judge's record must not carry the message whole (the limit is 1,000,000 bytes)."""
    student = "huge_verdict_message"
    path = batch.course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert path.is_file()
    assert len(graded_outputs(batch.course, student)) < 1_000_000 + (64 << 10)
