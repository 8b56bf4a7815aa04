"""The query catalog: canned queries as files, ``NAME.rq`` (SPARQL) + ``NAME.cypher`` (Cypher).

Each file starts with a header in comment lines, YAML after the marker (grlc-style): ``#+ ``
in SPARQL, ``//+ `` in Cypher::

    #+ summary: Little Giants owned by large firms
    #+ description: |
    #+   Firms with a valid Little Giant certification at as_of that a large firm owns ...
    #+ params:
    #+   min_share: {type: decimal, default: 0.5, min: 0, max: 1, description: integrated share}
    #+ columns: firm, firm_name, parent, parent_name, share, hops
    #+ iri_columns: firm, parent

Keys: ``summary``, ``description``, ``params`` (name -> type and options, see
:mod:`kg.queries.params`), ``columns`` (the output columns, in order), ``columns_when``
(boolean parameter -> the columns shown when it is true, e.g. a total row), ``iri_columns``
(columns that hold entity IRIs, for subgraph exports), ``cohort`` (``required`` or
``optional``: the query selects certified firms with the shared cohort parameters, see
:mod:`kg.queries.cohort`; a cohort parameter under ``params`` changes only what it names, e.g.
its default), ``explain`` (the lines :mod:`kg.queries.explain` prints for an empty result or
one that leaves out cohort firms). Every query also takes ``as_of`` (a date, default today) whether or not its header
declares it.

Where the queries come from, later ones replacing earlier ones of the same name:

1. the shipped folder ``queries/`` (:func:`kg.resources.resource_path`);
2. folders named by the config file: ``$KG_CONFIG`` if set, else the first of ``./kg.toml`` and
   ``$XDG_CONFIG_HOME/accelerator-kg/config.toml`` (``~/.config/...``) that exists, with
   ``queries = "DIR"`` or ``queries = ["DIR", ...]`` (relative to the config file);
3. ``--queries DIR`` options.

>>> cat = load_catalog()
>>> q = cat["little-giant-subsidiaries"]
>>> q.columns[:4], q.params["min_share"].type
(['firm', 'firm_name', 'parent', 'parent_name'], 'decimal')
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError
from kg.queries import cohort as cohort_lang
from kg.queries.params import AS_OF, ParamSpec
from kg.resources import resource_path

__all__ = ["Query", "load_catalog", "get_query", "parse_header", "config_query_dirs",
           "config_path", "shipped_dir", "SPARQL_EXT", "CYPHER_EXT"]

SPARQL_EXT = ".rq"
CYPHER_EXT = ".cypher"
_MARKERS = {SPARQL_EXT: "#+", CYPHER_EXT: "//+"}
_COMMENTS = {SPARQL_EXT: "#", CYPHER_EXT: "//"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_PLACEHOLDER = re.compile(r"@(?:in_)?cohort\(")
_AS_OF_SPEC = {"type": "date", "description": "the date the query is evaluated at (default today)"}


@dataclass
class Query:
    """One catalog entry; ``sparql`` / ``cypher`` hold the texts (None when a file is missing)."""

    name: str
    summary: str = ""
    description: str = ""
    params: dict[str, ParamSpec] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    columns_when: dict[str, list[str]] = field(default_factory=dict)
    iri_columns: list[str] = field(default_factory=list)
    sparql: str | None = None
    cypher: str | None = None
    sparql_path: Path | None = None
    cypher_path: Path | None = None
    origin: str = "shipped"
    problems: list[str] = field(default_factory=list)
    cohort: str | None = None  # "required" / "optional": takes the cohort parameters
    explain: dict = field(default_factory=dict)  # if_empty / left_out lines (kg.queries.explain)

    @property
    def backends(self) -> list[str]:
        """Which backends can run it: ``embedded`` (SPARQL) and/or ``neo4j`` (Cypher)."""
        return [b for b, t in (("embedded", self.sparql), ("neo4j", self.cypher)) if t is not None]

    def output_columns(self, values: Mapping[str, Any]) -> list[str]:
        """The columns shown for these parameter values (``columns_when`` switches them).

        >>> q = Query("x", columns=["firm", "n"], columns_when={"total": ["n"]})
        >>> q.output_columns({"total": True}), q.output_columns({"total": False})
        (['n'], ['firm', 'n'])
        """
        for param, cols in self.columns_when.items():
            if values.get(param) is True:
                return list(cols)
        return list(self.columns)


def shipped_dir() -> Path:
    """The folder of the queries that ship with kg."""
    return resource_path("queries")


# libyaml's safe loader where PyYAML has it: the same documents, ~10x faster to read (the
# catalog's headers were 0.15 s of every `kg query run`)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_header(text: str, marker: str = "#+", comment: str = "#") -> dict:
    """The YAML of a file's leading ``marker`` lines (only the leading comment block is read).

    >>> parse_header("#+ summary: hi\\n#+ columns: a, b\\nSELECT ...")
    {'summary': 'hi', 'columns': 'a, b'}
    >>> parse_header("//+ params:\\n//+   n: integer\\nMATCH (n) RETURN n", "//+", "//")
    {'params': {'n': 'integer'}}
    """
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(marker):
            body = line.lstrip()[len(marker):]
            lines.append(body[1:] if body.startswith(" ") else body)
        elif s == "" or s.startswith(comment):
            continue
        else:
            break
    if not lines:
        return {}
    data = yaml.load("\n".join(lines), Loader=_YAML_LOADER)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("the header is not a set of 'key: value' lines")
    return data


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [c.strip() for c in value.split(",") if c.strip()]
    return [str(c).strip() for c in value]


def _from_header(q: Query, header: dict) -> None:
    q.summary = str(header.get("summary") or "").strip()
    q.description = str(header.get("description") or "").strip()
    params = header.get("params") or {}
    if not isinstance(params, Mapping):
        raise ValueError("params: expected 'name: {type: ..., default: ...}' entries")
    kind = header.get("cohort")
    if kind is not None and kind not in cohort_lang.KINDS:
        raise ValueError(f"cohort: {kind!r} is not one of {', '.join(cohort_lang.KINDS)}")
    q.cohort = kind
    own = {str(k): v for k, v in params.items() if not (kind and str(k) in cohort_lang.COHORT_PARAMS)}
    specs = {k: ParamSpec.from_header(k, v) for k, v in own.items()}
    if kind:
        shared = _cohort_params()
        for name in cohort_lang.COHORT_PARAMS:
            change = params.get(name) or {}
            if not isinstance(change, Mapping):
                raise ValueError(f"params: {name} is a cohort parameter; give only what changes, e.g. {{default: ...}}")
            specs[name] = ParamSpec.from_header(name, {**shared[name], **change})
    if AS_OF not in specs:
        specs[AS_OF] = ParamSpec.from_header(AS_OF, _AS_OF_SPEC)
    q.params = specs
    q.columns = _names(header.get("columns"))
    when = header.get("columns_when") or {}
    q.columns_when = {str(k): _names(v) for k, v in when.items()}
    for k in q.columns_when:
        if k not in specs or specs[k].type != "boolean":
            raise ValueError(f"columns_when: {k!r} is not a boolean parameter of the query")
    q.iri_columns = _names(header.get("iri_columns") or header.get("entities"))
    explain = header.get("explain") or {}
    if not isinstance(explain, Mapping):
        raise ValueError("explain: expected 'if_empty: ...' and/or 'left_out: {empty: ..., counted: ..., text: ...}'")
    q.explain = dict(explain)


@cache
def _cohort_params() -> dict[str, dict]:
    """The cohort parameters as the shared fragment's header declares them."""
    header = parse_header(cohort_lang.fragment(SPARQL_EXT)[0], _MARKERS[SPARQL_EXT], _COMMENTS[SPARQL_EXT])
    return {str(k): dict(v) for k, v in header["params"].items()}


