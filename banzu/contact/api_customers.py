"""Customer API (CT-18)."""

from __future__ import annotations


def register(router) -> None:
    pass
