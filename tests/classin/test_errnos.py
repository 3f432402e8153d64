from eeo_reconcile.classin.api import endpoint
from eeo_reconcile.classin.errnos import ERRNOS, ErrClass, text
from eeo_reconcile.classin.errnos import classify as classify_endpoint


def classify(code, action, identity=None):
    return classify_endpoint(code, endpoint(action), identity)

DOCUMENTED = [1, 100, 102, 104, 106, 113, 114, 125, 129, 130, 131, 133, 134, 142, 143, 144, 145,
              147, 149, 153, 155, 157, 158, 159, 162, 163, 164, 166, 167, 171, 174, 212, 228,
              288, 329, 332, 333, 369, 400, 464, 466, 841, 886, 887, 890, 891, 892, 893, 895,
              896, 897, 898, 901]


def test_every_documented_errno_has_a_meaning_and_class():
    for code in DOCUMENTED:
        assert code in ERRNOS and ERRNOS[code].text
    assert text(1) == "程序正常执行"


def test_classes():
    a = "addCourseStudentMultiple"
    assert classify(1, a, 1) is ErrClass.SUCCESS
    assert classify(841, a, 1) is ErrClass.WARNING
    assert classify(898, "addCourseGroup") is ErrClass.WARNING
    assert classify(163, a, 1) is ErrClass.CONVERGED
    assert classify(164, a, 2) is ErrClass.CONVERGED
    assert classify(164, a, 1) is ErrClass.MEMBER  # is an auditor: not what we asked
    assert classify(163, a, 2) is ErrClass.MEMBER
    assert classify(166, "addClassStudentMultiple") is ErrClass.CONVERGED
    assert classify(162, "delCourseStudentMultiple", 1) is ErrClass.CONVERGED
    assert classify(167, "delClassStudentMultiple") is ErrClass.CONVERGED
    assert classify(893, "delCourseGroup") is ErrClass.CONVERGED
    assert classify(893, "editCourseGroup") is ErrClass.MEMBER
    for code in (104, 114, 464, 901):
        assert classify(code, a, 1) is ErrClass.TRANSIENT
    for code in (102, 100, 400):
        assert classify(code, a, 1) is ErrClass.FATAL_RUN
    for code in (144, 147, 149, 153, 369):
        assert classify(code, a, 1) is ErrClass.FATAL_COURSE
    for code in (142, 143, 145, 212, 466):
        assert classify(code, "addClassStudentMultiple") is ErrClass.FATAL_LESSON
    for code in (129, 130, 174, 228, 332, 333, 886, 887, 157, 329):
        assert classify(code, a, 1) is ErrClass.MEMBER
    assert classify(12345, a, 1) is ErrClass.MEMBER
