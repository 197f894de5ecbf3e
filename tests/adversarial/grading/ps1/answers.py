"""Answer key of the hostile course's ps1 (copied into its grading folder by tests/adversarial/conftest.py)."""

from grader.checks import Answer

from .solution import FIRST_STEP_W1_MOVES

ANSWERS = {
    "q1_first_step_W1_moves": Answer("int", FIRST_STEP_W1_MOVES, "dW1 is zero at update 1, while W2 is still zero",
                                     {1: "at update 1 W2 is still all zeros"}),
}
