"""Actions and scope paths of the knowledge base (KB-1).

* ``knowledge.view``: everyone reads the published articles of their centre and uses quick phrases.
* ``knowledge.edit``: trainers, QA inspectors, supervisors, managers, directors and administrators
  write, publish and archive articles and keep the shared quick phrases. Supervisors (department
  scope) edit the articles of their own department; centre-wide articles need a centre-wide role.
* ``knowledge.change_own_phrases``: everyone keeps personal quick phrases.

An article either belongs to one department (only that department reads it, besides centre-wide
roles) or to the whole centre (``department`` empty). Everybody with ``knowledge.view`` reads
centre-wide articles, agents included, which department scope alone cannot express: readers go
through ``selectors.articles_readable_by``, never ``scoping.restrict`` on Article directly.
"""

from banzu.core import scoping
from banzu.core.roles import Role
from banzu.core.scoping import ScopePaths

EDITORS = frozenset(
    {
        Role.TRAINER,
        Role.QA_INSPECTOR,
        Role.SUPERVISOR,
        Role.MANAGER,
        Role.DIRECTOR,
        Role.ADMINISTRATOR,
    }
)

scoping.register_actions(
    {
        "knowledge.view": scoping.ALL_ROLES,
        "knowledge.edit": EDITORS,
        "knowledge.change_own_phrases": scoping.ALL_ROLES,
    }
)

scoping.register_scope(
    "knowledge.Article", ScopePaths(employee=None, team=None, department="department", centre="centre")
)
scoping.register_scope(
    "knowledge.ArticleVersion",
    ScopePaths(employee=None, team=None, department="article__department", centre="article__centre"),
)
