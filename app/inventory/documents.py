"""Use cases of stock documents: drafts, posting, cancelling, and counts. Services flush; the caller
commits (posting views commit through ``run_with_retry``)."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from app.core.db import begin_write, current_actor_id, utcnow
from app.core.errors import DomainError
from app.core.locking import check_version
from app.core.money import to_decimal
from app.core.numbers import next_number
from app.extensions import db
from app.inventory import posting, scope
from app.inventory.models import (
    DOC_PREFIX,
    REASONS,
    DocStatus,
    DocType,
    Location,
    MoveType,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockMove,
    Warehouse,
)
from app.products.models import Product

log = logging.getLogger(__name__)

ZERO = Decimal(0)
MAX_LINES = 1000


@dataclass
class LineData:
    product_id: int | None
    location_id: int | None
    quantity: Decimal | None = None
    to_location_id: int | None = None
    unit_cost: Decimal | None = None
    counted_qty: Decimal | None = None
    note: str = ""


@dataclass
class HeaderData:
    warehouse_id: int | None
    to_warehouse_id: int | None = None
    reason_code: str = ""
    reason: str = ""
    note: str = ""


class LineError(DomainError):
    """A problem in one line: the form shows it next to that row."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(_("Line %(n)d: %(message)s", n=index + 1, message=message))
        self.index = index
        self.field = field


def _warehouse(warehouse_id: int | None, *, label: str = "") -> Warehouse:
    warehouse = db.session.get(Warehouse, warehouse_id) if warehouse_id else None
    if warehouse is None or warehouse.deleted_at is not None or not warehouse.is_active:
        raise DomainError(_("Choose a warehouse."))
    if not scope.may_use(warehouse.id):
        raise DomainError(_("You do not work in the warehouse %(code)s.", code=warehouse.code))
    return warehouse


def _validate_header(doc_type: DocType, header: HeaderData) -> None:
    _warehouse(header.warehouse_id)
    if doc_type == DocType.TRANSFER:
        _warehouse(header.to_warehouse_id)
    if doc_type == DocType.ADJUSTMENT:
        if header.reason_code not in REASONS:
            raise DomainError(_("Choose a reason for the adjustment."))
        if header.reason_code == "other" and not header.reason.strip():
            raise DomainError(_("Describe the reason when it is “Other”."))


def _locations(warehouse_id: int) -> dict[int, Location]:
    return {
        loc.id: loc
        for loc in db.session.scalars(
            sa.select(Location).where(Location.warehouse_id == warehouse_id, Location.deleted_at.is_(None))
        )
    }


def _validate_lines(doc_type: DocType, header: HeaderData, lines: list[LineData]) -> list[LineData]:
    lines = [line for line in lines if line.product_id or line.quantity or line.location_id]
    if not lines and doc_type != DocType.COUNT:
        raise DomainError(_("Add at least one line."))
    if len(lines) > MAX_LINES:
        raise DomainError(_("A document holds at most %(n)d lines.", n=MAX_LINES))
    here = _locations(header.warehouse_id)
    there = _locations(header.to_warehouse_id) if doc_type == DocType.TRANSFER else {}
    product_ids = {line.product_id for line in lines if line.product_id}
    live = set(
        db.session.scalars(sa.select(Product.id).where(Product.id.in_(product_ids), Product.deleted_at.is_(None)))
    )
    for i, line in enumerate(lines):
        if line.product_id not in live:
            raise LineError(i, "product_id", _("choose a product."))
        if line.location_id not in here:
            raise LineError(i, "location_id", _("choose a location of this warehouse."))
        if doc_type == DocType.ADJUSTMENT:
            if not line.quantity:
                raise LineError(i, "quantity", _("enter a quantity: positive to add stock, negative to remove it."))
        elif doc_type in (DocType.TRANSFER, DocType.OPENING) and (line.quantity is None or line.quantity <= 0):
            raise LineError(i, "quantity", _("enter a quantity greater than zero."))
        if doc_type == DocType.TRANSFER:
            if line.to_location_id not in there:
                raise LineError(i, "to_location_id", _("choose a location of the receiving warehouse."))
            if line.to_location_id == line.location_id:
                raise LineError(i, "to_location_id", _("the stock is already there."))
        if doc_type == DocType.OPENING and line.unit_cost is not None and line.unit_cost < 0:
            raise LineError(i, "unit_cost", _("a unit cost cannot be negative."))
        if doc_type == DocType.COUNT and line.counted_qty is not None and line.counted_qty < 0:
            raise LineError(i, "counted_qty", _("a counted quantity cannot be negative."))
    return lines


