import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values import lei
from kg.values.errors import ValueProblem

# Public LEIs (ISO 17442 example; Apple Inc.; GLEIF).
VALID = ["529900T8BM49AURSDO55", "HWUPKR0MPOU8FGXBT394", "506700GE1G29325QX363"]
EXPECTED = "20 characters 0-9/A-Z ending in two check digits, e.g. 5493000IBP32UQZ0KL24"


@pytest.mark.parametrize("code", VALID)
def test_valid(code):
    assert lei.parse(code) == code
    assert lei.is_valid(code)
    assert lei.make(code[:18]) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("529900t8bm49aursdo55", "529900T8BM49AURSDO55"),
        (" 5299 00T8 BM49 AURS DO55 ", "529900T8BM49AURSDO55"),
        ("５２９９００Ｔ８ＢＭ４９ＡＵＲＳＤＯ５５", "529900T8BM49AURSDO55"),
    ],
)
def test_parse_cleans(raw, code):
    assert lei.parse(raw) == code


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "it is empty"),
        ("529900T8BM49AURSDO5", "it has 19 characters, not 20"),
        ("529900T8BM49AURSDO5X", "only 0-9 and A-Z, and the last two must be digits"),
        ("529900T8BM49AURS*O55", "only 0-9 and A-Z, and the last two must be digits"),
        ("529900T8BM49AURSDO56", "check digits should be '55', not '56'"),
    ],
)
def test_errors(raw, why):
    with pytest.raises(ValueProblem) as e:
        lei.parse(raw)
    assert str(e.value) == f"value {raw!r} is not a valid LEI ({why}); expected {EXPECTED}"


@pytest.mark.parametrize("bad", [None, 12345678901234567890, 1.5])
def test_non_text(bad):
    with pytest.raises(ValueProblem):
        lei.parse(bad)
    assert not lei.is_valid(bad)


def test_make_rejects_bad_stem():
    with pytest.raises(ValueProblem):
        lei.make("529900T8BM49AURSD")
    with pytest.raises(ValueProblem):
        lei.make("529900T8BM49AURSD*")


ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
stems = st.text(alphabet=ALNUM, min_size=18, max_size=18)


@given(stems)
def test_make_is_valid(stem):
    code = lei.make(stem)
    assert code[:18] == stem
    assert code[18:].isdigit()
    assert lei.is_valid(code)


@given(stems, st.integers(0, 19), st.integers(1, 35))
def test_single_substitution_of_same_kind_is_rejected(stem, position, shift):
    # MOD 97-10 catches every substitution of a digit by a digit or a letter by a letter.
    code = lei.make(stem)
    old = code[position]
    if old.isdigit():
        new = str((int(old) + shift) % 10)
    else:
        new = chr((ord(old) - 65 + shift) % 26 + 65)
    if new == old:
        return
    assert not lei.is_valid(code[:position] + new + code[position + 1 :])


@given(st.lists(st.one_of(stems.map(lei.make), st.text(alphabet=ALNUM, min_size=20, max_size=20),
                          st.text(max_size=22), st.none()), max_size=30))
def test_valid_mask_agrees_with_parse_on_clean_codes(codes):
    # the bulk check (GLEIF files: 10^6 codes) says True exactly for codes parse() keeps as they are
    expected = [isinstance(c, str) and lei.is_valid(c) and lei.parse(c) == c for c in codes]
    assert lei.valid_mask(codes).tolist() == expected


def test_valid_mask_edge_cases():
    code = "529900T8BM49AURSDO55"
    assert lei.valid_mask([code, code + "\x00", " " + code, code.lower(), 529900, float("nan")]).tolist() == [
        True, False, False, False, False, False]
    assert lei.valid_mask([]).tolist() == []
