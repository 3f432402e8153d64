"""The one door for what a command writes that no renderer made: errors,
warnings, hints, the state commands' lines. Each line is escaped (control and
bidi characters shown, never sent raw) and, under redaction, the people it may
name hidden (`privacy.free_text`), whatever made the message.

The level is the stricter of --redact / EEO_REDACT (every command has it) and
the school's `privacy.redact` once a command has read its configuration; the
people a message may name, and the key of their pseudonyms (the state's salt,
as plans use), come from the configuration and the state the command read.
Renderers (plans, history, state diff) redact what they show themselves, from
the structure; their output does not pass here again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from ..model import Config, Redact, SchoolConfig
from ..privacy import (
    PLAIN,
    People,
    Redactor,
    free_text,
    free_value,
    pseudonym_key,
    stricter,
)
from ..state.model import State
from ..state.store import StateStore
from ..text import printable


class Gate:
    """What this run of a command knows about redaction (see the module)."""

    def __init__(self, flag: str | None = None) -> None:
        self.flag = flag
        self.school: SchoolConfig | None = None
        self._floor: Redact | None = None
        self._sources: list[Callable[[People], None]] = []
        self._salt: Callable[[], str | None] = lambda: None
        self._people: People | None = None
        self._redactor: Redactor | None = None

    @property
    def level(self) -> Redact:
        return stricter(self.school.redact if self.school else None, self._floor,
                        Redact(self.flag) if self.flag else None)

    def at_least(self, level: str | None) -> None:
        """A level a configuration that could not be built asks for."""
        if level:
            self._floor = Redact(level)
            self._redactor = None

    def know_config(self, config: Config | None) -> None:
        if config is not None:
            self.school = config.school
            self._sources.append(lambda p: p.add_config(config))
            self._people, self._redactor = None, None

    def know_state(self, state: State | Callable[[], State]) -> None:
        """The state read (or how to read it, only if a message needs it)."""
        def get() -> State:
            return state() if callable(state) else state
        self._sources.append(lambda p: p.add_state(get()))
        self._salt = lambda: get().salt
        self._people, self._redactor = None, None

    def redactor(self) -> Redactor:
        if self._redactor is None:
            level = self.level
            if level is Redact.NONE:
                self._redactor = PLAIN
            else:
                salt = self._salt() if level is Redact.ALL else None
                secret = os.environ.get(self.school.secret_env) if self.school else None
                self._redactor = Redactor(level, pseudonym_key(salt, secret or None))
        return self._redactor

    def people(self) -> People:
        if self._people is None:
            p = People()
            for add in self._sources:
                try:
                    add(p)
                except Exception:  # noqa: BLE001 - a state that cannot be read names no one
                    continue
            self._people = p
        return self._people

    def text(self, message: str) -> str:
        r = self.redactor()
        shown = "\n".join(printable(line) for line in message.split("\n"))
        return free_text(r, shown, self.people()) if r.active else shown


    def value(self, value: Any) -> Any:
        """A JSON value a command prints (see privacy.free_value)."""
        r = self.redactor()
        return free_value(r, value, self.people()) if r.active else value


_current = Gate()


def gate() -> Gate:
    return _current


def start(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """The --redact option's callback: each command run starts a new gate."""
    global _current
    _current = Gate(value)
    return value


def known_config(config: Config) -> Config:
    """A configuration the command read: its school's level, its people."""
    _current.know_config(config)
    return config


def known_store(store: StateStore) -> StateStore:
    """A store the command opened: its state's people and salt, read (once) only
    when a message is shown under redaction."""
    cache: list[State] = []

    def get() -> State:
        if not cache:
            cache.append(store.snapshot())
        return cache[0]
    _current.know_state(get)
    return store


def say(message: str, err: bool = False) -> None:
    """A line of a command's own (not a renderer's), through the gate."""
    click.echo(_current.text(message), err=err)
