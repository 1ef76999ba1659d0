"""`make test` runs two pytest-xdist workers with --dist loadgroup (tests/conftest.py)."""

import pytest


@pytest.mark.xdist_group("suite_check")
def test_loadgroup_keeps_a_group_on_one_worker(request):
    # pytest-xdist marks grouped tests by a suffix of their node ID; with pytest 9.2 that
    # suffix silently stopped being set (pytest-xdist issue #1386) and every session
    # fixture of the slow tests was built once per worker.
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with --dist loadgroup (make test runs it so)")
    assert request.node.nodeid.endswith("@suite_check")
