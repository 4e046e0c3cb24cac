"""Agent console actions over the API (CT-10)."""

from __future__ import annotations


def register(router) -> None:
    pass
