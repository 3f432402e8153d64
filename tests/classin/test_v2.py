"""API v2 signing, against the vendor's own example."""

import pytest

from eeo_reconcile.classin import v2
from eeo_reconcile.errors import ApiError


def test_the_vendors_example_signs_to_its_published_md5():
    body = {"courseId": 132323, "activityId": None, "studentUids": [1, 2]}
    assert v2.signature(body, 1000082, 1673949471, "Mb71234") == \
        "d0d99023aa44549f97dfe9523059f0c3"


def test_arrays_objects_and_long_values_are_left_out_and_names_sorted():
    short = {"b": 2, "a": "x", "list": [1], "obj": {"k": 1}, "long": "y" * 1025}
    assert v2.signature(short, 1, 2, "s") == v2.signature({"a": "x", "b": 2}, 1, 2, "s")
    h = v2.headers({"courseId": 5}, 1000082, 1673949471, "Mb71234")
    assert h["X-EEO-UID"] == "1000082" and h["X-EEO-TS"] == "1673949471"
    assert "Mb71234" not in "".join(h.values())


@pytest.mark.parametrize("reserved", ["sid", "timeStamp", "key"])
def test_a_body_with_a_reserved_parameter_is_refused(reserved):
    with pytest.raises(ApiError, match=reserved):
        v2.signature({reserved: 1}, 1, 2, "s")
