"""The one error type of the value layer.

Every parser in :mod:`kg.values` raises :class:`ValueProblem` for input it cannot read, so a
loader can catch one exception type and write the message into its rejects report.

>>> e = ValueProblem("130%", "a share between 0 and 100%", "0.51, 51% or 51")
>>> str(e)
"value '130%' is not a share between 0 and 100%; expected 0.51, 51% or 51"
>>> isinstance(e, ValueError)
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["ValueProblem"]


class ValueProblem(ValueError):
    """A value that cannot be read.

    `reason` completes "value 'X' is not ...", `expected` says what is accepted.

    >>> e = ValueProblem("2021-13-01", "a valid date (month 13 is out of range)", "YYYY-MM-DD")
    >>> e.value, e.reason, e.expected
    ('2021-13-01', 'a valid date (month 13 is out of range)', 'YYYY-MM-DD')
    """

    def __init__(self, value: Any, reason: str, expected: str) -> None:
        self.value = value
        self.reason = reason
        self.expected = expected
        super().__init__(f"value {value!r} is not {reason}; expected {expected}")

    def __reduce__(self):  # keep it picklable (multiprocessing loaders)
        return (type(self), (self.value, self.reason, self.expected))
