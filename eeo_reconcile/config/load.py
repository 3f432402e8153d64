"""Find, parse, validate and normalise a configuration into a `Config`.

Everything wrong with the configuration is collected into one `ConfigError`
with a file, line and column for each problem: YAML syntax, duplicate keys,
schema violations and the cross-checks the schema cannot express. The files
of a configuration are a `YamlSource`; `build_config` works on any
`config.source.Source`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

from .._gc import paused_gc
from ..errors import ConfigError, Diagnostic, Location
from ..model import Config
from .build import Builder
from .schema import schema_diagnostics
from .source import Document, Source
from .yamlload import load_bytes

YAML_SUFFIXES = (".yaml", ".yml")


def find_files(path: str) -> list[str]:
    """The YAML files of a configuration: the file itself, or every *.yaml/*.yml
    below a directory (hidden files and folders skipped), in a stable order."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise ConfigError(
            [
                Diagnostic(
                    None,
                    f"configuration {path!r} does not exist",
                    "give a roster YAML file or a directory of them",
                )
            ]
        )
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                continue
            found.append(os.path.join(dirpath, name))
    if not found:
        raise ConfigError(
            [
                Diagnostic(
                    Location(path, 1, 1),
                    "the directory holds no *.yaml or *.yml file",
                    "put the roster files in this directory or give a file",
                )
            ]
        )
    return found


def display_name(path: str) -> str:
    """How a file is named in messages: relative to the working directory when
    it is below it, so error lines can be clicked in an editor or CI log."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return path
    return path if rel.startswith("..") else rel


class YamlSource:
    """A roster YAML file, or every roster YAML file below a directory."""

    def __init__(self, path: str | os.PathLike[str]):
        self.root = os.path.abspath(os.fspath(path))
        self.files = tuple(find_files(self.root))
        self.base_dir = self.root if os.path.isdir(self.root) else os.path.dirname(self.root)
        self._digest = hashlib.sha256()

    def documents(self) -> Iterator[Document]:
        for fname in self.files:
            with open(fname, "rb") as fh:
                raw = fh.read()
            self._digest.update(os.path.relpath(fname, self.base_dir).encode() + b"\0")
            self._digest.update(raw)
            self._digest.update(b"\0")
            yield load_bytes(raw, fname, display_name(fname))

    def digest(self) -> str:
        return self._digest.hexdigest()


def load_config(path: str | os.PathLike[str] = ".") -> Config:
    """Load and validate a configuration; raise `ConfigError` with every problem."""
    with paused_gc():
        return build_config(YamlSource(path))


def build_config(source: Source) -> Config:
    """Schema-check and build every document of `source` into one `Config`."""
    diagnostics: list[Diagnostic] = []
    builder = Builder()
    first_doc: Document | None = None
    all_parsed = True
    for doc in source.documents():
        if first_doc is None:
            first_doc = doc
        diagnostics.extend(doc.diagnostics)
        if not doc.parsed:
            all_parsed = False
            continue
        if doc.data is None:
            continue
        taken = {d.location for d in doc.diagnostics}
        diagnostics.extend(d for d in schema_diagnostics(doc) if d.location not in taken)
        builder.add_document(doc)
        doc.release()  # positions are no longer needed
    school = builder.school_config(first_doc, all_parsed)
    state = builder.state_ref(source.base_dir)
    safety = builder.safety_config()
    diagnostics.extend(builder.errors)
    if diagnostics or school is None:
        raise ConfigError(diagnostics)
    return Config(
        root=source.root,
        base_dir=source.base_dir,
        files=source.files,
        school=school,
        state=state,
        safety=safety,
        courses=builder.courses,
        digest=source.digest(),
    )
