"""The C loader with a faster resolver (see `FastLoader`)."""

from __future__ import annotations

from typing import Any

import yaml

try:  # the C loader is a hard expectation for speed; fall back rather than die
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

# The first characters for which YAML 1.1 has an implicit tag (int, float, bool,
# null, merge, ...); a plain scalar starting with any other is a string.
_RESOLVED_FIRST = frozenset(yaml.SafeLoader.yaml_implicit_resolvers)
_slow_resolve = yaml.resolver.BaseResolver.resolve


class FastLoader(_Loader):  # type: ignore[misc]
    """The C loader with a resolver that answers the common cases without a
    regular expression: PyYAML's Python resolver is a third of a roster's
    compose time. The same tags as PyYAML's, always (the rest goes to it)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return STR_TAG  # quoted: a string (no path resolvers in the safe loader)
            first = value[:1]
            if first not in _RESOLVED_FIRST:
                return STR_TAG
            if value.isdigit() and value.isascii() and (first != "0" or len(value) == 1):
                return INT_TAG
            return _slow_resolve(self, kind, value, implicit)  # type: ignore[no-any-return,no-untyped-call]
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None  # path resolvers: the safe loader has none

    def ascend_resolver(self) -> None:
        return None
