import html
import json

from markdown_it import MarkdownIt

from eeo_reconcile.config.load import load_config
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.plan.render import render_json, render_markdown, render_text
from eeo_reconcile.schemas import validator
from eeo_reconcile.state.model import State
from eeo_reconcile.state.records import CourseRecord
from tests.conftest import EXAMPLES
from tests.helpers import write_tree


def _html(md: str) -> str:
    """What a reader sees: the Markdown rendered, character references decoded."""
    return html.unescape(MarkdownIt("commonmark").enable("table").render(md))


def _examples_plan():
    return make_plan(load_config(EXAMPLES), State())


def test_text_groups_by_course_with_labels_and_summary():
    text = render_text(_examples_plan())
    assert "course 442447 (Algebra I)" in text
    assert "  + auditor 1001 (张三)" in text
    assert text.rstrip().endswith("Plan: 17 to add, 0 to remove, 0 to change; 6 API calls; "
                                  "3 names to record in the state.")
    assert "\x1b[" not in text
    from eeo_reconcile.cli.view import colorize

    assert "\x1b[32m" in colorize(text)  # the CLI colours the plain text


def test_no_changes_text():
    config = load_config(EXAMPLES)
    from tests.helpers import state_from_config

    plan = make_plan(config, state_from_config(config))
    assert render_text(plan).strip() == "No changes."
    assert "No changes" in render_markdown(plan)


def test_json_matches_its_schema_and_lists_calls_without_credentials():
    doc = json.loads(render_json(_examples_plan()))
    assert list(validator("plan.schema.json").iter_errors(doc)) == []
    assert doc["summary"] == {"add": 17, "remove": 0, "change": 0, "calls": 6, "forget": 0,
                              "labels": 3, "register": 0, "rename": 0, "pending": 0}
    assert doc["safety"]["ok"] is True
    for call in doc["calls"]:
        assert not {"SID", "safeKey", "timeStamp"} & set(call["params"])
    assert doc["changes"][0]["address"] == "course/442447/student/12234"


def test_markdown_summary_first_and_collapsible_details():
    md = render_markdown(_examples_plan())
    assert md.index("| Course |") < md.index("<details>")
    assert "<summary>course 442447 (Algebra I): +12 -0 ~0</summary>" in _html(md)
    assert "```diff" in md


def _big(tmp_path, courses=400, students=60):
    lines = ["school: {sid: 1}", "safety: {max_removals: 100000}", "courses:"]
    for c in range(courses):
        lines.append(f"  - id: {1000 + c}")
        lines.append(f"    name: Course number {c}")
        lines.append("    students: [" + ", ".join(str(10_000 + i) for i in range(students)) + "]")
    write_tree(str(tmp_path), {"r.yaml": "\n".join(lines) + "\n"})
    st = State(lineage="L", serial=1, sid=1)
    for c in range(0, courses, 2):
        rec = CourseRecord()
        rec.students = {90_000 + i for i in range(12)}
        st.courses[1000 + c] = rec
    return make_plan(load_config(str(tmp_path)), st)


def test_markdown_over_the_github_limit_drops_details_never_the_summary(tmp_path):
    plan = _big(tmp_path)
    md = render_markdown(plan)
    assert len(md) <= 65536
    s = plan.summary()
    assert f"**{s.add} to add, {s.remove} to remove, {s.change} to change**" in md
    assert "Guard: apply will refuse this plan" in _html(md)  # the guard's findings stay
    assert "65,536-character comment limit" in md
    assert "<details>" in md  # as many details as fit are kept


def test_markdown_even_the_table_is_cut_when_needed(tmp_path):
    plan = _big(tmp_path, courses=3000, students=2)
    md = render_markdown(plan)
    assert len(md) <= 65536
    assert "course rows" in md and "65,536" in md
