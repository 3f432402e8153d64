"""The second half of a configuration's files, built in a second process.

Parsing YAML is most of a plan's time and runs under the GIL. A large
configuration (`PARALLEL_BYTES` and more, two files or more) is therefore
split by size: a forked child (`_fork.Forked`) parses the later files and
builds their courses while this process parses and builds the earlier ones.
The child sends back, for each of its files, what the file contributes
(`Prebuilt`: courses, lessons, retired courses, with their locations) or
nothing, and this process merges the contributions in file order.

The result is the serial one by construction: the child only prebuilds a
file that is valid on its own (no syntax, schema or cross-check problem), is
not split into parts and holds none of the blocks given once (`school`,
`state`, `safety`). Anything that a file's contribution could conflict with
(a course, lesson or retired course seen in an earlier file) is checked on
merging (`Builder.merge`); on any doubt -- a conflict, a file not prebuilt, a
child that failed -- the file is parsed and built here, in order, exactly as
without a child, so every error is reported as it would be serially.

The answer crosses a private pipe from our own child as a pickle of plain
data and model objects made by this code (a file's content only ever
appears as values inside them).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

from .._fork import ChildFailed, Forked, can_fork
from ..errors import Diagnostic, Location
from .build import Builder, Prebuilt
from .schema import schema_diagnostics
from .yamlload import YamlDocument, load_bytes

PARALLEL_BYTES = 1 << 20  # below 1 MiB a second process does not pay for itself
_ONCE = ("school", "state", "safety")


def prebuild(doc: YamlDocument) -> Prebuilt | None:
    """The file's contribution, when it can be merged without this file's
    neighbours; None when it must be built in order with them."""
    data = doc.data
    if not doc.parsed or doc.diagnostics or not isinstance(data, dict):
        return None
    if any(key in data for key in _ONCE):
        return None
    courses = data.get("courses")
    if isinstance(courses, list) and any(isinstance(c, dict) and "part" in c
                                         for c in courses):
        return None
    if schema_diagnostics(doc):
        return None
    b = Builder()
    b.add_document(doc)
    if b.errors or b.split or b.school_seen:
        return None
    return Prebuilt(
        courses=tuple((cid, b.course_where[cid], spec) for cid, spec in b.courses.items()),
        lessons=b.parts.lesson_where,
        retired=b.retired,
    )


class DeferredDocument:
    """A file the child prebuilt: parsed here only if it must be built here."""

    def __init__(self, raw: bytes, path: str, display: str, prebuilt: Prebuilt | None):
        self.path = path
        self.display = display
        self.prebuilt = prebuilt
        self._raw: bytes | None = raw
        self._doc: YamlDocument | None = None

    def _loaded(self) -> YamlDocument:
        if self._doc is None:
            self._doc = load_bytes(self._raw or b"", self.path, self.display)
            self._raw = None
        return self._doc

    @property
    def data(self) -> Any:
        return self._loaded().data

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self._loaded().diagnostics

    @property
    def parsed(self) -> bool:
        return self._loaded().parsed

    def locate(self, path: Sequence[Any], key: bool = False) -> Location:
        return self._loaded().locate(path, key)

    def at(self, path: Sequence[Any]) -> Any:
        return self._loaded().at(path)

    def release(self) -> None:
        self._raw = None
        if self._doc is not None:
            self._doc.release()


Entry = tuple[str, str, bytes]  # file as opened, display name, content


def split_point(sizes: Sequence[int]) -> int | None:
    """Where the child's share (the later files) starts, or None: no child."""
    total = sum(sizes)
    if len(sizes) < 2 or total < PARALLEL_BYTES or not can_fork():
        return None
    acc = 0
    for i, n in enumerate(sizes):
        if acc + n / 2 >= total / 2:
            return max(1, i)
        acc += n
    return len(sizes) - 1  # pragma: no cover - the loop always returns


class LaterFiles:
    """The child at work on the later files of a configuration."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = entries

        def work() -> bytes:
            out = [prebuild(load_bytes(raw, path, display)) for path, display, raw in entries]
            return pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)

        self._child = Forked(work)

    def documents(self) -> list[DeferredDocument]:
        """Wait for the child: one document per entry, to be merged or built here."""
        try:
            built = pickle.loads(self._child.result())
        except (ChildFailed, pickle.UnpicklingError, EOFError):
            built = [None] * len(self.entries)
        return [DeferredDocument(raw, path, display, pre)
                for (path, display, raw), pre in zip(self.entries, built, strict=True)]

    def cancel(self) -> None:
        self._child.cancel()


def merge_prebuilt(builder: Builder, doc: Any) -> bool:
    """Merge a prebuilt file into `builder`; False: build it here instead."""
    pre = getattr(doc, "prebuilt", None)
    return pre is not None and builder.merge(pre)
