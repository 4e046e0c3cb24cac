"""IVR menus (CT-4): the pure walk and validation rules, editing through the services, the key path
selecting the business form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from banzu.contact import ivr, rules
from banzu.contact.models import IvrNode
from banzu.contact.tests.conftest import at
from banzu.contact.tests.factories import QueueFactory
from banzu.core.errors import Conflict, NotAllowed, OutOfScope
from banzu.org.tests.factories import CentreFactory, DepartmentFactory, EmployeeFactory, TeamFactory

A = rules.IvrAction
N = rules.IvrNodeSpec
TREE = [
    N(1, None, "", A.MENU, prompt="欢迎致电"),
    N(2, 1, "1", A.MENU, prompt="办税咨询", category="consultation"),
    N(3, 2, "3", A.QUEUE, queue_id=10),
    N(4, 2, "#", A.SELF_SERVICE, answer="营业时间为…"),
    N(5, 1, "0", A.MESSAGE),
    N(6, 1, "9", A.QUEUE, queue_id=11, category="complaint"),
]


@pytest.mark.parametrize(
    ("path", "key", "node", "new_path", "done"),
    [
        ([], "1", 2, ("1",), False),
        ([], "0", 5, ("0",), True),
        ([], "9", 6, ("9",), True),
        ([], "5", 1, (), False),  # not on the menu: the menu plays again
        (["1"], "3", 3, ("1", "3"), True),
        (["1"], "#", 4, ("1", "#"), True),
        (["1"], "1", 2, ("1",), False),
        (["1", "3"], "1", None, ("1", "3"), True),  # the menu already ended at a queue
        (["7"], "1", None, ("7",), False),  # a path the menu no longer has
    ],
)
def test_ivr_step(path, key, node, new_path, done):
    step = rules.ivr_step(TREE, path, key)
    assert (step.node.node_id if step.node else None, step.path, step.done) == (node, new_path, done)


def test_an_empty_menu_leads_nowhere():
    assert rules.ivr_step([], [], "1") == rules.IvrStep(None, (), False)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list(rules.IVR_KEYS)), max_size=6))
def test_any_key_sequence_ends_at_a_node_of_the_tree_or_nowhere(keys):
    path: tuple[str, ...] = ()
    for key in keys:
        step = rules.ivr_step(TREE, path, key)
        assert step.node is None or step.node in TREE
        assert len(step.path) - len(path) in (0, 1)
        path = step.path
        assert rules.ivr_find(TREE, path) is not None


@pytest.mark.parametrize("key", list(rules.IVR_KEYS))
def test_every_telephone_key_is_a_valid_key(key):
    assert rules.ivr_problems(N(0, 1, key, A.MESSAGE), [], False) == {}


@pytest.mark.parametrize("key", ["", "a", "10", "+", " ", "１"])
def test_other_keys_are_refused(key):
    assert rules.ivr_problems(N(0, 1, key, A.MESSAGE), [], False) == {"key": "invalid_key"}


@pytest.mark.parametrize(
    ("spec", "siblings", "children", "problems"),
    [
        (N(0, 1, "1", A.MESSAGE), ["1"], False, {"key": "duplicate_key"}),
        (N(0, 1, "1", A.QUEUE), [], False, {"queue": "queue_required"}),
        (N(0, 1, "1", A.QUEUE, queue_id=3), [], False, {}),
        (N(0, 1, "1", A.SELF_SERVICE, answer="  "), [], False, {"answer": "answer_required"}),
        (N(0, 1, "1", A.MESSAGE), [], True, {"action": "has_children"}),
        (N(0, 1, "1", A.MENU), [], True, {}),
        (N(0, None, "", A.MENU), [], True, {}),  # the root has no key
    ],
)
def test_node_validation(spec, siblings, children, problems):
    assert rules.ivr_problems(spec, siblings, children) == problems


@pytest.mark.parametrize(
    ("node", "new_parent", "cycle"),
    [(2, 1, False), (2, 2, True), (2, 3, True), (3, 5, False), (5, None, False)],
)
def test_a_node_cannot_move_under_itself_or_its_descendants(node, new_parent, cycle):
    parents = {1: None, 2: 1, 3: 2, 4: 2, 5: 1}
    assert rules.ivr_creates_cycle(parents, node, new_parent) is cycle


def test_an_existing_loop_is_reported_as_a_cycle():
    assert rules.ivr_creates_cycle({1: 2, 2: 1, 3: None}, 3, 1) is True


# --- editing through the services --------------------------------------------------------------------------


@pytest.fixture
def menu(floor, org):
    admin = org.people["admin"].user
    root = ivr.create_node(user=admin, parent_id=None, values={"label": "主菜单", "action": "menu"}, now=at(0))
    tax = ivr.create_node(
        user=admin,
        parent_id=root.pk,
        values={"key": "1", "label": "办税咨询", "action": "menu", "category": "consultation"},
        now=at(0),
    )
    invoice = ivr.create_node(
        user=admin,
        parent_id=tax.pk,
        values={"key": "3", "label": "发票", "action": "queue", "queue": floor.queue},
        now=at(0),
    )
    return {"root": root, "tax": tax, "invoice": invoice, "admin": admin}


@pytest.mark.django_db
def test_a_built_menu_is_walked_and_serves_the_form_category(menu, floor):
    step = ivr.walk(centre=floor.centre, path=["1"], key="3")
    assert step.node.queue_id == floor.queue.pk and step.done and step.path == ("1", "3")
    assert ivr.form_category(centre=floor.centre, path=["1", "3"]) == "consultation"  # inherited from 1
    assert ivr.form_category(centre=floor.centre, path=[{"key": "1"}]) == "consultation"
    assert ivr.form_category(centre=floor.centre, path=[]) == ""
    tree = ivr.published_tree(floor.centre)
    assert tree["children"][0]["children"][0]["queue"] == floor.queue.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"key": "3", "label": "重复", "action": "message"}, "key", "duplicate_key"),
        ({"key": "x", "label": "按键", "action": "message"}, "key", "invalid_key"),
        ({"key": "4", "label": "", "action": "message"}, "label", "required"),
        ({"key": "4", "label": "队列", "action": "queue"}, "queue", "queue_required"),
        ({"key": "4", "label": "自助", "action": "self_service"}, "answer", "answer_required"),
        ({"key": "4", "label": "分类", "action": "message", "category": "nonsense"}, "category", "invalid_choice"),
    ],
)
def test_an_invalid_choice_is_refused_naming_the_field(menu, values, field, code):
    with pytest.raises(ValidationError) as error:
        ivr.create_node(user=menu["admin"], parent_id=menu["tax"].pk, values=values, now=at(1))
    assert error.value.error_dict[field][0].code == code
    assert IvrNode.objects.count() == 3


@pytest.mark.django_db
def test_a_queue_of_another_centre_is_refused(menu):
    foreign = QueueFactory(department=DepartmentFactory(centre=CentreFactory(code="SZ", name="深圳呼叫中心")))
    with pytest.raises(ValidationError) as error:
        ivr.create_node(
            user=menu["admin"],
            parent_id=menu["tax"].pk,
            values={"key": "5", "label": "外部", "action": "queue", "queue": foreign},
            now=at(1),
        )
    assert "queue" in error.value.error_dict


@pytest.mark.django_db
def test_choices_go_only_under_a_sub_menu_and_a_second_main_menu_is_refused(menu):
    with pytest.raises(ValidationError) as error:
        ivr.create_node(
            user=menu["admin"],
            parent_id=menu["invoice"].pk,
            values={"key": "1", "label": "x", "action": "message"},
            now=at(1),
        )
    assert "parent" in error.value.error_dict
    with pytest.raises(Conflict):
        ivr.create_node(user=menu["admin"], parent_id=None, values={"label": "第二", "action": "menu"}, now=at(1))


@pytest.mark.django_db
def test_moving_a_menu_under_its_own_choice_is_refused(menu):
    with pytest.raises(ValidationError) as error:
        ivr.update_node(user=menu["admin"], node_id=menu["tax"].pk, parent_id=menu["invoice"].pk, values={}, now=at(2))
    assert error.value.error_dict["parent"][0].code == "cycle"


@pytest.mark.django_db
def test_a_menu_with_choices_cannot_become_a_leaf_and_an_edit_is_kept_in_history(menu):
    with pytest.raises(ValidationError) as error:
        ivr.update_node(user=menu["admin"], node_id=menu["tax"].pk, values={"action": "message"}, now=at(2))
    assert error.value.error_dict["action"][0].code == "has_children"
    ivr.update_node(user=menu["admin"], node_id=menu["invoice"].pk, values={"prompt": "发票业务请稍候"}, now=at(3))
    menu["invoice"].refresh_from_db()
    assert menu["invoice"].prompt == "发票业务请稍候" and menu["invoice"].queue is not None
    assert menu["invoice"].history.count() == 2


@pytest.mark.django_db
def test_deleting_a_sub_menu_removes_its_choices(menu):
    ivr.delete_node(user=menu["admin"], node_id=menu["tax"].pk, now=at(4))
    assert list(IvrNode.objects.values_list("label", flat=True)) == ["主菜单"]


@pytest.mark.django_db
def test_only_ivr_editors_change_the_menu_and_only_their_centres(menu, org):
    with pytest.raises(NotAllowed):
        ivr.delete_node(user=org.people["team_leader"].user, node_id=menu["tax"].pk, now=at(4))
    ivr.delete_node(user=org.people["supervisor"].user, node_id=menu["invoice"].pk, now=at(4))
    outsider = EmployeeFactory(
        team=TeamFactory(department=DepartmentFactory(centre=CentreFactory(code="SZ"))), roles=["administrator"]
    )
    with pytest.raises(OutOfScope):
        ivr.delete_node(user=outsider.user, node_id=menu["tax"].pk, now=at(5))
    assert IvrNode.objects.count() == 2


@pytest.mark.django_db
def test_the_demo_menu_is_seeded_once_and_is_valid(floor):
    assert ivr.seed_demo_menu(centre=floor.centre) == 7
    assert ivr.seed_demo_menu(centre=floor.centre) == 0
    tree = ivr.tree_for(floor.centre)
    for node in tree:
        siblings = [n.key for n in tree if n.parent_id == node.parent_id and n.node_id != node.node_id]
        children = any(n.parent_id == node.node_id for n in tree)
        assert rules.ivr_problems(node, siblings, children) == {}
    step = ivr.walk(centre=floor.centre, path=["1"], key="1")
    assert step.node.queue_id == floor.queue.pk and step.node.common_question
