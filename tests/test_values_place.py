import pytest

from kg.values.place import city_key, province_key


@pytest.mark.parametrize(
    ("raw", "key"),
    [("江苏省", "32"), ("江苏", "32"), ("Jiangsu", "32"), (" jiangsu ", "32"), ("广西壮族自治区", "45"), ("广西", "45"),
     ("Inner Mongolia", "15"), ("内蒙古", "15"), ("北京市", "11"), ("Beijing", "11"), ("深圳市", "44"), ("宁波", "33"),
     ("新疆生产建设兵团", "65"), ("香港特别行政区", "81"), ("Ｓｈａｎｇｈａｉ", "31"), ("Atlantis", "atlantis")],
)
def test_province_key(raw, key):
    assert province_key(raw) == key


def test_missing_places_are_none():
    assert province_key(None) is None and province_key("  ") is None and city_key("") is None


def test_city_key():
    assert city_key("苏州市") == city_key("苏州") == "苏州"
    assert city_key("Suzhou") == "suzhou"
    assert city_key("市") == "市"