def cohort_description() -> str:
    """What the cohort parameters mean (the shared fragment's description), for ``kg query show``.

    >>> cohort_description().startswith("The cohort is the Firms holding a certification")
    True
    """
    header = parse_header(cohort_lang.fragment(SPARQL_EXT)[0], _MARKERS[SPARQL_EXT], _COMMENTS[SPARQL_EXT])
    return str(header.get("description") or "").strip()


def _signature(q: Query) -> tuple:
    return (q.cohort, tuple((n, s.type, str(s.default)) for n, s in q.params.items()), tuple(q.columns),
            tuple(sorted((k, tuple(v)) for k, v in q.columns_when.items())))


def _load_pair(name: str, files: dict[str, Path], origin: str) -> Query:
    q = Query(name=name, origin=origin)
    headers: dict[str, Query] = {}
    expanded_exts: list[str] = []
    for ext, path in sorted(files.items()):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            q.problems.append(f"{path}: cannot read ({e})")
            continue
        expanded = (cohort_lang.expand_sparql if ext == SPARQL_EXT else cohort_lang.expand_cypher)(text)
        if expanded != text:
            expanded_exts.append(ext)
        if ext == SPARQL_EXT:
            q.sparql, q.sparql_path = expanded, path
        else:
            q.cypher, q.cypher_path = expanded, path
        try:
            h = parse_header(text, _MARKERS[ext], _COMMENTS[ext])
            part = Query(name=name)
            _from_header(part, h)
            headers[ext] = part
        except (ValueError, yaml.YAMLError) as e:
            q.problems.append(f"{path.name}: bad header: {str(e).splitlines()[0]}")
    main = headers.get(SPARQL_EXT) or headers.get(CYPHER_EXT)
    if main is not None:
        for attr in ("summary", "description", "params", "columns", "columns_when", "iri_columns", "cohort", "explain"):
            setattr(q, attr, getattr(main, attr))
        if len(headers) == 2 and _signature(headers[SPARQL_EXT]) != _signature(headers[CYPHER_EXT]):
            q.problems.append(f"{name}{SPARQL_EXT} and {name}{CYPHER_EXT} declare different parameters or columns")
    else:
        q.params = {AS_OF: ParamSpec.from_header(AS_OF, _AS_OF_SPEC)}
    for ext in expanded_exts:
        if q.cohort is None:
            q.problems.append(f"{name}{ext}: uses the cohort but its header has no 'cohort: required' or 'cohort: optional'")
    for ext, text in ((SPARQL_EXT, q.sparql), (CYPHER_EXT, q.cypher)):
        if text is not None and _PLACEHOLDER.search(text):
            q.problems.append(f"{name}{ext}: a cohort placeholder is left unexpanded (its forms: @cohort(?firm) "
                              f"or @cohort(?firm, ?c) in SPARQL; @cohort(firm), @cohort(firm, c), @in_cohort(firm) in Cypher)")
    return q


