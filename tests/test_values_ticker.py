import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values import ticker
from kg.values.errors import ValueProblem
from kg.values.ticker import Ticker

LEADERDRIVE = Ticker("688017", "SSE", "XSHG", "star")
EXPECTED = "a stock code such as 688017, 688017.SH, sh688017, 300024.SZ or 0700.HK"


@pytest.mark.parametrize(
    "raw",
    [
        "688017", "688017.SH", "688017.sh", "sh688017", "SH688017", "SH.688017", "sh:688017",
        "688017.XSHG", "688017.SS", " ６８８０１７ ", "６８８０１７．ＳＨ", "688017 .SH", 688017,
        688017.0, "SSE:688017",
    ],
)  # fmt: skip
def test_leaderdrive_forms(raw):
    assert ticker.parse(raw) == LEADERDRIVE


@pytest.mark.parametrize(
    ("raw", "canonical", "exchange", "mic", "board"),
    [
        ("600000", "600000.SH", "SSE", "XSHG", "main"),
        ("601318", "601318.SH", "SSE", "XSHG", "main"),
        ("603019", "603019.SH", "SSE", "XSHG", "main"),
        ("605499", "605499.SH", "SSE", "XSHG", "main"),
        ("689009", "689009.SH", "SSE", "XSHG", "star"),
        ("900901", "900901.SH", "SSE", "XSHG", "b_share"),
        ("000001", "000001.SZ", "SZSE", "XSHE", "main"),
        ("001979", "001979.SZ", "SZSE", "XSHE", "main"),
        ("002527", "002527.SZ", "SZSE", "XSHE", "main"),
        ("003816", "003816.SZ", "SZSE", "XSHE", "main"),
        ("300024.SZ", "300024.SZ", "SZSE", "XSHE", "chinext"),
        ("301269", "301269.SZ", "SZSE", "XSHE", "chinext"),
        ("200002", "200002.SZ", "SZSE", "XSHE", "b_share"),
        ("920163", "920163.BJ", "BSE", "BJSE", "bse"),
        ("838163", "838163.BJ", "BSE", "BJSE", "bse"),
        ("430047.BJ", "430047.BJ", "BSE", "BJSE", "bse"),
        ("bj873223", "873223.BJ", "BSE", "BJSE", "bse"),
        ("889999", "889999.BJ", "BSE", "BJSE", "bse"),
        ("430047.NQ", "430047.NQ", "NEEQ", "NEEQ", "neeq"),
        ("430047.OC", "430047.NQ", "NEEQ", "NEEQ", "neeq"),
        ("0700.HK", "0700.HK", "HKEX", "XHKG", "hkex_main"),
        ("00700.HK", "0700.HK", "HKEX", "XHKG", "hkex_main"),
        ("700.hk", "0700.HK", "HKEX", "XHKG", "hkex_main"),
        ("HK00700", "0700.HK", "HKEX", "XHKG", "hkex_main"),
        ("09988.HK", "9988.HK", "HKEX", "XHKG", "hkex_main"),
        ("80737.HK", "80737.HK", "HKEX", "XHKG", "hkex_main"),
        ("0700.XHKG", "0700.HK", "HKEX", "XHKG", "hkex_main"),
    ],
)
def test_ranges_and_forms(raw, canonical, exchange, mic, board):
    t = ticker.parse(raw)
    assert (t.canonical, t.exchange, t.mic, t.board) == (canonical, exchange, mic, board)
    assert str(t) == canonical


@pytest.mark.parametrize(
    ("raw", "hint", "canonical"),
    [
        ("430047", "NEEQ", "430047.NQ"),
        ("830001", "新三板", "830001.NQ"),
        ("830001", "BSE", "830001.BJ"),
        ("830001", "BJSE", "830001.BJ"),
        ("688017", "SSE", "688017.SH"),
        ("688017", "XSHG", "688017.SH"),
        ("688017", "上交所", "688017.SH"),
        ("300024", "深交所", "300024.SZ"),
        ("920163", "北交所", "920163.BJ"),
        ("700", "HKEX", "0700.HK"),
        ("00700", "港交所", "0700.HK"),
        ("2527", "SZSE", "002527.SZ"),  # a spreadsheet dropped the leading zeros
        (2527, "SZSE", "002527.SZ"),
        (1, "SZSE", "000001.SZ"),
        ("688017.SH", "SSE", "688017.SH"),
        ("688017", None, "688017.SH"),
        ("688017", float("nan"), "688017.SH"),
        ("688017", "", "688017.SH"),
    ],
)
def test_exchange_hint(raw, hint, canonical):
    assert ticker.parse(raw, exchange_hint=hint).canonical == canonical


