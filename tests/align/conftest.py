import pytest

from tests._reads import write_pairs


@pytest.fixture(scope="module")
def pairs(genome, tmp_path_factory):
    return write_pairs(genome, tmp_path_factory.mktemp("reads"), 3000)
