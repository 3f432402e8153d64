"""Where configuration documents come from, and how their values are located.

The builder (`config.build`) turns documents into a `Config`; it never sees
YAML. A `Document` is a JSON-like value plus a way to say where any part of
it came from (file, line, column), so every error points at the user's line.
A YAML file (`config.yamlload`) is one kind of document; a CSV or OneRoster
export can be another, with rows and columns as its positions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from ..errors import Diagnostic, Location

Path = Sequence[Any]  # keys and list indexes from the document's root


class Locator(Protocol):
    def locate(self, path: Path, key: bool = False) -> Location:
        """Where the value at `path` (below this locator) is; with `key`, where
        the last mapping key of the path is written."""


class Document(Protocol):
    """One parsed source file."""

    path: str  # the file as opened
    display: str  # how messages name it

    @property
    def data(self) -> Any:
        """The JSON-like value; None when empty or unparsable."""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Problems found while reading it."""

    @property
    def parsed(self) -> bool:
        """False when the file could not be read as a document at all."""

    def locate(self, path: Path, key: bool = False) -> Location: ...

    def at(self, path: Path) -> Locator:
        """A locator for paths below `path` (cheaper for many lookups there)."""

    def release(self) -> None:
        """Drop what is only needed for locating (called once the config is built)."""


class Source(Protocol):
    """A whole configuration: its documents, and what identifies its content."""

    root: str  # as given, absolute
    base_dir: str  # relative paths (the state file) resolve against it
    files: tuple[str, ...]

    def documents(self) -> Iterator[Document]: ...

    def digest(self) -> str:
        """A hash of every document's bytes (after `documents()` ran)."""
