"""The library a course's hidden checks are written with: safe student values, answer keys, and the tamper guard.

A course's checks live in its grading folders (`grader.grading`), never here. Each is a function that judges a
student's object and raises AssertionError with a message in the student's words, naming the mistake when it is a
known one. The rules every check follows:

- never trust a student's object: values become plain float64 arrays, exact ``int``/``bool``/``str`` before any
  comparison (an object whose ``__eq__`` always returns True gets nowhere): :func:`as_float_array`,
  :func:`as_number`, :func:`check_answer`;
- the student's code runs inside :func:`quiet` (:func:`call_student` does it): warnings and stderr writes it
  provokes are swallowed, because nbgrader gives zero to a test cell that writes to stderr;
- failures go through :func:`fail`: ``"<function>: <message>"``.

One module per subject: ``common`` (safe values), ``answers`` (answer keys), ``seal`` (the tamper guard) and
``loader`` (an assignment's checks, found, guarded and sealed). These modules are sealed when imported: a notebook
cannot replace their functions.
"""

from grader.checks.answers import Answer, check_answer
from grader.checks.common import as_float_array, as_number, call_student, fail, only, quiet
from grader.checks.seal import seal_package

__all__ = ["Answer", "as_float_array", "as_number", "call_student", "check_answer", "fail", "only", "quiet"]

seal_package(["grader.checks.*"])
