"""YAML reading with positions: libyaml composes, we construct.

`yaml.compose(..., Loader=yaml.CSafeLoader)` builds the node tree in C with a
mark (line, column) on every node. We then construct plain Python values from
the nodes ourselves, which is where duplicate keys are caught (PyYAML silently
keeps the last one). The node tree is kept so that any later error, found by
the schema or by a semantic check on a JSON-like path, can be located back to
the user's line and column with `locate()`. A `YamlDocument` is the YAML kind
of `config.source.Document`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from ..errors import Diagnostic, Location
from ..text import printable, token
from .yamlfast import INT_TAG, STR_TAG, FastLoader
from .yamlnumbers import FLOAT_TAG, OddNumber, odd_number

_MERGE = "tag:yaml.org,2002:merge"

# A pure-Python constructor used only for the rare scalars that need YAML's
# full rules (octal/hex/sexagesimal ints, floats, bools, timestamps, null).
_helper = yaml.SafeLoader("")

Path = tuple[Any, ...]


class YamlDocument:
    """One parsed file: its data, its node tree and the problems found."""

    __slots__ = ("path", "display", "data", "root", "diagnostics", "parsed", "_index")

    def __init__(self, path: str, display: str):
        self.path = path
        self.display = display
        self.data: Any = None
        self.root: yaml.Node | None = None
        self.diagnostics: list[Diagnostic] = []
        self.parsed = True  # False: the text is not YAML (or not UTF-8) at all
        self._index: dict[int, Index] = {}  # mapping node id -> its key index

    def loc(self, node: yaml.Node | None) -> Location:
        if node is None:
            return Location(self.display, 1, 1)
        mark = node.start_mark
        return Location(self.display, mark.line + 1, mark.column + 1)

    def locate(self, path: Sequence[Any], key: bool = False) -> Location:
        """Location of the value at `path` (or of its key when `key`)."""
        return self.loc(find_node(self.root, path, key, self._index))

    def at(self, path: Sequence[Any]) -> _NodeLocator:
        node = find_node(self.root, path, cache=self._index) if path else self.root
        return _NodeLocator(self, node, path)

    def release(self) -> None:
        self.root = None  # the node tree is only needed for locating
        self._index = {}


class _NodeLocator:
    """Locates paths below one node (cheaper than walking from the file root)."""

    __slots__ = ("doc", "node", "prefix")

    def __init__(self, doc: YamlDocument, node: yaml.Node | None, prefix: Sequence[Any]):
        self.doc = doc
        self.node = node
        self.prefix = tuple(prefix)

    def locate(self, path: Sequence[Any], key: bool = False) -> Location:
        if self.node is None:
            return self.doc.locate([*self.prefix, *path], key=key)
        return self.doc.loc(find_node(self.node, path, key, self.doc._index))


class UnknownTag(Exception):
    pass




def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == STR_TAG:
        return node.value
    if tag == INT_TAG:
        v = node.value
        if v.isdigit() and (v[0] != "0" or len(v) == 1):
            return int(v)
        d = v[1:]
        if v[:1] == "-" and d.isdigit() and d.isascii() and d[0] != "0":
            return int(v)  # a plain negative number (the schema says where it is too small)
        # a leading zero (octal), 0x/0o/0b, a colon (base 60), underscores, a + sign
        raise OddNumber(v, _helper.yaml_constructors[tag](_helper, node))
    if tag == FLOAT_TAG and ":" in node.value:  # 1:20.5, base 60
        raise OddNumber(node.value, _helper.yaml_constructors[tag](_helper, node))
    ctor = _helper.yaml_constructors.get(tag)
    if ctor is None:
        raise UnknownTag(tag)
    return ctor(_helper, node)


MAX_DEPTH = 100  # rosters nest a few levels; deeper is a mistake or an attack
ALIAS_ALLOWANCE = 100_000  # values an alias may add beyond the document's own size


class _Refused(Exception):
    """The document cannot be built (an alias bomb, a recursive alias, too deep)."""

    def __init__(self, node: yaml.Node, message: str, hint: str):
        super().__init__(message)
        self.node = node
        self.hint = hint


class _Constructor:
    """Builds plain values from the node tree. Aliases share nodes, so a small
    text can name an enormous value: construction stops when it has built more
    values than the text has characters plus ALIAS_ALLOWANCE, and refuses an
    alias that refers to a value containing itself."""

    def __init__(self, doc: YamlDocument, budget: int):
        self.doc = doc
        self.errors = doc.diagnostics
        self.budget = budget
        self.active: set[int] = set()  # ids of the collection nodes being built
        self.stack: list[yaml.Node] = []  # those nodes, outermost first

    def _enter(self, node: yaml.Node, size: int) -> None:
        self.budget -= size
        if self.budget < 0:  # located at the top-level value that expands
            where = self.stack[1] if len(self.stack) > 1 else node
            raise _Refused(where, "the YAML's aliases expand to far more values than the "
                                  "file holds (an alias bomb?); nothing of it was read",
                           "write the values out, or use fewer aliases of aliases")
        if id(node) in self.active:
            raise _Refused(node, "a YAML alias refers to a value that contains the alias "
                                 "itself (a recursive alias)",
                           "remove the alias, or point it at another value")
        if len(self.active) >= MAX_DEPTH:
            raise _Refused(node, f"the YAML is nested more than {MAX_DEPTH} levels deep",
                           "roster files nest a few levels: check the indentation")
        self.active.add(id(node))
        self.stack.append(node)

    def _leave(self, node: yaml.Node) -> None:
        self.active.discard(id(node))
        self.stack.pop()

    def construct(self, node: yaml.Node) -> Any:
        # iterative fast paths for the shapes rosters are made of
        if isinstance(node, yaml.ScalarNode):
            self.budget -= 1
            try:
                return _scalar(node)
            except OddNumber as exc:
                message, hint = odd_number(exc.text, exc.value)
                self.errors.append(Diagnostic(self.doc.loc(node), message, hint))
                return exc.value
            except UnknownTag as exc:
                self.errors.append(
                    Diagnostic(
                        self.doc.loc(node),
                        f"unsupported YAML tag {token(exc.args[0])!r}",
                        "remove the tag: only plain YAML values are used here",
                    )
                )
                return None
            except (yaml.YAMLError, ValueError):
                self.errors.append(Diagnostic(
                    self.doc.loc(node), f"bad YAML value for the tag {token(node.tag)!r}",
                    "write a plain value that the tag allows, or remove the tag"))
                return None
        if isinstance(node, yaml.SequenceNode):
            self._enter(node, len(node.value) + 1)
            try:
                out: list[Any] = []
                append = out.append
                for item in node.value:
                    if isinstance(item, yaml.ScalarNode):
                        tag = item.tag
                        if tag == INT_TAG:
                            v = item.value
                            if v.isdigit() and (v[0] != "0" or len(v) == 1):
                                append(int(v))
                                continue
                        elif tag == STR_TAG:
                            append(item.value)
                            continue
                        append(self.construct(item))
                    else:
                        append(self.construct(item))
                return out
            finally:
                self._leave(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        raise TypeError(f"unexpected node {node!r}")  # pragma: no cover

    def _mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        self._enter(node, len(node.value) + 1)
        try:
            return self._pairs(node)
        finally:
            self._leave(node)

    def _pairs(self, node: yaml.MappingNode) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first: dict[Any, yaml.Node] = {}
        merged: dict[Any, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == _MERGE:
                for src in self._merge_sources(vnode):
                    for k, v in src.items():
                        merged.setdefault(k, v)
                continue
            key = self.construct(knode)
            try:
                hash(key)
            except TypeError:
                self.errors.append(
                    Diagnostic(
                        self.doc.loc(knode),
                        "a mapping key must be a plain value, not a list or mapping",
                        "write the key as a word, e.g. `students:`",
                    )
                )
                continue
            if key in first:
                prev = first[key].start_mark
                self.errors.append(
                    Diagnostic(
                        self.doc.loc(knode),
                        f"duplicate key {token(key)!r} (first given at line {prev.line + 1})",
                        "a key may appear only once in a mapping: merge the two entries "
                        "or delete one",
                    )
                )
                continue
            first[key] = knode
            out[key] = self.construct(vnode)
        for k, v in merged.items():
            out.setdefault(k, v)
        return out

    def _merge_sources(self, vnode: yaml.Node) -> list[dict[Any, Any]]:
        if isinstance(vnode, yaml.MappingNode):
            return [self._mapping(vnode)]
        if isinstance(vnode, yaml.SequenceNode) and all(
            isinstance(n, yaml.MappingNode) for n in vnode.value
        ):
            self._enter(vnode, len(vnode.value) + 1)
            try:
                return [self._mapping(n) for n in vnode.value]
            finally:
                self._leave(vnode)
        self.errors.append(
            Diagnostic(
                self.doc.loc(vnode),
                "a merge key `<<` must refer to a mapping or a list of mappings",
                "use `<<: *anchor` where the anchor names a mapping",
            )
        )
        return []


def unreadable(path: str, display: str, message: str, hint: str) -> YamlDocument:
    """A document for a file that was not read (refused, or not readable)."""
    doc = YamlDocument(path, display)
    doc.diagnostics.append(Diagnostic(Location(display, 1, 1), message, hint))
    doc.parsed = False
    return doc


def load_text(text: str, path: str, display: str | None = None) -> YamlDocument:
    """Parse one YAML text; syntax and duplicate-key problems go to `diagnostics`."""
    doc = YamlDocument(path, display or path)
    try:
        root = yaml.compose(text, Loader=FastLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(doc.display, mark.line + 1, mark.column + 1) if mark else None
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context}: {problem}"
        doc.diagnostics.append(
            Diagnostic(loc, f"YAML syntax error: {printable(problem)}",
                       "fix the YAML syntax at this spot")
        )
        doc.parsed = False
        return doc
    except yaml.YAMLError as exc:
        doc.diagnostics.append(Diagnostic(Location(doc.display, 1, 1),
                                          f"YAML error: {token(exc, 120)}"))
        doc.parsed = False
        return doc
    except RecursionError:
        doc.diagnostics.append(Diagnostic(
            Location(doc.display, 1, 1), f"the YAML is nested more than {MAX_DEPTH} levels deep",
            "roster files nest a few levels: check the indentation"))
        doc.parsed = False
        return doc
    doc.root = root
    if root is None:
        doc.data = None
        return doc
    try:
        doc.data = _Constructor(doc, len(text) + ALIAS_ALLOWANCE).construct(root)
    except _Refused as exc:
        doc.diagnostics.append(Diagnostic(doc.loc(exc.node), str(exc), exc.hint))
        doc.data = None
        doc.root = None
        doc.parsed = False
    return doc


def load_bytes(raw: bytes, path: str, display: str | None = None) -> YamlDocument:
    """Parse one file's bytes (UTF-8); a decoding error becomes a diagnostic."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return unreadable(path, display or path,
                          f"the file is not valid UTF-8 ({exc.reason} at byte {exc.start})",
                          "save the file as UTF-8")
    return load_text(text, path, display)


