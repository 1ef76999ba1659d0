import pytest

from ctcgenomics._ids import InvalidIDError, validate_id


@pytest.mark.parametrize("good", ["P01_D1_CTC1", "a.b-c", "123"])
def test_good_ids(good):
    assert validate_id(good) == good


@pytest.mark.parametrize(
    "bad", ["", "a b", "a/b", "..", "a;b", "$(x)", "a'b", "<script>", None, "-rf", ".hidden", "_x"]
)
def test_bad_ids(bad):
    with pytest.raises(InvalidIDError):
        validate_id(bad)


def test_id_starting_with_a_dash_is_refused_with_a_suggestion():
    """A cell called ``-rf`` passed validation and then crashed alignment as an option."""
    with pytest.raises(InvalidIDError, match=r"start with a letter or digit.*e\.g\. 'rf'"):
        validate_id("-rf", what="cell")
