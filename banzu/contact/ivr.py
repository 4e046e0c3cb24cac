"""IVR menus (CT-4): edit the centre's menu tree, walk it, and pick the business form a key path pops.

The virtual switch (and a real one, through the CTI API) plays the tree: :func:`walk` takes the keys
pressed so far and the next key and answers with the next node, using the pure ``rules.ivr_step``.
The key path ends up on the contact (``Contact.ivr_path``); :func:`form_category` maps it to the
work-order category the agent's form opens with (受理界面弹出).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from banzu.contact import rules
from banzu.contact.models import IvrNode, Queue
from banzu.core import scoping
from banzu.core.errors import Conflict, OutOfScope, invalid

EDIT = "contact.manage_ivr"
EDITABLE = ("key", "label", "prompt", "action", "queue", "answer", "category", "common_question")


def _spec(node: IvrNode) -> rules.IvrNodeSpec:
    return rules.IvrNodeSpec(
        node_id=node.pk,
        parent_id=node.parent_id,
        key=node.key,
        action=rules.IvrAction(node.action),
        prompt=node.prompt,
        queue_id=node.queue_id,
        answer=node.answer,
        category=node.category,
        common_question=node.common_question,
    )


def nodes_of(centre_id: int):
    return IvrNode.objects.filter(centre_id=centre_id).select_related("queue").order_by("parent_id", "key", "pk")


def tree_for(centre: Any) -> list[rules.IvrNodeSpec]:
    """The centre's menu tree as the pure rules see it (one query)."""
    return [_spec(node) for node in nodes_of(getattr(centre, "pk", centre))]


def ivr_keys(path: Sequence[Any]) -> list[str]:
    """The keys of a stored IVR path; entries may be the key itself or {"key": …}."""
    return [str(step.get("key") if isinstance(step, dict) else step) for step in path or ()]


def walk(*, centre: Any, path: Sequence[str], key: str) -> rules.IvrStep:
    """CT-4: where pressing `key` after `path` leads, in `centre`'s current menu."""
    return rules.ivr_step(tree_for(centre), [str(k) for k in path], str(key))


def form_category(*, centre: Any, path: Sequence[Any]) -> str:
    """The work-order category a contact with this IVR path opens (受理界面弹出); "" when none is set.

    The deepest node on the path that names a category decides, so a whole sub-menu can share one.
    """
    tree = tree_for(centre)
    keys = ivr_keys(path)
    for depth in range(len(keys), -1, -1):
        node = rules.ivr_find(tree, keys[:depth])
        if node is not None and node.category:
            return node.category
    return ""


def published_tree(centre: Any) -> dict | None:
    """The menu as nested dicts, root first (the switch loads it; the API serves it)."""
    tree = tree_for(centre)
    root = rules.ivr_root(tree)

    def render(node: rules.IvrNodeSpec) -> dict:
        return {
            "id": node.node_id,
            "key": node.key,
            "action": node.action.value,
            "prompt": node.prompt,
            "queue": node.queue_id,
            "answer": node.answer,
            "category": node.category,
            "common_question": node.common_question,
            "children": [render(child) for child in rules.ivr_children(tree, node.node_id)],
        }

    return render(root) if root is not None else None


# --- editing -------------------------------------------------------------------------------------------

MESSAGES = {
    "invalid_key": lambda: _("Choose one key: 0 to 9, * or #."),
    "duplicate_key": lambda: _("This key is already used on this menu."),
    "queue_required": lambda: _("Choose the queue this choice leads to."),
    "answer_required": lambda: _("Enter the answer the caller hears."),
    "has_children": lambda: _("Only a sub-menu can have choices under it; delete them first."),
}


def _validate(
    *, centre_id: int, node_id: int | None, parent: IvrNode | None, values: dict[str, Any], has_children: bool
) -> None:
    from banzu.workorders.models import Category

    if parent is not None and parent.action != IvrNode.Action.MENU:
        raise invalid("parent", _("Choices can only be added to a sub-menu."), code="parent_not_a_menu")
    if not str(values.get("label", "")).strip():
        raise invalid("label", _("Enter a name for this menu item."), code="required")
    if values.get("action") not in IvrNode.Action.values:
        raise invalid("action", _("Choose what this menu item leads to."), code="invalid_choice")
    queue = values.get("queue")
    if queue is not None and queue.centre_id != centre_id:
        raise invalid("queue", _("Choose a queue of this centre."), code="queue_not_found")
    if values.get("category") and values["category"] not in Category.values:
        raise invalid("category", _("Choose a work-order category."), code="invalid_choice")
    siblings = IvrNode.objects.filter(centre_id=centre_id, parent=parent).exclude(pk=node_id)
    spec = rules.IvrNodeSpec(
        node_id=node_id or 0,
        parent_id=parent.pk if parent else None,
        key=str(values.get("key", "")),
        action=rules.IvrAction(values["action"]),
        queue_id=queue.pk if queue else None,
        answer=str(values.get("answer", "")),
    )
    problems = rules.ivr_problems(spec, siblings.values_list("key", flat=True), has_children)
    for field, code in problems.items():
        raise invalid(field, MESSAGES[code](), code=code)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = {name: values[name] for name in EDITABLE if name in values}
    for name in ("key", "label", "prompt", "answer", "category"):
        if name in out:
            out[name] = str(out[name] or "").strip()
    if "action" in out and out["action"] != IvrNode.Action.QUEUE:
        out["queue"] = None  # only a queue choice keeps a queue
    return out


