import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "tests", "cases")
EXAMPLES = os.path.join(ROOT, "examples", "school")

if ROOT not in sys.path:  # helpers import as `tests.helpers`
    sys.path.insert(0, ROOT)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg():
    """A real PostgreSQL server for the session (started here, removed after)."""
    from tests.pg import PgCluster

    cluster = PgCluster()
    yield cluster
    cluster.destroy()
