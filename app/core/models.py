"""Tables owned by core, imported here so the factory (and Alembic) see them."""

from app.core.audit import OperationLog
from app.core.numbers import DocumentCounter

__all__ = ["DocumentCounter", "OperationLog"]
