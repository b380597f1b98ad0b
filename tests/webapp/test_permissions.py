"""The policy table every view, the API and the documents use (webapp/services/policy.py)."""
from types import SimpleNamespace

import pytest
from webapp.services import NotAllowed as Forbidden
from webapp.services import NotFound
from webapp.services.policy import can, mask_id_number, require, require_view

UNIT_A, UNIT_B = 1, 2


def user(role, unit=UNIT_A, uid=10):
    return SimpleNamespace(role=role, unit_id=unit, id=uid, is_authenticated=True)


def record(status, unit=UNIT_A, creator=99):
    return SimpleNamespace(status=status, owner_unit_id=unit, created_by_id=creator)


@pytest.mark.parametrize("who,status,unit,expected", [
    ("staff", "draft", UNIT_A, True),
    ("staff", "draft", UNIT_B, False),
    ("staff", "pending_review", UNIT_B, False),
    ("staff", "filed", UNIT_B, True),
    ("staff", "voided", UNIT_B, True),
    ("viewer", "draft", UNIT_A, False),
    ("viewer", "closed", UNIT_B, True),
    ("reviewer", "draft", UNIT_B, True),
    ("admin", "pending_review", UNIT_B, True),
])
def test_permissions_view(who, status, unit, expected):
    try:
        require_view(user(who), record(status, unit))
        visible = True
    except NotFound:
        visible = False
    assert visible is expected


@pytest.mark.parametrize("action,who,status,unit,creator,expected", [
    ("edit", "staff", "draft", UNIT_A, 99, True),
    ("edit", "staff", "draft", UNIT_B, 99, False),
    ("edit", "staff", "filed", UNIT_A, 99, False),
    ("edit", "reviewer", "draft", UNIT_A, 99, False),
    ("submit", "staff", "draft", UNIT_A, 99, True),
    ("approve", "reviewer", "pending_review", UNIT_B, 99, True),
    ("approve", "reviewer", "pending_review", UNIT_B, 10, False),  # own record
    ("approve", "admin", "pending_review", UNIT_B, 99, True),
    ("approve", "admin", "pending_review", UNIT_A, 10, False),
    ("approve", "staff", "pending_review", UNIT_A, 99, False),
    ("approve", "reviewer", "draft", UNIT_B, 99, False),
    ("return", "reviewer", "pending_review", UNIT_B, 99, True),
    ("close", "staff", "filed", UNIT_A, 99, True),
    ("close", "staff", "filed", UNIT_B, 99, False),
    ("close", "staff", "closed", UNIT_A, 99, False),
    ("void", "reviewer", "filed", UNIT_B, 99, True),
    ("void", "admin", "closed", UNIT_B, 99, True),
    ("void", "staff", "filed", UNIT_A, 99, False),
    ("void", "reviewer", "draft", UNIT_B, 99, False),
    ("void", "viewer", "filed", UNIT_A, 99, False),
])
def test_permissions_record_actions(action, who, status, unit, creator, expected):
    assert can(user(who), action, record(status, unit, creator)) is expected


def test_permissions_require_explains_refusal():
    with pytest.raises(Forbidden, match="不能审查本人创建的记录"):
        require(user("reviewer"), "approve", record("pending_review", UNIT_B, creator=10))
    with pytest.raises(NotFound):
        require(user("staff"), "edit", record("draft", UNIT_B))  # invisible, not just forbidden
    with pytest.raises(Forbidden):
        require(user("viewer"), "create_record")


@pytest.mark.parametrize("action,roles", [
    ("create_record", {"staff"}),
    ("review_queue", {"reviewer", "admin"}),
    ("manage_catalog", {"reviewer", "admin"}),
    ("manage_users", {"admin"}),
    ("view_register", {"staff", "reviewer", "admin", "viewer"}),
])
def test_permissions_app_actions(action, roles):
    for role in ("staff", "reviewer", "admin", "viewer"):
        assert can(user(role), action) is (role in roles)


def test_permissions_mask_id_number():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number(None) is None


@pytest.mark.parametrize("username,visible,hidden", [
    ("staff", ["首页"], ["用户管理"]),
    ("viewer", ["首页"], ["用户管理"]),
    ("admin", ["首页"], []),
])
def test_permissions_navigation_by_role(client, auth, username, visible, hidden):
    auth.login(username)
    body = client.get("/").get_data(as_text=True)
    nav = body[body.index('aria-label="主导航"'):body.index("</nav>")]
    for label in visible:
        assert label in nav
    for label in hidden:
        assert label not in nav
