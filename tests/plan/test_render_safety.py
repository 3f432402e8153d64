"""Output a reviewer can trust: hostile names cannot change a comment's
structure, redaction hides people, group changes read team by team."""

import html
import json
import re

import pytest
from markdown_it import MarkdownIt

from eeo_reconcile.config.load import load_config
from eeo_reconcile.model import Redact, Team
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.plan.render import (
    RENDERERS,
    View,
    render_json,
    render_markdown,
    render_text,
)
from eeo_reconcile.plan.render.markdown import fence_for, md_text
from eeo_reconcile.plan.render.teams import team_lines
from eeo_reconcile.privacy import Redactor, redaction_key, stricter
from eeo_reconcile.schemas import validator
from eeo_reconcile.state.model import State
from eeo_reconcile.state.records import CourseRecord
from tests.helpers import write_tree

HOSTILE = [
    "````` ```",
    "</details><!--",
    "x | y | z",
    "[x](http://evil.example/a)",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ ~~gone~~ # h",
    "www.evil.example @someone",
    "L" * 300,
]


def _hostile_plan(tmp_path):
    students = "\n".join(
        f"        - {{uid: {10 + i}, name: {json.dumps(n)}}}" for i, n in enumerate(HOSTILE))
    write_tree(str(tmp_path), {"r.yaml": f"""\
school: {{sid: 1}}
courses:
  - id: 5
    name: {json.dumps(HOSTILE[1])}
    students:
{students}
    auditors: [{{uid: 90, name: "`a` | <b>"}}]
    lessons:
      - id: 70
        name: {json.dumps(HOSTILE[0])}
        students: [{{uid: 91, name: "</details>", custom: "```"}}]
    groups:
      - name: {json.dumps(HOSTILE[2])}
        teams: [{{leader: 10, members: [11, 12]}}]
  - id: 6
    name: {json.dumps(HOSTILE[3])}
    students: [{{uid: 10, name: {json.dumps(HOSTILE[4])}}}]
"""})
    config = load_config(str(tmp_path))
    st = State(lineage="L", serial=1, sid=1)
    rec = CourseRecord()
    rec.students = {500, 501}
    rec.labels = {500: "<!-- hide the rest", 501: "line\nbreak ```\n</details>"}  # a planted state
    rec.auditors = {90: "old `name` </details>"}
    st.courses[5] = rec
    return make_plan(config, st)


def _tokens(md):
    return MarkdownIt("commonmark").enable("table").parse(md)


def test_hostile_names_cannot_change_the_markdown_structure(tmp_path):
    plan = _hostile_plan(tmp_path)
    md = render_markdown(plan)
    tokens = _tokens(md)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 2 and all(t.info == "diff" for t in fences)  # one per course
    # every change line is inside its course's fence
    body = fences[0].content
    assert body.count("\n") >= len(HOSTILE) + 3
    assert "+ student 17 (" + "L" * 300 + ")" in body
    blocks = "".join(t.content for t in tokens if t.type == "html_block")
    # the notes and the two courses, each opened and closed once; no other tag
    assert blocks.count("<details><summary>") == blocks.count("</details>") == 3
    assert re.findall(r"<(/?\w+)", blocks) == ["details", "summary", "/summary",
                                               "/details"] * 3
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 1 + 2  # the header and one row per course
    assert len([t for t in tokens if t.type == "td_open"]) == 2 * 4
    inline = [c for t in tokens if t.type == "inline" for c in (t.children or [])]
    assert not [c for c in inline if c.type in ("link_open", "image", "html_inline",
                                                 "em_open", "s_open")]
    assert len([c for c in inline if c.type == "strong_open"]) == 1  # the totals, ours
    text = html.unescape(MarkdownIt("commonmark").enable("table").render(md))
    assert "course 6 ([x](http://evil.example/a))" in text  # shown as written
    outside = md
    for f in fences:
        outside = outside.replace(f.content, "")
    assert "<!--" not in outside and "](http" not in outside  # raw only inside a fence


def test_md_text_and_fences_by_themselves():
    for s in HOSTILE:
        rendered = MarkdownIt("commonmark").enable("table").render(f"| {md_text(s)} |\n|---|\n")
        assert html.unescape(rendered).count("<td>") in (0, 1)
        assert s[:40] in html.unescape(rendered) or s == "L" * 300
    assert fence_for("a ``` b ````` c") == "``````"
    assert fence_for("plain") == "```"


def test_text_output_shows_planted_control_characters_as_escapes(tmp_path):
    text = render_text(_hostile_plan(tmp_path))
    assert "(line\\x0abreak ```\\x0a</details>)" in text
    assert "\nbreak" not in text


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_renderer_shows_a_planted_line_break_or_control_character(tmp_path, fmt):
    """Every format in the registry (the CLI's --format choices), not a hand list."""
    out = RENDERERS[fmt](_hostile_plan(tmp_path), View())
    assert "\nbreak" not in out and "\x1b" not in out and "\u202e" not in out


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("summary", [False, True])
def test_redaction_masks_names_and_hashes_uids_in_every_renderer(tmp_path, fmt, summary):
    plan = _hostile_plan(tmp_path)
    r = Redactor(Redact.ALL, redaction_key("s3cret-school-key", None))
    out = RENDERERS[fmt](plan, View(r, summary))
    for n in ("`a` | <b>", "L" * 30, "old `name`", "hide the rest", "onerror"):
        assert n not in out
    for uid in (500, 501, 10, 11, 90, 91):
        for shown in (f"student {uid} ", f"auditor {uid} ", f"/{uid}\"", f"{uid} (leader)",
                      f'"uid": {uid}', f'"studentUid": "{uid}"', f"/{uid}\n", f"/{uid} "):
            assert shown not in out


