import pytest

from kg.values.boolean import parse
from kg.values.errors import ValueProblem


@pytest.mark.parametrize(
    "raw",
    ["是", "是的", "true", "True", "TRUE", "yes", "Yes", "y", "Y", "1", "t", "T", " 是 ", "ＹＥＳ",
     "１", "√", True, 1, 1.0],
)  # fmt: skip
def test_true(raw):
    assert parse(raw) is True


@pytest.mark.parametrize(
    "raw",
    ["否", "不是", "false", "False", "no", "NO", "n", "0", "f", "F", "ｎｏ", "×", False, 0, 0.0],
)
def test_false(raw):
    assert parse(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "是否", "yess", 2, 0.5, "", None, float("nan")])
def test_rejects(raw):
    with pytest.raises(ValueProblem):
        parse(raw)


def test_exact_error_text():
    with pytest.raises(ValueProblem) as e:
        parse("maybe")
    assert str(e.value) == (
        "value 'maybe' is not a yes/no value; expected 是/否, yes/no, true/false, y/n, t/f or 1/0"
    )
