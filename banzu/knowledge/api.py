"""API of the knowledge base under /api/v1/."""


def register(router) -> None:
    """Add this app's viewsets to the project router."""
