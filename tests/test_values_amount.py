import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values.amount import Amount, parse
from kg.values.errors import ValueProblem


@pytest.mark.parametrize(
    ("raw", "value", "currency", "bound"),
    [
        ("1.5亿元", 150_000_000.0, "CNY", None),
        ("5000万元", 50_000_000.0, "CNY", None),
        ("116,500 万元人民币", 1_165_000_000.0, "CNY", None),
        ("66.13万元", 661_300.0, "CNY", None),
        ("78.0 亿元", 7_800_000_000.0, "CNY", None),
        ("8000万元以上", 80_000_000.0, "CNY", "lower"),
        ("1500000", 1_500_000.0, None, None),
        ("1,500,000", 1_500_000.0, None, None),
        ("1 500 000", 1_500_000.0, None, None),
        ("１．５亿元", 150_000_000.0, "CNY", None),
        ("５０００万元", 50_000_000.0, "CNY", None),
        ("3千元", 3_000.0, "CNY", None),
        ("2百万", 2_000_000.0, None, None),
        ("3千万元", 30_000_000.0, "CNY", None),
        ("1.2万亿元", 1.2e12, "CNY", None),
        ("344 billion", 344e9, None, None),
        ("35.7bn", 35.7e9, None, None),
        ("5k", 5_000.0, None, None),
        ("5 m", 5_000_000.0, None, None),
        ("5mn", 5_000_000.0, None, None),
        ("2.5 million", 2_500_000.0, None, None),
        ("RMB 100", 100.0, "CNY", None),
        ("CNY100", 100.0, "CNY", None),
        ("¥1,000", 1_000.0, "CNY", None),
        ("￥1,000", 1_000.0, "CNY", None),
        ("100人民币", 100.0, "CNY", None),
        ("5000万美元", 50_000_000.0, "USD", None),
        ("US$ 2.5 bn", 2.5e9, "USD", None),
        ("$5m", 5e6, "USD", None),
        ("5m USD", 5e6, "USD", None),
        ("1.5亿港元", 1.5e8, "HKD", None),
        ("3亿港币", 3e8, "HKD", None),
        ("HK$ 3.2m", 3.2e6, "HKD", None),
        ("HKD 10", 10.0, "HKD", None),
        ("2亿欧元", 2e8, "EUR", None),
        ("€5k", 5e3, "EUR", None),
        ("EUR 7", 7.0, "EUR", None),
        ("不低于1000万元", 1e7, "CNY", "lower"),
        ("逾5亿元", 5e8, "CNY", "lower"),
        ("超过3000万元", 3e7, "CNY", "lower"),
        ("8000余万元", 8e7, "CNY", "lower"),
        ("不超过5000万元", 5e7, "CNY", "upper"),
        ("5000万元以下", 5e7, "CNY", "upper"),
        ("约1.5亿元", 1.5e8, "CNY", None),
        ("1.5亿元左右", 1.5e8, "CNY", None),
        ("0", 0.0, None, None),
    ],
)
def test_parse(raw, value, currency, bound):
    assert parse(raw) == Amount(value, currency, bound)


@pytest.mark.parametrize(("raw", "value"), [(1500000, 1.5e6), (1.5e6, 1.5e6), (0, 0.0)])
def test_numbers(raw, value):
    assert parse(raw) == Amount(value, None, None)


def test_negative():
    with pytest.raises(ValueProblem, match="a non-negative amount"):
        parse("-3.2")
    with pytest.raises(ValueProblem, match="a non-negative amount"):
        parse(-3.2)
    assert parse("-3.2", allow_negative=True) == Amount(-3.2, None, None)
    assert parse("-3.2亿元", allow_negative=True) == Amount(-3.2e8, "CNY", None)


def test_exact_error_text():
    with pytest.raises(ValueProblem) as e:
        parse("abc")
    assert str(e.value) == (
        "value 'abc' is not an amount; expected an amount such as 1500000, 1,500,000, 1.5亿元,"
        " 5000万元 or 116,500 万元人民币"
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("$5000万元", "an amount (its currency markers disagree: CNY and USD)"),
        ("超过8000万元以下", "an amount (it has both a lower and an upper bound)"),
        ("", "an amount (it is empty)"),
        ("abc", "an amount"),
        ("(3.2)", "an amount"),
        ("5000-8000万元", "an amount"),
        ("五千万元", "an amount"),
        ("1,5万元", "an amount"),
        ("1e999亿", "an amount (it is too large)"),
    ],
)
def test_errors(raw, why):
    with pytest.raises(ValueProblem) as e:
        parse(raw)
    assert e.value.reason == why


