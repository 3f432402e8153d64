"""reveal: an operator with the secret finds the person behind a pseudonym
that a plan showed, and the lookup is in the history."""

import re

from click.testing import CliRunner

from eeo_reconcile.cli import main
from tests.helpers import write_tree

CONFIG = """
    school: {sid: 1, secret_env: EEO_TEST_REVEAL_SECRET}
    state: {path: eeo.state.json}
    courses: [{id: 5, students: [{uid: 3000114, name: Zhang Weiming}, 3000115]}]
"""


def _run(args, **env):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def test_reveal_maps_a_pseudonym_a_plan_showed_back_with_the_secret_only(tmp_path):
    write_tree(str(tmp_path), {"r.yaml": CONFIG, "r.csv": "course_id,role,uid,name\n"
                                                          "5,student,3000115,Li Lei\n"})
    assert _run(["import", tmp_path / "r.csv", "--config", tmp_path]).exit_code == 0
    shown = _run(["plan", tmp_path, "--redact", "all"]).stdout
    token = re.search(r"student (u-[a-z2-7]{8}) \(Z\*\*\)", shown).group(1)
    refused = _run(["reveal", token, "--config", tmp_path])
    assert refused.exit_code == 1 and "needs the school's secret" in refused.stderr
    assert "3000114" not in refused.stdout + refused.stderr
    r = _run(["reveal", token, "--config", tmp_path], EEO_TEST_REVEAL_SECRET="s3cret-s3cret")
    assert r.exit_code == 0, r.output
    assert "uid 3000114: course/5/student/3000114 Zhang Weiming" in r.stdout
    # the same child has the same pseudonym whether the secret is set or not
    with_secret = _run(["plan", tmp_path, "--redact", "all"],
                       EEO_TEST_REVEAL_SECRET="s3cret-s3cret").stdout
    assert token in with_secret
    unknown = _run(["reveal", "u-aaaaaaaa", "--config", tmp_path],
                   EEO_TEST_REVEAL_SECRET="s3cret-s3cret")
    assert unknown.exit_code == 1 and "not found" in unknown.stdout
    bad = _run(["reveal", "3000114", "--config", tmp_path],
               EEO_TEST_REVEAL_SECRET="s3cret-s3cret")
    assert bad.exit_code == 1 and "not a pseudonym" in bad.stderr
    history = _run(["history", "--config", tmp_path]).stdout
    assert history.count("  reveal (") == 2 and token in history and "s3cret" not in history
