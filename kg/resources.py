"""Where the files that ship with kg live: ontology/, loaders/, queries/, data/sample/.

In a source checkout (``pip install -e .``) they are the top-level folders of the repository;
in a wheel they are bundled under ``kg/_bundled/``.

>>> resource_path("ontology", "kg.ttl").name
'kg.ttl'
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a shipped file or folder, e.g. ``resource_path("loaders", "canonical.yaml")``."""
    bundled = _PACKAGE / "_bundled" / Path(*parts)
    if bundled.exists():
        return bundled
    return _PACKAGE.parent / Path(*parts)


def child_env() -> dict[str, str]:
    """The environment of a ``python -m kg...`` process that must import this kg, wherever it was
    imported from (an install, a checkout on sys.path): this one's, with kg's folder first on
    ``PYTHONPATH``.

    >>> child_env()["PYTHONPATH"].split(os.pathsep)[0] == str(_PACKAGE.parent)
    True
    """
    path = os.pathsep.join(p for p in (str(_PACKAGE.parent), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}
