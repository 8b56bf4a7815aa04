import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values import uscc
from kg.values.errors import ValueProblem

VALID = ["91350200776049653A", "9135021359498494XQ", "91430111MA4L41YT1U"]
EXPECTED = "18 characters from 0-9 and A-Z except I, O, S, V, Z, e.g. 91350200776049653A"


@pytest.mark.parametrize("code", VALID)
def test_valid_examples(code):
    assert uscc.parse(code) == code
    assert uscc.is_valid(code)


@pytest.mark.parametrize("code", VALID)
def test_examples_agree_with_embedded_org_code_check(code):
    assert uscc.org_code_check(code[8:16]) == code[16]
    assert uscc.check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("91350200776049653a", "91350200776049653A"),
        (" 91350200776049653A ", "91350200776049653A"),
        ("913502-0077604965-3A", "91350200776049653A"),
        ("9135 0200 7760 4965 3A", "91350200776049653A"),
        ("９１３５０２００７７６０４９６５３Ａ", "91350200776049653A"),
        ("91430111ma4l41yt1u", "91430111MA4L41YT1U"),
    ],
)
def test_parse_cleans(raw, code):
    assert uscc.parse(raw) == code


def test_weights():
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(uscc.ALPHABET) == 31


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "it is empty"),
        ("9135020077604965", "it has 16 characters, not 18"),
        ("91350200776049653AA", "it has 19 characters, not 18"),
        ("91350200776049653I", "character 18 'I' is not allowed"),
        ("9135020077604965OA", "character 17 'O' is not allowed"),
        ("B1350200776049653A", "registration authority (character 1) 'B' is not 1-9, A, N or Y"),
        ("91350200776049653B", "check character should be 'A', not 'B'"),
    ],
)
def test_errors_say_which_rule_failed(raw, why):
    with pytest.raises(ValueProblem) as e:
        uscc.parse(raw)
    assert str(e.value) == f"value {raw!r} is not a valid USCC ({why}); expected {EXPECTED}"


def test_org_code_check_failure_is_reported():
    first17 = "9135020077604965" + "4"  # org code check should be 3
    code = first17 + uscc.check_char(first17)
    with pytest.raises(
        ValueProblem,
        match=r"organisation code check character \(character 17\) "
        r"should be '3', not '4'",
    ):
        uscc.parse(code)
    assert not uscc.is_valid(code)
    assert uscc.parse(code, check_org_code=False) == code


@pytest.mark.parametrize("bad", [None, 1.5, True, ["91350200776049653A"], 123])
def test_non_text_is_a_value_problem(bad):
    with pytest.raises(ValueProblem):
        uscc.parse(bad)
    assert not uscc.is_valid(bad)


def test_org_code_check_values():
    assert uscc.org_code_check("77604965") == "3"
    assert uscc.org_code_check("59498494") == "X"
    assert uscc.org_code_check("MA4L41YT") == "1"
    with pytest.raises(ValueProblem):
        uscc.org_code_check("1234567")
    with pytest.raises(ValueProblem):
        uscc.org_code_check("1234567*")


def test_check_char_rejects_bad_input():
    with pytest.raises(ValueProblem):
        uscc.check_char("9135020077604965")
    with pytest.raises(ValueProblem):
        uscc.check_char("9135020077604965I")


def test_make_examples():
    assert uscc.make("350200", "77604965") == "91350200776049653A"
    assert uscc.make("350213", "59498494") == "9135021359498494XQ"
    assert uscc.make("430111", "MA4L41YT") == "91430111MA4L41YT1U"
    assert uscc.make("430111", "ma4l41yt") == "91430111MA4L41YT1U"


@pytest.mark.parametrize(
    "args",
    [
        ("35020", "77604965"),
        ("35020A", "77604965"),
        ("350200", "7760496"),
        ("350200", "7760496I"),
        ("350200", "77604965", "B"),
        ("350200", "77604965", "9", "Z"),
    ],
)
def test_make_rejects_bad_parts(args):
    with pytest.raises(ValueProblem):
        uscc.make(*args)


divisions = st.from_regex(r"[0-9]{6}", fullmatch=True)
org_stems = st.text(alphabet=uscc.ALPHABET, min_size=8, max_size=8)
authorities = st.sampled_from(uscc.AUTHORITIES)
org_types = st.sampled_from(uscc.ALPHABET)


@given(divisions, org_stems, authorities, org_types)
def test_make_is_always_valid(division, org, authority, org_type):
    code = uscc.make(division, org, authority, org_type)
    assert len(code) == 18
    assert uscc.is_valid(code)
    assert uscc.parse(code.lower()) == code


@given(
    divisions,
    org_stems,
    st.integers(0, 17),
    st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
)
def test_single_substitution_is_rejected(division, org, position, char):
    code = uscc.make(division, org)
    if code[position] == char:
        return
    changed = code[:position] + char + code[position + 1 :]
    assert not uscc.is_valid(changed)
