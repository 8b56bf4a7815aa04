import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values.text import (
    CONTROLS,
    LEGAL_FORMS_EN,
    LEGAL_FORMS_ZH,
    clean,
    normalise_name,
    normalise_names,
    to_halfwidth,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("０１２３４５６７８９", "0123456789"),
        ("ＡＢＣｘｙｚ", "ABCxyz"),
        ("５１％", "51%"),
        ("（有限合伙）", "(有限合伙)"),
        ("１，２００．５", "1,200.5"),
        ("２０２１／０７－０１", "2021/07-01"),
        ("a\u3000b", "a b"),
        ("～！", "~!"),
        ("你好。、《》「」", "你好。、《》「」"),  # Chinese punctuation is kept
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_to_halfwidth(raw, expected):
    assert to_halfwidth(raw) == expected


@given(st.text())
def test_to_halfwidth_leaves_no_fullwidth_ascii(s):
    out = to_halfwidth(s)
    assert len(out) == len(s)
    assert not any("\uff01" <= c <= "\uff5e" or c == "\u3000" for c in out)
    assert to_halfwidth(out) == out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (pd.NaT, None),
        ("", None),
        ("   ", None),
        ("\u3000\t\n", None),
        ("\ufeff", None),
        ("  a  b\t\nc ", "a b c"),
        ("深圳市　大族激光", "深圳市 大族激光"),
        ("\ufeffname", "name"),
        ("a\u200bb", "ab"),
        ("ＡＢＣ　１２３", "ABC 123"),
        (12, "12"),
        (1.5, "1.5"),
    ],
)
def test_clean(raw, expected):
    assert clean(raw) == expected


@given(st.text())
def test_clean_is_idempotent_and_trimmed(s):
    c = clean(s)
    if c is not None:
        assert c == c.strip()
        assert "  " not in c
        assert clean(c) == c


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mEvil Co\x1b[0m", "[31mEvil Co[0m"),  # ESC
        ("Bell\x07 Ltd", "Bell Ltd"),  # BEL
        ("A\x00B\x7fC", "ABC"),  # NUL, DEL
        ("\x9b2J Co\x80", "2J Co"),  # C1: CSI, PAD
        ("绿的\x1b谐波", "绿的谐波"),  # also in non-ASCII text
        ("a\tb\rc\x0bd\x85e\x1cf", "a b c d e f"),  # whitespace controls (tab, CR, VT, NEL, FS) are spaces
        ("\x1b\x07", None),  # nothing left
    ],
)
def test_clean_drops_control_characters(raw, expected):
    assert clean(raw) == expected


@given(st.text())
def test_clean_leaves_no_control_character(s):
    c = clean(s)
    assert c is None or not any(ord(ch) in CONTROLS or ch in "\t\n\r" for ch in c)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("深圳市大族激光科技股份有限公司", "深圳市大族激光科技"),
        ("深圳市大族激光科技股份有限公司", "深圳市大族激光科技有限公司"),
        ("Siasun Robot & Automation Co., Ltd.", "SIASUN ROBOT & AUTOMATION"),
        ("Siasun Robot & Automation Co., Ltd.", "Siasun Robot and Automation Company Limited"),
        ("Siasun Robot & Automation Co.,Ltd", "siasun robot & automation co ltd"),
        ("Siasun Robot & Automation CO.LTD.", "Siasun Robot & Automation"),
        ("沈阳新松机器人自动化股份有限公司", "瀋陽新松機器人自動化股份有限公司"),
        ("機器人", "机器人"),
        ("某某创业投资合伙企业（有限合伙）", "某某创业投资合伙企业(有限合伙)"),
        ("某某创业投资合伙企业（有限合伙）", "某某创业投资"),
        ("某某创业投资中心（有限合伙）", "某某创业投资中心"),
        ("中国电子科技集团公司", "中国电子科技集团有限公司"),
        ("北京 某某 科技 有限责任公司", "北京某某科技"),
        ("Leaderdrive Inc.", "LEADERDRIVE"),
        ("Foo GmbH", "foo"),
        ("Foo S.A.", "Foo"),
        ("Foo Corp.", "Foo Corporation"),
        ("Foo LLC", "Foo PLC"),
        ("“绿的”谐波·传动", "绿的谐波传动"),
        ("ＳＩＡＳＵＮ　ＲＯＢＯＴ", "Siasun Robot"),
    ],
)
def test_normalise_name_matches(a, b):
    assert normalise_name(a) == normalise_name(b)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("深圳市大族激光科技股份有限公司", "深圳市大族激光科技"),
        ("大族激光科技产业集团股份有限公司", "大族激光科技产业集团"),  # 集团 is part of the name
        ("Siasun Robot & Automation Co., Ltd.", "siasunrobotandautomation"),
        ("Zinc Corp", "zinc"),  # "inc" only as a whole word
        ("有限公司", "有限"),  # never stripped to nothing
        ("Company Limited", "company"),
        (None, ""),
        ("", ""),
    ],
)
def test_normalise_name_key(raw, key):
    assert normalise_name(raw) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("大族激光", "大族激光科技"),
        ("Siasun Robot", "Siasun Robotics"),
        ("Shanghai STEP Electric", "Shanghai Electric"),
    ],
)
def test_normalise_name_keeps_different_names_apart(a, b):
    assert normalise_name(a) != normalise_name(b)


