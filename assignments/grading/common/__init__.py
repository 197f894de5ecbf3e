"""Checks shared by several assignments of the course: the init functions' (``init_symmetry``, ``init_scale``)."""