@pytest.mark.parametrize(
    ("raw", "hint", "why"),
    [
        ("688017.SZ", None, "688017 is an SSE code, not SZSE"),
        ("300024.SH", None, "300024 is an SZSE code, not SSE"),
        ("920163.NQ", None, "920163 is a BSE code, not NEEQ"),
        ("838163", "SSE", "838163 is a BSE or NEEQ code, not SSE"),
        ("688017", "SZSE", "688017 is an SSE code, not SZSE"),
        ("688017.SH", "SZSE", "it names more than one exchange: SSE, SZSE"),
        ("sz688017.SH", None, "it names more than one exchange: SZSE, SSE"),
        ("123456", None, "123456 is not in a known stock code range"),
        ("688017.XX", None, "unknown exchange 'XX'"),
        ("000001.HK", None, "a Hong Kong code has 1 to 5 digits"),
        ("0.HK", None, "a Hong Kong code has 1 to 5 digits"),
        (
            "2527",
            None,
            "a bare 4-digit code is ambiguous; give all 6 digits of an A-share code or add .HK"
            " for Hong Kong",
        ),
        ("", None, "it is empty"),
    ],
)
def test_errors(raw, hint, why):
    with pytest.raises(ValueProblem) as e:
        ticker.parse(raw, exchange_hint=hint)
    assert str(e.value) == f"value {raw!r} is not a valid ticker ({why}); expected {EXPECTED}"


@pytest.mark.parametrize("raw", ["abc", "6880170", "688017.SH.SZ", None, True, 12.5, [688017]])
def test_unreadable(raw):
    with pytest.raises(ValueProblem):
        ticker.parse(raw)


def test_unknown_hint():
    with pytest.raises(ValueProblem) as e:
        ticker.parse("688017", exchange_hint="NYSE")
    assert str(e.value) == (
        "value 'NYSE' is not a known exchange; expected SSE, SZSE, BSE, HKEX, NEEQ or their MIC"
    )


def test_tables_are_consistent():
    for exchange, board in ticker.CODE_RANGES.values():
        assert exchange in ticker.EXCHANGES
        assert board in {"main", "star", "chinext", "b_share", "bse"}
    assert set(ticker.EXCHANGE_ALIASES.values()) == set(ticker.EXCHANGES)
    for exchange, (mic, suffix) in ticker.EXCHANGES.items():
        assert ticker.EXCHANGE_ALIASES[mic] == exchange
        assert ticker.EXCHANGE_ALIASES[suffix] == exchange


_A_PREFIX = st.sampled_from(sorted(ticker.CODE_RANGES))


@st.composite
def a_share_inputs(draw):
    prefix = draw(_A_PREFIX)
    code = prefix + draw(st.from_regex(rf"[0-9]{{{6 - len(prefix)}}}", fullmatch=True))
    exchange = ticker.CODE_RANGES[prefix][0]
    if prefix in ticker.NEEQ_PREFIXES and draw(st.booleans()):
        exchange = "NEEQ"
    mic, suffix = ticker.EXCHANGES[exchange]
    form = draw(st.sampled_from(["suffix", "lower", "prefix", "mic", "hint", "bare"]))
    if exchange == "NEEQ" and form == "bare":
        form = "hint"
    if form == "suffix":
        return f"{code}.{suffix}", None
    if form == "lower":
        return f"{code}.{suffix.lower()}", None
    if form == "prefix":
        return f"{suffix.lower()}{code}", None
    if form == "mic":
        return f"{code}.{mic}", None
    if form == "hint":
        return code, draw(st.sampled_from([exchange, mic]))
    return code, None


@given(a_share_inputs())
def test_a_share_canonical_round_trip(case):
    raw, hint = case
    t = ticker.parse(raw, exchange_hint=hint)
    assert ticker.parse(t.canonical) == t
    assert t.canonical.split(".")[0] == t.code and len(t.code) == 6


@given(st.integers(1, 99999), st.sampled_from(["{n}.HK", "{n:05d}.HK", "{n:04d}.hk", "HK{n}"]))
def test_hk_canonical_round_trip(n, form):
    t = ticker.parse(form.format(n=n))
    assert t.exchange == "HKEX"
    assert t.code == f"{n:04d}"
    assert ticker.parse(t.canonical) == t
