import pytest

from ctcgenomics._ids import InvalidIDError, validate_id


@pytest.mark.parametrize("good", ["P01_D1_CTC1", "a.b-c", "123"])
def test_good_ids(good):
    assert validate_id(good) == good


@pytest.mark.parametrize("bad", ["", "a b", "a/b", "..", "a;b", "$(x)", "a'b", "<script>", None])
def test_bad_ids(bad):
    with pytest.raises(InvalidIDError):
        validate_id(bad)
