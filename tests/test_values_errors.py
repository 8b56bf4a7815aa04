import pickle

import pytest

from kg.values.errors import ValueProblem


def test_message_and_fields():
    e = ValueProblem("130%", "a share between 0 and 100%", "0.51, 51% or 51")
    assert str(e) == "value '130%' is not a share between 0 and 100%; expected 0.51, 51% or 51"
    assert (e.value, e.reason, e.expected) == (
        "130%",
        "a share between 0 and 100%",
        "0.51, 51% or 51",
    )


def test_is_a_value_error():
    with pytest.raises(ValueError):
        raise ValueProblem(1, "x", "y")


def test_pickle_round_trip():
    e = ValueProblem("abc", "an amount", "1.5亿元")
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is ValueProblem
    assert str(e2) == str(e)
    assert e2.reason == "an amount"