Index = dict[Any, tuple[yaml.Node, yaml.Node]]


def _index(node: yaml.MappingNode, cache: dict[int, Index] | None) -> Index:
    """A mapping node's keys -> (key node, value node), built once per node: a
    key's written text, and for keys that are not plain text also its value."""
    if cache is not None:
        found = cache.get(id(node))
        if found is not None:
            return found
    index: Index = {}
    for knode, vnode in node.value:
        if not isinstance(knode, yaml.ScalarNode) or knode.tag == _MERGE:
            continue
        index.setdefault(knode.value, (knode, vnode))
        if knode.tag != STR_TAG:
            try:
                index.setdefault(_scalar(knode), (knode, vnode))
            except Exception:  # noqa: S110 - an odd key is found by its text only
                pass
    if cache is not None:
        cache[id(node)] = index
    return index


def find_node(root: yaml.Node | None, path: Sequence[Any], key: bool = False,
              cache: dict[int, Index] | None = None) -> yaml.Node | None:
    """Walk the node tree along a data path; return the deepest node reached.

    With `key`, the last element names a mapping key and its key node is
    returned (used for "unknown key" and "duplicate" errors). `cache` keeps
    each mapping's key index, so that locating many keys stays linear.
    """
    node = root
    n = len(path)
    for i, part in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            try:
                hit = _index(node, cache).get(part)
            except TypeError:  # an unhashable part
                hit = None
            if hit is None:
                for knode, vnode in node.value:
                    if knode.tag == _MERGE:
                        sub = find_node(vnode, path[i:], key, cache)
                        if sub is not None and sub is not vnode:
                            return sub
                return node
            node = hit[0] if (key and i == n - 1) else hit[1]
        elif isinstance(node, yaml.SequenceNode):
            if isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
            else:
                return node
        else:
            return node
    return node
