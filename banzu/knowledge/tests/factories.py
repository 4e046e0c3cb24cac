"""Knowledge articles built through the services, so versions, search text and history are real."""

from __future__ import annotations

from datetime import date

from banzu.knowledge import services
from banzu.knowledge.models import Article, Category


def category(org, name: str = "业务知识", persona: str = "trainer") -> Category:
    return services.create_category(user=org.people[persona].user, name=name)


def article(
    org,
    *,
    title: str = "增值税发票开具流程",
    body: str = "客户申请开具发票时，请核实订单号和开票抬头。",
    persona: str = "trainer",
    publish: bool = True,
    tags: list[str] | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    department=None,
    category: Category | None = None,
) -> Article:
    return services.create_article(
        user=org.people[persona].user,
        title=title,
        body=body,
        tags=tags or [],
        valid_from=valid_from,
        valid_until=valid_until,
        department=department,
        category=category,
        publish=publish,
    )