def _apply(document: StockDocument, header: HeaderData, lines: list[LineData]) -> None:
    document.warehouse_id = header.warehouse_id
    document.to_warehouse_id = header.to_warehouse_id if document.doc_type == DocType.TRANSFER else None
    document.reason_code = header.reason_code if document.doc_type == DocType.ADJUSTMENT else ""
    document.reason = header.reason.strip()
    document.note = header.note.strip()
    document.lines = [
        StockDocumentLine(
            position=i + 1,
            product_id=line.product_id,
            location_id=line.location_id,
            to_location_id=line.to_location_id,
            quantity=line.quantity,
            unit_cost=line.unit_cost if document.doc_type == DocType.OPENING else None,
            note=line.note.strip()[:300],
        )
        for i, line in enumerate(lines)
    ]


def create_document(doc_type: DocType, header: HeaderData, lines: list[LineData]) -> StockDocument:
    """Create a draft adjustment, transfer or opening-stock document."""
    _validate_header(doc_type, header)
    lines = _validate_lines(doc_type, header, lines)
    document = StockDocument(doc_type=doc_type.value, number=next_number(DOC_PREFIX[doc_type]))
    _apply(document, header, lines)
    db.session.add(document)
    db.session.flush()
    log.info("stock document %s created", document.number)
    return document


def update_document(
    document: StockDocument, header: HeaderData, lines: list[LineData], *, expected_version: int | None
) -> StockDocument:
    """Change a draft; anything but a draft is refused, whatever the browser sent."""
    _require_draft(document)
    check_version(document, expected_version, {"note": header.note.strip()})
    doc_type = DocType(document.doc_type)
    _validate_header(doc_type, header)
    lines = _validate_lines(doc_type, header, lines)
    _apply(document, header, lines)
    document.updated_at = utcnow()
    db.session.flush()
    return document


def delete_draft(document: StockDocument) -> None:
    """Delete a draft (posted documents are cancelled, never deleted)."""
    _require_draft(document)
    db.session.delete(document)
    db.session.flush()


def _require_draft(document: StockDocument) -> None:
    if document.status != DocStatus.DRAFT:
        raise DomainError(
            _("%(number)s is %(status)s and cannot be changed.", number=document.number, status=document.status_label)
        )


def _move_lines(document: StockDocument) -> list[posting.MoveLine]:
    doc_type = DocType(document.doc_type)
    moves: list[posting.MoveLine] = []
    for line in document.lines:
        if doc_type == DocType.ADJUSTMENT:
            moves.append(
                posting.MoveLine(
                    MoveType.ADJUSTMENT,
                    line.product_id,
                    document.warehouse_id,
                    line.location_id,
                    line.quantity,
                    source_line_id=line.id,
                )
            )
        elif doc_type == DocType.OPENING:
            moves.append(
                posting.MoveLine(
                    MoveType.OPENING,
                    line.product_id,
                    document.warehouse_id,
                    line.location_id,
                    line.quantity,
                    line.unit_cost,
                    line.id,
                )
            )
        elif doc_type == DocType.TRANSFER:
            moves.append(
                posting.MoveLine(
                    MoveType.TRANSFER_OUT,
                    line.product_id,
                    document.warehouse_id,
                    line.location_id,
                    -line.quantity,
                    source_line_id=line.id,
                )
            )
            moves.append(
                posting.MoveLine(
                    MoveType.TRANSFER_IN,
                    line.product_id,
                    document.to_warehouse_id,
                    line.to_location_id,
                    line.quantity,
                    source_line_id=line.id,
                )
            )
        elif doc_type == DocType.COUNT:
            variance = line.variance
            if variance:
                moves.append(
                    posting.MoveLine(
                        MoveType.COUNT,
                        line.product_id,
                        document.warehouse_id,
                        line.location_id,
                        variance,
                        source_line_id=line.id,
                    )
                )
    return moves  # fmt: skip


