"""Find, parse, validate and normalise a configuration into a `Config`.

Everything wrong with the configuration is collected into one `ConfigError`
with a file, line and column for each problem: YAML syntax, duplicate keys,
schema violations and the cross-checks the schema cannot express.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import yaml

from .._gc import paused_gc
from ..errors import ConfigError, Diagnostic, Location
from ..model import (
    DEFAULT_API_URL,
    DEFAULT_DSN_ENV,
    DEFAULT_SECRET_ENV,
    DEFAULT_STATE_PATH,
    DEFAULT_WORKSPACE,
    BatchSizes,
    Config,
    CourseSpec,
    GroupSpec,
    LessonMember,
    RetryPolicy,
    Safety,
    SchoolConfig,
    StateRef,
    Team,
)
from .schema import schema_diagnostics
from .yamlload import YamlDocument, find_node, load_bytes

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


def _as_id(value: Any) -> int | None:
    """A valid id (int >= 1 or a string of digits) as int, else None."""
    t = type(value)
    if t is int:
        return value if value >= 1 else None
    if t is str and value.isdigit() and value.isascii():
        n = int(value)
        return n if n >= 1 else None
    if t is float and value.is_integer() and value >= 1:
        return int(value)
    return None


class _Builder:
    """Walks validated data, cross-checks it, and builds the typed model."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.school: tuple[YamlDocument, dict[str, Any]] | None = None
        self.state: tuple[YamlDocument, dict[str, Any]] | None = None
        self.safety: tuple[YamlDocument, dict[str, Any]] | None = None
        self.block_where: dict[str, Location] = {}
        self.courses: dict[int, CourseSpec] = {}
        self.course_where: dict[int, Location] = {}
        self.lesson_where: dict[int, tuple[int, Location]] = {}

    def err(self, loc: Location | None, message: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(loc, message, hint))

    # -- top level ----------------------------------------------------------
    def add_document(self, doc: YamlDocument) -> None:
        data = doc.data
        if not isinstance(data, dict):
            return  # empty file, or a schema error already reported
        for key in ("school", "state", "safety"):
            block = data.get(key)
            if not isinstance(block, dict):
                continue
            here = doc.locate([key], key=True)
            if getattr(self, key) is not None:
                self.err(
                    here,
                    f"`{key}` is given twice: here and at {self.block_where[key]}",
                    f"keep a single `{key}` block across all files",
                )
                continue
            setattr(self, key, (doc, block))
            self.block_where[key] = here
        courses = data.get("courses")
        if isinstance(courses, list):
            seq = find_node(doc.root, ["courses"])
            nodes = seq.value if isinstance(seq, yaml.SequenceNode) else []
            for i, course in enumerate(courses):
                if isinstance(course, dict):
                    cnode = nodes[i] if i < len(nodes) else None
                    self.add_course(_Where(doc, cnode, ("courses", i)), course)

    # -- one course ----------------------------------------------------------
    def add_course(self, doc: _Where, data: dict[str, Any]) -> None:
        cid = _as_id(data.get("id"))
        if cid is None:
            return  # schema error reported
        here = doc.locate(["id"])
        if cid in self.course_where:
            self.err(
                here,
                f"course {cid} is defined twice: here and at {self.course_where[cid]}",
                "keep each course in one place; merge the two definitions",
            )
            return
        self.course_where[cid] = here

        students: dict[int, str | None] = {}
        items = data.get("students")
        if isinstance(items, list):
            seen: dict[int, int] = {}
            for i, item in enumerate(items):
                if type(item) is int and item >= 1:
                    uid, label = item, None
                elif isinstance(item, dict):
                    uid = _as_id(item.get("uid"))
                    label = item.get("name")
                    if not isinstance(label, str):
                        label = None
                else:
                    uid, label = _as_id(item), None
                if uid is None:
                    continue
                if uid in students:
                    self._twice(doc, ["students"], i, seen[uid], uid,
                                f"the students of course {cid}")
                    continue
                seen[uid] = i
                students[uid] = label

        auditors: dict[int, str] = {}
        items = data.get("auditors")
        if isinstance(items, list):
            seen = {}
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                uid = _as_id(item.get("uid"))
                name = item.get("name")
                if uid is None or not isinstance(name, str):
                    continue
                if uid in auditors:
                    self._twice(doc, ["auditors"], i, seen[uid], uid,
                                f"the auditors of course {cid}")
                    continue
                if uid in students:
                    self.err(
                        doc.locate(["auditors", i]),
                        f"uid {uid} is both a student and an auditor of course {cid}",
                        "ClassIn allows one identity per course: keep the uid in "
                        "`students` or in `auditors`, not both",
                    )
                    continue
                seen[uid] = i
                auditors[uid] = name

        lessons: dict[int, dict[int, LessonMember]] = {}
        items = data.get("lessons")
        if isinstance(items, list):
            for li, lesson in enumerate(items):
                if not isinstance(lesson, dict):
                    continue
                lid = _as_id(lesson.get("id"))
                if lid is None:
                    continue
                lpath = ("lessons", li)
                lhere = doc.locate([*lpath, "id"])
                prev = self.lesson_where.get(lid)
                if prev is not None:
                    pcid, ploc = prev
                    where = "in this course" if pcid == cid else f"in course {pcid}"
                    self.err(
                        lhere,
                        f"lesson {lid} is listed twice: here and {where} at {ploc}",
                        "a lesson belongs to one course and is listed once",
                    )
                    continue
                self.lesson_where[lid] = (cid, lhere)
                lessons[lid] = self._lesson_students(
                    doc, lpath, lesson.get("students"), cid, lid, students, auditors
                )

        groups: list[GroupSpec] = []
        items = data.get("groups")
        if isinstance(items, list):
            names: dict[str, Location] = {}
            ids: dict[int, Location] = {}
            for gi, group in enumerate(items):
                if not isinstance(group, dict):
                    continue
                g = self._group(doc, ("groups", gi), group, cid, students)
                if g is None:
                    continue
                gloc = doc.locate(["groups", gi, "name"])
                if g.name in names:
                    self.err(
                        gloc,
                        f"group name {g.name!r} is used twice in course {cid} "
                        f"(first at line {names[g.name].line})",
                        "group names identify groupings inside a course: rename one",
                    )
                    continue
                if g.id is not None and g.id in ids:
                    self.err(
                        doc.locate(["groups", gi, "id"]),
                        f"group id {g.id} is used twice in course {cid} "
                        f"(first at line {ids[g.id].line})",
                        "each ClassIn grouping can be adopted once",
                    )
                    continue
                names[g.name] = gloc
                if g.id is not None:
                    ids[g.id] = doc.locate(["groups", gi, "id"])
                groups.append(g)

        fraction = None
        safety = data.get("safety")
        if isinstance(safety, dict):
            f = safety.get("max_removal_fraction")
            if isinstance(f, (int, float)) and not isinstance(f, bool) and 0 <= f <= 1:
                fraction = float(f)

        name = data.get("name")
        self.courses[cid] = CourseSpec(
            id=cid,
            name=name if isinstance(name, str) else None,
            students=students,
            auditors=auditors,
            lessons=lessons,
            groups=tuple(groups),
            max_removal_fraction=fraction,
            location=here,
        )

    def _twice(self, doc: _Where, where: list[Any], i: int, first: int, uid: int,
               what: str) -> None:
        """Report item `i` of the list at `where` repeating item `first`."""
        line = doc.locate([*where, first]).line
        self.err(
            doc.locate([*where, i]),
            f"uid {uid} is listed twice in {what} (first at line {line})",
            "remove one of the two entries",
        )

    def _lesson_students(
        self,
        doc: _Where,
        lpath: tuple[Any, ...],
        items: Any,
        cid: int,
        lid: int,
        students: dict[int, str | None],
        auditors: dict[int, str],
    ) -> dict[int, LessonMember]:
        out: dict[int, LessonMember] = {}
        if not isinstance(items, list):
            return out
        seen: dict[int, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            uid = _as_id(item.get("uid"))
            name = item.get("name")
            if uid is None or not isinstance(name, str):
                continue
            custom = item.get("custom")
            if isinstance(custom, bool):
                continue
            if isinstance(custom, int):
                custom = str(custom)
                if len(custom) > 50:
                    self.err(
                        doc.locate([*lpath, "students", i, "custom"]),
                        f"custom is {len(custom)} characters long; at most 50 are allowed",
                        "shorten it: ClassIn would cut it to 50 characters",
                    )
                    continue
            elif custom is not None and not isinstance(custom, str):
                continue
            if uid in out:
                self._twice(doc, [*lpath, "students"], i, seen[uid], uid, f"lesson {lid}")
                continue
            if uid in students or uid in auditors:
                what = "a student" if uid in students else "an auditor"
                self.err(
                    doc.locate([*lpath, "students", i]),
                    f"uid {uid} is already {what} of course {cid}, so cannot also be a "
                    f"lesson-only student of its lesson {lid}",
                    "course students attend every lesson and auditors cannot be lesson "
                    "students: remove this entry",
                )
                continue
            seen[uid] = i
            out[uid] = LessonMember(name=name, custom=custom)
        return out

    def _group(
        self,
        doc: _Where,
        gpath: tuple[Any, ...],
        data: dict[str, Any],
        cid: int,
        students: dict[int, str | None],
    ) -> GroupSpec | None:
        name = data.get("name")
        teams_data = data.get("teams")
        if not isinstance(name, str) or not (1 <= len(name) <= 20):
            return None
        if not isinstance(teams_data, list) or not teams_data:
            return None
        gid = None
        if "id" in data:
            gid = _as_id(data["id"])
            if gid is None:
                return None
        teams: list[Team] = []
        seen: dict[int, tuple[Any, ...]] = {}
        ok = True
        for ti, team in enumerate(teams_data):
            if not isinstance(team, dict):
                ok = False
                continue
            leader = _as_id(team.get("leader"))
            members_data = team.get("members", [])
            if leader is None or not isinstance(members_data, list):
                ok = False
                continue
            refs: list[tuple[int, tuple[Any, ...]]] = [(leader, (*gpath, "teams", ti, "leader"))]
            members: list[int] = []
            for mi, m in enumerate(members_data):
                uid = _as_id(m)
                if uid is None:
                    ok = False
                    continue
                members.append(uid)
                refs.append((uid, (*gpath, "teams", ti, "members", mi)))
            for uid, upath in refs:
                if uid in seen:
                    self.err(
                        doc.locate(list(upath)),
                        f"uid {uid} appears twice in group {name!r} "
                        f"(first at line {doc.locate(list(seen[uid])).line})",
                        "a uid may be in one team of a grouping, once",
                    )
                    ok = False
                    continue
                seen[uid] = upath
                if uid not in students:
                    self.err(
                        doc.locate(list(upath)),
                        f"uid {uid} in group {name!r} is not a student of course {cid}",
                        "add the uid to the course's `students`, or remove it from the group",
                    )
                    ok = False
            teams.append(Team(leader=leader, members=tuple(members)))
        if not ok:
            return None
        return GroupSpec(name=name, teams=tuple(teams), id=gid)

    # -- finish --------------------------------------------------------------
    def school_config(
        self, first_doc: YamlDocument | None, all_parsed: bool = True
    ) -> SchoolConfig | None:
        if self.school is None:
            if not all_parsed:
                return None  # it may be in the file that did not parse
            loc = first_doc.loc(None) if first_doc is not None else None
            self.err(
                loc,
                "no file has a `school` block",
                "add `school: {sid: <your ClassIn SID>}` to exactly one file",
            )
            return None
        _, block = self.school
        sid = _as_id(block.get("sid"))
        if sid is None:
            return None
        api_url = block.get("api_url", DEFAULT_API_URL)
        secret_env = block.get("secret_env", DEFAULT_SECRET_ENV)
        b = block.get("batch") or {}
        r = block.get("retry") or {}
        batch = BatchSizes(**{k: int(v) for k, v in b.items() if isinstance(v, int)})
        retry = RetryPolicy(
            **{k: (int(v) if k == "attempts" else float(v)) for k, v in r.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
        )
        return SchoolConfig(
            sid=sid,
            api_url=str(api_url).rstrip("/"),
            secret_env=str(secret_env),
            batch=batch,
            retry=retry,
        )

    def state_ref(self, base_dir: str) -> StateRef:
        block = self.state[1] if self.state else {}
        backend = block.get("backend", "local")
        if backend == "postgres":
            return StateRef(
                backend="postgres",
                dsn_env=str(block.get("dsn_env", DEFAULT_DSN_ENV)),
                workspace=str(block.get("workspace", DEFAULT_WORKSPACE)),
            )
        path = str(block.get("path", DEFAULT_STATE_PATH))
        return StateRef(backend="local", path=os.path.normpath(os.path.join(base_dir, path)))

    def safety_config(self) -> Safety:
        block = self.safety[1] if self.safety else {}
        kw: dict[str, Any] = {}
        f = block.get("max_removal_fraction")
        if isinstance(f, (int, float)) and not isinstance(f, bool):
            kw["max_removal_fraction"] = float(f)
        m = block.get("max_removals")
        if isinstance(m, int) and not isinstance(m, bool):
            kw["max_removals"] = m
        return Safety(**kw)


class _Where:
    """Locates paths below one course node (cheaper than from the file root)."""

    __slots__ = ("doc", "node", "prefix")

    def __init__(self, doc: YamlDocument, node: yaml.Node | None, prefix: tuple[Any, ...]):
        self.doc = doc
        self.node = node
        self.prefix = prefix

    def locate(self, path: Sequence[Any], key: bool = False) -> Location:
        if self.node is None:
            return self.doc.locate([*self.prefix, *path], key=key)
        return self.doc.loc(find_node(self.node, path, key=key))


def _display(path: str) -> str:
    """How a file is named in messages: relative to the working directory when
    it is below it, so error lines can be clicked in an editor or CI log."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return path
    return path if rel.startswith("..") else rel


def iter_documents(files: list[str]) -> Iterator[tuple[str, bytes]]:
    for f in files:
        with open(f, "rb") as fh:
            yield f, fh.read()


def load_config(path: str | os.PathLike[str] = ".") -> Config:
    """Load and validate a configuration; raise `ConfigError` with every problem."""
    with paused_gc():
        return _load_config(path)


def _load_config(path: str | os.PathLike[str]) -> Config:
    root = os.path.abspath(os.fspath(path))
    files = find_files(root)
    base_dir = root if os.path.isdir(root) else os.path.dirname(root)
    digest = hashlib.sha256()
    diagnostics: list[Diagnostic] = []
    builder = _Builder()
    first_doc: YamlDocument | None = None
    all_parsed = True
    for fname, raw in iter_documents(files):
        display = _display(fname)
        digest.update(os.path.relpath(fname, base_dir).encode() + b"\0")
        digest.update(raw)
        digest.update(b"\0")
        doc = load_bytes(raw, fname, display)
        if first_doc is None:
            first_doc = doc
        diagnostics.extend(doc.diagnostics)
        if doc.root is None:
            all_parsed = all_parsed and not doc.diagnostics
            continue
        taken = {d.location for d in doc.diagnostics}
        diagnostics.extend(d for d in schema_diagnostics(doc) if d.location not in taken)
        builder.add_document(doc)
        doc.root = None  # release the node tree: positions are no longer needed
    school = builder.school_config(first_doc, all_parsed)
    state = builder.state_ref(base_dir)
    safety = builder.safety_config()
    diagnostics.extend(builder.errors)
    if diagnostics or school is None:
        raise ConfigError(diagnostics)
    return Config(
        root=root,
        base_dir=base_dir,
        files=tuple(files),
        school=school,
        state=state,
        safety=safety,
        courses=builder.courses,
        digest=digest.hexdigest(),
    )