def _scan(folder: Path, origin: str) -> dict[str, Query]:
    groups: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in _MARKERS and _NAME.match(path.stem):
            groups.setdefault(path.stem, {})[path.suffix] = path
    return {name: _load_pair(name, files, origin) for name, files in groups.items()}


def config_path() -> Path | None:
    """The config file in use: ``$KG_CONFIG``, else ``./kg.toml``, else the user config file.

    >>> os.environ["KG_CONFIG"] = "/nonexistent/kg.toml"; config_path()
    PosixPath('/nonexistent/kg.toml')
    >>> del os.environ["KG_CONFIG"]
    """
    env = os.environ.get("KG_CONFIG")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for p in (Path("kg.toml"), base / "accelerator-kg" / "config.toml"):
        if p.is_file():
            return p
    return None


def config_query_dirs(path: Path | None = None) -> list[Path]:
    """The query folders a config file names (``queries = "dir"`` or a list); [] without one."""
    path = path if path is not None else config_path()
    if path is None:
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"config file {path} (from KG_CONFIG) does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"config file {path}: cannot read it ({str(e).splitlines()[0]})") from None
    value = data.get("queries")
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"config file {path}: queries must be a folder or a list of folders, e.g. queries = \"my-queries\"")
    return [(path.parent / v).expanduser() if not Path(v).expanduser().is_absolute() else Path(v).expanduser()
            for v in value]


def load_catalog(dirs: Iterable[Path | str] = (), *, use_config: bool = True) -> dict[str, Query]:
    """All queries: shipped, then config folders, then ``dirs`` (later names win).

    >>> "financing-intensity" in load_catalog()
    True
    """
    out: dict[str, Query] = {}
    folders: list[tuple[Path, str]] = [(shipped_dir(), "shipped")]
    if use_config:
        folders += [(d, str(d)) for d in config_query_dirs()]
    folders += [(Path(d), str(d)) for d in dirs]
    for folder, origin in folders:
        if not folder.is_dir():
            if origin == "shipped":
                continue
            raise InputError(f"query folder {folder} does not exist or is not a folder")
        out.update(_scan(folder, origin))
    return dict(sorted(out.items()))


def get_query(name: str, dirs: Iterable[Path | str] = (), *, catalog: Mapping[str, Query] | None = None) -> Query:
    """One query by name; an unknown name is an InputError listing the known ones.

    >>> get_query("weak-performers").columns[:3]
    ['firm', 'firm_name', 'reason']
    """
    cat = catalog if catalog is not None else load_catalog(dirs)
    try:
        return cat[name]
    except KeyError:
        close = [n for n in cat if name.lower() in n.lower() or n.lower() in name.lower()]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InputError(f"no query named {name!r}{hint}; the catalog has: {', '.join(cat) or 'none'}") from None
