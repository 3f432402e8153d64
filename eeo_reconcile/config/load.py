"""Find, parse, validate and normalise a configuration into a `Config`.

Everything wrong with the configuration is collected into one `ConfigError`
with a file, line and column for each problem: YAML syntax, duplicate keys,
schema violations and the cross-checks the schema cannot express. The files
of a configuration are a `YamlSource`; `build_config` works on any
`config.source.Source`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator

from ..errors import ConfigError, Diagnostic, Location
from ..fileio import FileProblem, kind_of, read_regular
from ..model import Config
from ..text import printable
from .build import Builder
from .schema import schema_diagnostics
from .source import Document, Source
from .yamlload import load_bytes, unreadable

YAML_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 256 * 1024 * 1024  # one roster file; a 1M-membership district is ~20 MB


def find_files(path: str) -> list[str]:
    """The YAML files of a configuration: the file itself, or every *.yaml/*.yml
    below a directory (hidden files and folders skipped), in a stable order."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        try:
            what = f"is {kind_of(os.stat(path).st_mode)}, not a file or a directory"
        except OSError:
            what = "does not exist"
        raise ConfigError(
            [
                Diagnostic(
                    None,
                    f"configuration {printable(path)!r} {what}",
                    "give a roster YAML file or a directory of them",
                )
            ]
        )
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(path):  # never into linked directories
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                continue
            found.append(os.path.join(dirpath, name))
    if not found:
        raise ConfigError(
            [
                Diagnostic(
                    Location(printable(path), 1, 1),
                    "the directory holds no *.yaml or *.yml file",
                    "put the roster files in this directory or give a file",
                )
            ]
        )
    return found


_SCHOOL = re.compile(rb"(?m)^school[ \t]*:")


def config_root(path: str) -> str | None:
    """The configuration a roster file belongs to: the nearest directory, from
    the file's own up to the repository's top, that holds a YAML file with the
    top-level `school` block (None: the file is not a roster's, e.g. a CI file)."""
    d = os.path.dirname(os.path.abspath(path))
    while True:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            names = []
        for name in names:
            f = os.path.join(d, name)
            if name.endswith(YAML_SUFFIXES) and not name.startswith(".") and os.path.isfile(f):
                try:
                    with open(f, "rb") as fh:
                        if _SCHOOL.search(fh.read(65536)):
                            return d
                except OSError:
                    continue
        parent = os.path.dirname(d)
        if parent == d or ".git" in names:
            return None
        d = parent


def display_name(path: str) -> str:
    """How a file is named in messages: relative to the working directory when
    it is below it, so error lines can be clicked in an editor or CI log;
    characters that could hide or fake text are shown as escapes."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        rel = path
    return printable(path if rel.startswith("..") else rel)


def _readable(path: str, root: str) -> str:
    """The path to read for a file found below `root` (a symbolic link is
    followed only to a regular file inside the configuration directory);
    FileProblem says why a file is refused."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise FileProblem(f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISLNK(st.st_mode):
        if not stat.S_ISREG(st.st_mode):
            raise FileProblem(f"is {kind_of(st.st_mode)}, not a regular file")
        return path
    target = os.path.realpath(path)
    inside = os.path.commonpath([root, target]) == root
    try:
        tst = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileProblem("is a symbolic link loop") from None
        raise FileProblem("is a symbolic link to a file that does not exist") from None
    if not inside:
        raise FileProblem(
            "is a symbolic link that leaves the configuration directory: roster files "
            "must be inside it (a link planted in a pull request could read any file)"
        )
    if not stat.S_ISREG(tst.st_mode):
        raise FileProblem(f"is a symbolic link to {kind_of(tst.st_mode)}")
    return target


class YamlSource:
    """A roster YAML file, or every roster YAML file below a directory."""

    def __init__(self, path: str | os.PathLike[str]):
        self.root = os.path.abspath(os.fspath(path))
        self.files = tuple(find_files(self.root))
        self.base_dir = self.root if os.path.isdir(self.root) else os.path.dirname(self.root)
        self._real_root = os.path.realpath(self.base_dir)
        self._digest = hashlib.sha256()

    def _read(self, fname: str, single: bool) -> bytes | Document:
        """The file's bytes, or a document saying why it was not read."""
        display = display_name(fname)
        try:
            # the configuration file named on the command line is the user's own
            real = os.path.realpath(fname) if single else _readable(fname, self._real_root)
            return read_regular(real, MAX_FILE_BYTES)
        except FileProblem as exc:
            return unreadable(fname, display, f"this file {exc.why}", _FILE_HINT)
        except OSError as exc:
            return unreadable(fname, display, f"this file cannot be read ({exc.strerror})",
                              _FILE_HINT)

    def _count(self, fname: str, raw: bytes | Document) -> None:
        """Count a file read into the configuration's digest (in file order)."""
        if isinstance(raw, bytes):
            self._digest.update(os.path.relpath(fname, self.base_dir).encode(
                "utf-8", "surrogateescape") + b"\0")
            self._digest.update(raw)
            self._digest.update(b"\0")

    def documents(self) -> Iterator[Document]:
        """Every file as a document, in order, each read as it is parsed."""
        single = os.path.isfile(self.root)
        for fname in self.files:
            r = self._read(fname, single)
            self._count(fname, r)
            yield load_bytes(r, fname, display_name(fname)) if isinstance(r, bytes) else r

    def digest(self) -> str:
        return self._digest.hexdigest()


_FILE_HINT = "remove it, or give the configuration as a directory of regular roster files"


def load_config(path: str | os.PathLike[str] = ".") -> Config:
    """Load and validate a configuration; raise `ConfigError` with every problem."""
    return build_config(YamlSource(path))


def build_config(source: Source) -> Config:
    """Schema-check and build every document of `source` into one `Config`."""
    diagnostics: list[Diagnostic] = []
    unparsed: list[Diagnostic] = []  # of the files that could not be read at all
    builder = Builder()
    first_doc: Document | None = None
    count = 0
    for doc in source.documents():
        count += 1
        if first_doc is None:
            first_doc = doc
        diagnostics.extend(doc.diagnostics)
        if not doc.parsed:
            unparsed.extend(doc.diagnostics)
            continue
        if doc.data is None:
            continue
        taken = {d.location for d in doc.diagnostics}
        diagnostics.extend(d for d in schema_diagnostics(doc) if d.location not in taken)
        builder.add_document(doc)
        doc.release()  # positions are no longer needed
    if not builder.school_seen:
        # Not a roster directory (or the block is in a file that could not be
        # read): say that first, and nothing about the other files.
        if unparsed:
            raise ConfigError(unparsed)
        where = Location(first_doc.display, 1, 1) if first_doc is not None else None
        raise ConfigError([Diagnostic(
            where,
            f"no file has a `school` block ({count} YAML file{'s' if count != 1 else ''} "
            f"read below {printable(source.root)})",
            "add `school: {sid: <your ClassIn SID>}` to exactly one file, and check that "
            "the path given is the directory of the roster files",
        )])
    builder.finish_courses()
    school = builder.school_config() if "school" in builder.blocks else None
    if school is not None:
        builder.check_limits(school)
    state = builder.state_ref(source.base_dir)
    safety = builder.safety_config()
    retired = builder.check_retired()
    people, person_refs = builder.people.finish(builder.courses)
    diagnostics.extend(builder.errors)
    if diagnostics or school is None:  # the errors are shown as the school asks
        raise ConfigError(diagnostics, school.redact.value if school is not None else None)
    return Config(
        root=source.root,
        base_dir=source.base_dir,
        files=source.files,
        school=school,
        state=state,
        safety=safety,
        courses=builder.courses,
        digest=source.digest(),
        retired=retired,
        people=people,
        person_refs=person_refs,
    )
