"""People in the plan: a member named by a person whose recorded uid the course
already lists by uid is an error at plan time (the configuration alone cannot
know the uid), naming the person and the uid."""

import pytest

from eeo_reconcile.classin.accounts import account_digest, accounts_key, parse_account
from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import ConfigError
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.state.model import State
from eeo_reconcile.state.ops import person_op
from eeo_reconcile.state.records import PersonRecord
from tests.helpers import write_tree


def test_a_persons_recorded_uid_listed_by_uid_too_is_an_error(tmp_path):
    write_tree(str(tmp_path), {"r.yaml": """
        school: {sid: 1}
        people: [{key: S1, account: '13900000001', name: One}]
        courses: [{id: 5, students: [7, {person: S1}]}]
    """})
    st = State(lineage="L", serial=1, sid=1, salt="s" * 32)
    account, _ = parse_account("13900000001")
    digest = account_digest(accounts_key(st.salt), account)  # the same account: known
    st.apply(person_op("S1", PersonRecord(7, "One", digest)))
    with pytest.raises(ConfigError) as info:
        make_plan(load_config(str(tmp_path)), st)
    (d,) = info.value.diagnostics
    assert "person 'S1' has uid 7" in d.message