@transaction.atomic
def create_node(*, user: Any, parent_id: int | None, values: dict[str, Any], now: datetime) -> IvrNode:
    """Add a menu item under `parent_id` (None: the centre's root menu, if it has none yet)."""
    scoping.ensure_can(user, EDIT)
    centre_id = scoping.actor_for(user).centre_id
    if centre_id is None:
        raise OutOfScope()
    parent = None
    if parent_id is not None:
        parent = IvrNode.objects.select_for_update().filter(centre_id=centre_id, pk=parent_id).first()
        if parent is None:
            raise OutOfScope()
    elif IvrNode.objects.filter(centre_id=centre_id, parent__isnull=True).exists():
        raise Conflict(_("This centre already has a main menu."), code="ivr_root_exists")
    values = _clean(values)
    if parent is None:
        values["key"] = ""
    _validate(centre_id=centre_id, node_id=None, parent=parent, values=values, has_children=False)
    return IvrNode.objects.create(centre_id=centre_id, parent=parent, **values)


@transaction.atomic
def update_node(
    *, user: Any, node_id: int, values: dict[str, Any], now: datetime, parent_id: int | None = None
) -> IvrNode:
    """Change a menu item; with `parent_id`, move it (never under itself or one of its own choices)."""
    scoping.ensure_can(user, EDIT)
    centre_id = scoping.actor_for(user).centre_id
    node = IvrNode.objects.select_for_update().filter(centre_id=centre_id, pk=node_id).first()
    if node is None:
        raise OutOfScope()
    parent = node.parent
    if parent_id is not None and parent_id != node.parent_id:
        if node.parent_id is None:
            raise invalid("parent", _("The main menu cannot be moved."), code="root_fixed")
        parents = dict(IvrNode.objects.filter(centre_id=centre_id).values_list("pk", "parent_id"))
        if parent_id not in parents:
            raise OutOfScope()
        if rules.ivr_creates_cycle(parents, node.pk, parent_id):
            raise invalid("parent", _("A menu item cannot be moved under itself or its own choices."), code="cycle")
        parent = IvrNode.objects.get(pk=parent_id)
    values = {**{name: getattr(node, name) for name in EDITABLE}, **_clean(values)}
    if values.get("action") != IvrNode.Action.QUEUE:
        values["queue"] = None
    if parent is None:
        values["key"] = ""
    _validate(centre_id=centre_id, node_id=node.pk, parent=parent, values=values, has_children=node.children.exists())
    for name, value in values.items():
        setattr(node, name, value)
    node.parent = parent
    node.save()
    return node


@transaction.atomic
def delete_node(*, user: Any, node_id: int, now: datetime) -> None:
    """Remove a menu item with every choice under it. Contacts keep the key paths they took."""
    scoping.ensure_can(user, EDIT)
    centre_id = scoping.actor_for(user).centre_id
    node = IvrNode.objects.select_for_update().filter(centre_id=centre_id, pk=node_id).first()
    if node is None:
        raise OutOfScope()
    node.delete()


def queues_for_menu(user: Any):
    """The queues a menu item may lead to: the active queues of the editor's centre."""
    centre_id = scoping.actor_for(user).centre_id
    return Queue.objects.filter(centre_id=centre_id, active=True).order_by("code")


DEMO_MENU = [
    # (path of the parent, key, label, action, prompt or answer, category, common question)
    ((), "1", "办税咨询", "menu", "办税咨询请按1", "consultation", False),
    (("1",), "1", "发票业务", "queue", "发票业务请稍候，正在为您转接坐席", "consultation", True),
    (("1",), "2", "申报缴税", "queue", "申报缴税请稍候，正在为您转接坐席", "consultation", True),
    (("1",), "9", "办公时间", "self_service", "我们的服务时间为工作日8:30至17:30。", "", False),
    ((), "2", "投诉建议", "queue", "投诉与建议请按2", "complaint", False),
    ((), "0", "留言", "message", "请在提示音后留言，我们会尽快回电。", "", False),
]


@transaction.atomic
def seed_demo_menu(*, centre: Any) -> int:
    """A demo IVR menu for `centre` (nothing if it already has one); queue choices go to its first
    active queue, or become messages when it has none. Returns the number of menu items created."""
    centre_id = getattr(centre, "pk", centre)
    if IvrNode.objects.filter(centre_id=centre_id).exists():
        return 0
    queue = Queue.objects.filter(centre_id=centre_id, active=True).order_by("-priority", "code").first()
    root = IvrNode.objects.create(
        centre_id=centre_id, label="主菜单", prompt="您好，欢迎致电。", action=IvrNode.Action.MENU
    )
    made = {(): root}
    for parent_path, key, label, action, text, category, common in DEMO_MENU:
        if action == IvrNode.Action.QUEUE and queue is None:
            action = IvrNode.Action.MESSAGE
        made[(*parent_path, key)] = IvrNode.objects.create(
            centre_id=centre_id,
            parent=made[parent_path],
            key=key,
            label=label,
            action=action,
            prompt="" if action == IvrNode.Action.SELF_SERVICE else text,
            answer=text if action == IvrNode.Action.SELF_SERVICE else "",
            queue=queue if action == IvrNode.Action.QUEUE else None,
            category=category,
            common_question=common,
        )
    return len(made)
