"""Tables owned by core, imported here so the factory (and Alembic) see them."""

from app.core.audit import OperationLog

__all__ = ["OperationLog"]