def test_redaction_masks_names_and_hashes_uids_everywhere(tmp_path):
    plan = _hostile_plan(tmp_path)
    key = redaction_key("s3cret-school-key", None)
    r = Redactor(Redact.ALL, key)
    for out in (render_text(plan, View(r)), render_markdown(plan, View(r)),
                render_json(plan, View(r))):
        for n in ("`a` | <b>", "L" * 30, "old `name`", "hide the rest",
                  "onerror"):
            assert n not in out
        for uid in (500, 501, 10, 11, 90, 91):
            for shown in (f"student {uid} ", f"auditor {uid} ", f"/{uid}\"", f"{uid} (leader)",
                          f'"uid": {uid}', f'"studentUid": "{uid}"'):
                assert shown not in out
    doc = json.loads(render_json(plan, View(r)))
    assert not {10, 11, 12} & {u for c in doc["changes"] for t in c.get("teams", ()) for u in t}
    assert list(validator("plan.schema.json").iter_errors(doc)) == []
    assert doc["redacted"] == "all"
    # stable: the same key gives the same hash; another key another one
    assert Redactor(Redact.ALL, key).uid(10) == r.uid(10)
    assert Redactor(Redact.ALL, redaction_key(None, "abc" * 8)).uid(10) != r.uid(10)
    names_only = json.loads(render_json(plan, View(Redactor(Redact.NAMES))))
    assert {c.get("uid") for c in names_only["changes"]} >= {10, 500}
    assert "<!-- hide the rest" not in json.dumps(names_only, ensure_ascii=False)


def test_the_strictest_redaction_wins():
    assert stricter(Redact.NAMES, None) is Redact.NAMES
    assert stricter(Redact.NAMES, Redact.ALL) is Redact.ALL
    assert stricter(Redact.ALL, Redact.NAMES) is Redact.ALL
    assert stricter(None, None) is Redact.NONE


def test_summary_view_is_the_table_and_the_totals(tmp_path):
    plan = _hostile_plan(tmp_path)
    text = render_text(plan, View(summary=True))
    assert "+ student" not in text and "course 6" in text and text.rstrip().endswith(".")
    md = render_markdown(plan, View(summary=True))
    assert "```" not in md and "| Course |" in md


def _who(u):
    return str(u)


def test_team_diff_moves_joins_leaves_leaders_and_teams():
    old = (Team(1, (2, 3)), Team(4, (5,)), Team(7, (8,)))
    new = (Team(1, (2,)), Team(5, (4, 3, 6)), Team(9, (10,)))
    lines = team_lines(old, new, _who)
    assert "team 2: leader 4 -> 5" in lines
    assert "team 2: 3 moved here from team 1" in lines
    assert "team 2: + 6 joined" in lines
    assert "team 3 added, led by 9" in lines
    assert "team 3: + 10 joined" in lines
    assert "old team 3, led by 7, removed" in lines
    assert "old team 3: - 7 left the grouping" in lines
    assert "old team 3: - 8 left the grouping" in lines
    assert not [x for x in lines if x.startswith("team 1")]  # team 1 only lost 3 (a move)


def test_a_group_change_in_the_plan_names_who_moved(tmp_path):
    write_tree(str(tmp_path), {"r.yaml": """\
school: {sid: 1}
courses:
  - id: 5
    students: [{uid: 1, name: Ann}, {uid: 2, name: Bo}, {uid: 3, name: Cy}, {uid: 4, name: Di}]
    groups:
      - name: 小组讨论
        teams: [{leader: 1, members: [3]}, {leader: 4, members: [2]}]
"""})
    st = State(lineage="L", serial=1, sid=1)
    rec = CourseRecord()
    rec.students = {1, 2, 3, 4}
    from eeo_reconcile.state.records import GroupRecord

    rec.groups = {"小组讨论": GroupRecord(1001, (Team(1, (2,)), Team(4, (3,))))}
    st.courses[5] = rec
    text = render_text(make_plan(load_config(str(tmp_path)), st))
    assert "team 1: 3 (Cy) moved here from team 2" in text
    assert "team 2: 2 (Bo) moved here from team 1" in text


def test_the_fast_json_writer_matches_the_documented_document_on_hostile_names(tmp_path):
    from eeo_reconcile.plan.encode import canonical, plan_json
    from eeo_reconcile.plan.redact import redact_plan_json

    plan = _hostile_plan(tmp_path)
    assert plan_json(plan) == canonical(plan.to_json())
    r = Redactor(Redact.ALL, b"k" * 32)
    assert plan_json(plan, r) == canonical(redact_plan_json(plan.to_json(), r))


def test_the_guards_advice_renders_as_code_and_data_never_does():
    """The comment shows `safety: {...}` and flags as code spans (they showed as
    literal backticks); a name with a backtick in it never opens one."""
    from eeo_reconcile.plan.render.markdown import md_advice

    advice = ("course 5 (Algebra): 9 of 10 recorded members would be removed (90%). To "
              "allow it, set `safety: {max_removal_fraction: 0.9}` on the course, or pass "
              "--allow-mass-removal.")
    html_out = MarkdownIt("commonmark").render(md_advice(advice))
    assert "<code>safety: {max_removal_fraction: 0.9}</code>" in html_out
    hostile = advice.replace("Algebra", "`<img src=x onerror=alert(1)>`")
    rendered = MarkdownIt("commonmark").render(md_advice(hostile))
    assert "<code>" not in rendered and "<img" not in rendered
    assert md_advice(hostile) == md_text(hostile)
    assert md_advice("an odd ` count") == md_text("an odd ` count")