@pytest.mark.parametrize("raw", [None, True, float("nan"), float("inf"), [1]])
def test_non_text_errors(raw):
    with pytest.raises(ValueProblem):
        parse(raw)


@given(st.integers(0, 10**11))
def test_wan_yuan_exact(n):
    assert parse(f"{n}万元") == Amount(n * 1e4, "CNY", None)
    assert parse(f"{n:,}万元").value == n * 10_000
    assert parse(f"{n}亿").value == float(n * 100_000_000)  # correctly rounded beyond 2**53


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_wan_yuan_decimals(d):
    # exact decimal arithmetic: the result is the float nearest the true value
    assert parse(f"{d}万元").value == float(d * 10_000)
    assert parse(f"{d}万元").value == pytest.approx(float(d) * 1e4)


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_plain_float_text(x):
    assert parse(repr(x)).value == x


# ---------------------------------------------------------------- vague amounts (issue 11)
from kg.values.amount import EXPECTED_RANGE, parse_range, vague_words  # noqa: E402


@pytest.mark.parametrize(
    ("raw", "value", "currency", "low", "high"),
    [
        # the forms of the issue: ranges with bounds, never a point value
        ("数千万人民币", None, "CNY", 1e7, 1e8),
        ("近亿元", None, "CNY", 5e7, 1e8),
        ("超过1亿元", 1e8, "CNY", 1e8, None),
        # more of the same words (kg/domain/vague_amounts.csv)
        ("数百万元", None, "CNY", 1e6, 1e7),
        ("数十万", None, None, 1e5, 1e6),
        ("数亿美元", None, "USD", 1e8, 1e9),
        ("数十亿元", None, "CNY", 1e9, 1e10),
        ("几千万元", None, "CNY", 1e7, 1e8),
        ("将近千万元", None, "CNY", 5e6, 1e7),
        ("近1亿元", None, "CNY", 5e7, 1e8),
        ("千万级", None, None, 1e7, 1e8),
        ("上亿元", None, "CNY", 1e8, None),
        ("过亿", None, None, 1e8, None),
        ("亿元以上", None, "CNY", 1e8, None),
        ("千万元以下", None, "CNY", None, 1e7),
        ("逾5亿元", 5e8, "CNY", 5e8, None),
        ("8000万元以上", 8e7, "CNY", 8e7, None),
        ("不超过5000万元", 5e7, "CNY", None, 5e7),
        # exact amounts stay exact
        ("5000万元", 5e7, "CNY", None, None),
        ("1.2亿人民币", 1.2e8, "CNY", None, None),
    ],
)
def test_parse_range(raw, value, currency, low, high):
    a = parse_range(raw)
    assert (a.value, a.currency, a.minimum, a.maximum) == (value, currency, low, high)
    if a.value is None:  # a vague amount is a range: at least one bound, no point value
        assert a.minimum is not None or a.maximum is not None


@pytest.mark.parametrize("raw", ["未披露", "未透露", "未公开", "不详", "保密", "Undisclosed", "", "  "])
def test_undisclosed_stays_empty(raw):
    assert parse_range(raw) is None


def test_every_word_of_the_table_is_read():
    for w in vague_words().values():
        if w.position == "undisclosed":
            assert parse_range(w.word) is None
        elif w.position == "before_unit":
            assert parse_range(w.word + "千万元").minimum == (1e7 * float(w.min_factor))
        else:
            assert parse_range("千万" + w.word).maximum == 1e7 * float(w.max_factor)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("亿元", "an amount (a unit without a number or a vague word)"),
        ("数千万美元人民币", "an amount (its currency markers disagree: CNY and USD)"),
        ("大概很多钱", "an amount"),
    ],
)
def test_parse_range_errors(raw, reason):
    with pytest.raises(ValueProblem) as e:
        parse_range(raw)
    assert str(e.value) == f"value {raw!r} is not {reason}; expected {EXPECTED_RANGE}"