def lock_document(document_id: int) -> StockDocument | None:
    """Load a document to change it, holding its row until the commit: of two people posting the
    same draft at once, the second waits and then finds it posted. Call it first in the unit of
    work (``run_with_retry``), so a repeat starts from what is committed."""
    begin_write(db.session)
    return db.session.scalar(
        sa.select(StockDocument)
        .where(StockDocument.id == document_id)
        .options(sa.orm.lazyload("*"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def post_document(document: StockDocument, *, expected_version: int | None = None) -> list[int]:
    """Post a draft: its stock moves are written and it can no longer change. With
    ``expected_version`` (the version the user reviewed), a draft changed since is refused."""
    _require_draft(document)
    check_version(document, expected_version, {})
    for warehouse_id in {document.warehouse_id, document.to_warehouse_id} - {None}:
        if not scope.may_use(warehouse_id):
            raise DomainError(_("You do not work in the warehouse of %(number)s.", number=document.number))
    doc_type = DocType(document.doc_type)
    if doc_type == DocType.COUNT:
        if any(line.counted_qty is None for line in document.lines):
            raise DomainError(_("Enter a counted quantity on every line (0 when none was found) before posting."))
        moved = moves_since_count(document)
        if moved:
            raise DomainError(
                ngettext(
                    "%(num)d stock move changed the counted places after the count began. Refresh the book "
                    "quantities, check the counts, then post.",
                    "%(num)d stock moves changed the counted places after the count began. Refresh the book "
                    "quantities, check the counts, then post.",
                    moved,
                )
            )
    if not document.lines:
        raise DomainError(_("There is nothing to post."))
    moves = _move_lines(document)
    reason = document.reason or (str(REASONS.get(document.reason_code, "")) if document.reason_code else "")
    ids = posting.post_moves(moves, _source(document), reason=reason) if moves else []
    document.status = DocStatus.POSTED.value
    document.posted_at = utcnow()
    document.posted_by_id = current_actor_id()
    db.session.flush()
    log.info("stock document %s posted (%d moves)", document.number, len(ids))
    return ids


def cancel_document(document: StockDocument) -> list[int]:
    """Cancel a posted document by posting the reversing moves (refused if the stock has gone)."""
    if document.status != DocStatus.POSTED:
        raise DomainError(_("Only a posted document can be cancelled; delete a draft instead."))
    ids = posting.reverse_source(_source(document), _("Cancellation of %(number)s", number=document.number))
    document.status = DocStatus.CANCELLED.value
    document.cancelled_at = utcnow()
    document.cancelled_by_id = current_actor_id()
    db.session.flush()
    log.info("stock document %s cancelled (%d reversing moves)", document.number, len(ids))
    return ids


def _source(document: StockDocument) -> posting.Source:
    return posting.Source("stock_document", document.id, document.number)


# --- counts --------------------------------------------------------------------------------------


def start_count(warehouse_id: int, location_ids: set[int], note: str = "") -> StockDocument:
    """Open a count of a warehouse (or some of its locations): one line per product on the books
    there, with the book quantity taken now."""
    warehouse = _warehouse(warehouse_id)
    here = _locations(warehouse.id)
    if location_ids - set(here):
        raise DomainError(_("Choose locations of this warehouse."))
    # The balances are read under share locks (in the posting's lock order), so a posting still
    # in flight is either in the book quantities or after the snapshot time, never lost between.
    begin_write(db.session)
    query = (
        sa.select(StockBalance)
        .where(StockBalance.warehouse_id == warehouse.id, StockBalance.on_hand != 0)
        .order_by(StockBalance.product_id, StockBalance.warehouse_id, StockBalance.location_id)
        .options(sa.orm.lazyload("*"))
        .with_for_update(read=True)
    )
    if location_ids:
        query = query.where(StockBalance.location_id.in_(location_ids))
    balances = list(db.session.scalars(query))
    products = {
        p.id: p for p in db.session.scalars(sa.select(Product).where(Product.id.in_({b.product_id for b in balances})))
    }
    balances.sort(key=lambda b: (here[b.location_id].code, products[b.product_id].model_key))
    document = StockDocument(
        doc_type=DocType.COUNT.value,
        number=next_number(DOC_PREFIX[DocType.COUNT]),
        warehouse_id=warehouse.id,
        note=note.strip(),
        count_scope=",".join(str(i) for i in sorted(location_ids)),
        snapshot_at=utcnow(),
    )
    document.lines = [
        StockDocumentLine(
            position=i + 1, product_id=b.product_id, location_id=b.location_id, expected_qty=b.on_hand, quantity=None
        )
        for i, b in enumerate(balances)
    ]
    db.session.add(document)
    db.session.flush()
    return document


def enter_counts(
    document: StockDocument, counts: dict[int, Decimal | None], extra: list[LineData], *, expected_version: int | None
) -> StockDocument:
    """Record counted quantities (by line id) and lines for stock found that was not on the books."""
    _require_draft(document)
    if document.doc_type != DocType.COUNT:
        raise DomainError(_("This is not a stock count."))
    check_version(document, expected_version, {})
    header = HeaderData(warehouse_id=document.warehouse_id)
    for i, line in enumerate(document.lines):
        if line.id in counts:
            value = counts[line.id]
            if value is not None and value < 0:
                raise LineError(i, "counted_qty", _("a counted quantity cannot be negative."))
            line.counted_qty = value
    found = _validate_lines(DocType.COUNT, header, extra)
    known = {(line.product_id, line.location_id) for line in document.lines}
    position = len(document.lines)
    for line in found:
        if (line.product_id, line.location_id) in known:
            raise DomainError(_("That product is already on the count sheet at that location."))
        position += 1
        document.lines.append(
            StockDocumentLine(
                position=position,
                product_id=line.product_id,
                location_id=line.location_id,
                expected_qty=_book_quantity(line.product_id, document.warehouse_id, line.location_id),
                counted_qty=line.counted_qty,
            )
        )
        known.add((line.product_id, line.location_id))
    document.updated_at = utcnow()
    db.session.flush()
    return document


def _book_quantity(product_id: int, warehouse_id: int, location_id: int) -> Decimal:
    value = db.session.scalar(
        sa.select(StockBalance.on_hand).where(
            StockBalance.product_id == product_id,
            StockBalance.warehouse_id == warehouse_id,
            StockBalance.location_id == location_id,
        )
    )
    return value if value is not None else ZERO


def _counted_places(document: StockDocument) -> sa.ColumnElement[bool]:
    """The places a count covers: its warehouse, or only the chosen locations, plus the lines'."""
    condition = StockMove.warehouse_id == document.warehouse_id
    if document.count_scope:
        location_ids = {int(x) for x in document.count_scope.split(",") if x}
        location_ids |= {line.location_id for line in document.lines}
        condition = sa.and_(condition, StockMove.location_id.in_(location_ids))
    return condition


def moves_since_count(document: StockDocument) -> int:
    """How many stock moves touched the counted places after the book quantities were taken."""
    if document.snapshot_at is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(StockMove)
        .where(_counted_places(document), StockMove.created_at > document.snapshot_at)
    )


def refresh_book_quantities(document: StockDocument, *, expected_version: int | None) -> int:
    """Take the book quantities again (stock moved while counting); keep what was counted.
    Returns how many lines changed their book quantity."""
    _require_draft(document)
    if document.doc_type != DocType.COUNT:
        raise DomainError(_("This is not a stock count."))
    check_version(document, expected_version, {})
    changed = 0
    for line in document.lines:
        book = _book_quantity(line.product_id, document.warehouse_id, line.location_id)
        if book != line.expected_qty:
            line.expected_qty = book
            changed += 1
    document.snapshot_at = utcnow()
    document.updated_at = utcnow()
    db.session.flush()
    return changed


def parse_quantity(text: str) -> Decimal:
    """A quantity typed on a count sheet ("１２", "1,200", " 7 "), to three decimals; ValueError otherwise."""
    value = to_decimal(unicodedata.normalize("NFKC", text).strip())
    if value != round(value, 3):
        raise ValueError("too many decimal places")
    return value


def locations_by_code(warehouse_id: int) -> dict[str, Location]:
    """The live locations of a warehouse by their code, for lines typed or pasted with codes."""
    return {loc.code: loc for loc in _locations(warehouse_id).values()}