_WORD = st.from_regex(r"[A-Za-z]{2,8}", fullmatch=True)
_ZH = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(
        lambda c: c not in "".join(LEGAL_FORMS_ZH)
    ),
    min_size=1,
    max_size=10,
)


@given(
    st.lists(_WORD, min_size=1, max_size=4),
    st.sampled_from(
        [" Co., Ltd.", " Company Limited", " Inc.", " LLC", " Corp", " Co.,Ltd", " Limited", ""]
    ),
)
def test_english_legal_forms_do_not_matter(words, suffix):
    name = " ".join(words)
    assert normalise_name(name + suffix) == normalise_name(name)
    assert normalise_name(name.upper() + suffix) == normalise_name(name.lower())


@given(
    _ZH,
    st.sampled_from(
        [
            "有限公司",
            "股份有限公司",
            "有限责任公司",
            "（有限合伙）",
            "合伙企业（有限合伙）",
            "股份公司",
            "",
        ]
    ),
)
def test_chinese_legal_forms_do_not_matter(name, suffix):
    assert normalise_name(name + suffix) == normalise_name(name)


@given(st.text(alphabet=st.sampled_from(list("abcXYZ 12&.,()（）有限公司股份合伙集团機器人 -"))))
def test_normalise_name_idempotent_and_compact(s):
    key = normalise_name(s)
    assert normalise_name(key) == key
    assert not any(c.isspace() for c in key)
    assert key == key.casefold()


def test_normalise_name_nan():
    assert normalise_name(math.nan) == ""


def _names_to_key():
    """Names of every kind normalise_names tells apart: plain ASCII (legal forms, punctuation,
    '&', blanks), plain Chinese (legal forms repeated, traditional characters, every CJK
    ideograph), and the rest (full-width, tabs, accents, numbers, missing)."""
    import random
    import string

    rnd = random.Random(7)
    words = [*LEGAL_FORMS_EN, "Co.", "Ltd.", "S.A.", "Co.,Ltd", "&", "and", "Acme", "x_y", "A-B", "Han's"]
    zh = [*LEGAL_FORMS_ZH, "深圳", "瀋陽", "機器", "集团", "有限", "合伙", "企业", "股份", "责任", "普通"]
    names = [" ".join(rnd.choice(words) if rnd.random() < 0.6 else
                      "".join(rnd.choice(string.printable[:95] + "&.'`_-") for _ in range(rnd.randint(0, 5)))
                      for _ in range(rnd.randint(0, 6))) for _ in range(20000)]
    names += ["".join(rnd.choice(zh) for _ in range(rnd.randint(0, 6))) for _ in range(20000)]
    names += [chr(c) for c in range(0x4E00, 0xA000)] + [chr(c) * 2 + "有限公司" for c in range(0x4E00, 0xA000, 7)]
    names += [chr(c) for c in range(0x20, 0x7F)]
    names += ["\t", " ", "", "a\tb", "a  b", " a", "a ", "ａｂ Co", "Ａ Co", "é Ltd", "ß co", "深圳 公司", "公司", "有限公司",
              None, float("nan"), 7, 2.5]
    return names


def test_normalise_names_are_normalise_name():
    names = _names_to_key()
    assert normalise_names(names) == [normalise_name(n) for n in names]
    text = [n for n in names if isinstance(n, str)]  # all text: the bulk paths
    assert normalise_names(text) == [normalise_name(n) for n in text]
    assert normalise_names([]) == []
