"""Where the files that ship with kg live: ontology/, loaders/, queries/, data/sample/.

In a source checkout (``pip install -e .``) they are the top-level folders of the repository;
in a wheel they are bundled under ``kg/_bundled/``.

>>> resource_path("ontology", "kg.ttl").name
'kg.ttl'
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a shipped file or folder, e.g. ``resource_path("loaders", "canonical.yaml")``."""
    bundled = _PACKAGE / "_bundled" / Path(*parts)
    if bundled.exists():
        return bundled
    return _PACKAGE.parent / Path(*parts)
