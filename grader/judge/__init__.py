"""The trusted judge: a course's hidden checks run outside the student's process, on what it reports as plain data.

- `grader.judge.host`: the judge server as an executor runs it (start, register a notebook, read its verdicts);
- `grader.judge.server`: the server process, one judge (a fork) per notebook;
- `grader.judge.session`: a judge: runs the checks a notebook asks for, with the student's objects as remotes;
- `grader.judge.client`: the student's side, which `grader.hidden.check` talks through;
- `grader.judge.wire`: the messages between them (plain data and arrays; nothing unpickled);
- `grader.judge.expected`: the hidden calls of a trusted notebook, the only ones a judge runs.

docs/security.md says what it protects, and where (the fork engine, the kernel executor, plain nbgrader).
"""
