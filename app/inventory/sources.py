"""Where a stock move came from: links from the ledger to the documents that posted the moves.

Each domain that posts stock registers how to link its documents, by the ``source_type`` its
moves carry: stock documents here, receipts in purchasing, deliveries in sales. The ledger shows
the document number as a link when a link is registered (and the function gives one), and as plain
text otherwise — so imports keep pointing downward.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from werkzeug.routing import BuildError

log = logging.getLogger(__name__)

SourceLink = Callable[[int], str | None]

_links: dict[str, SourceLink] = {}


def register_source_link(source_type: str, link: SourceLink) -> None:
    """Link moves of ``source_type`` to ``link(source_id)`` (which may return None: no link)."""
    _links[source_type] = link


def source_url(source_type: str, source_id: int | None) -> str | None:
    """The page of the document that posted a move, or None when there is none to link to."""
    link = _links.get(source_type)
    if link is None or source_id is None:
        return None
    try:
        return link(source_id)
    except BuildError:
        # A registered endpoint that is not served (a blueprint left out): the number stays plain.
        log.warning("no page for source %s %s", source_type, source_id)
        return None
