"""Stock documents: adjustments, transfers, opening stock and counts.

A document is written as a draft, then posted (its moves go through the posting service, under
the document's row lock, repeated on a deadlock) or deleted. A posted document never changes: it
is cancelled, which posts the reversing moves. Who may touch a document depends on its type
(``inventory.adjust`` / ``transfer`` / ``opening`` / ``count``); a user limited to some warehouses
sees only documents of those warehouses.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from app.auth.access import can, require
from app.core import audit, exports
from app.core import listview as lv
from app.core.db import run_with_retry
from app.core.errors import DomainError, StaleEditError
from app.core.registry import MenuItem, register_menu_item
from app.core.rows import template_row
from app.extensions import db
from app.inventory import documents, paste, scope
from app.inventory.blueprint import bp
from app.inventory.document_forms import CountEntryForm, CountStartForm, DocumentForm
from app.inventory.lists import DOCUMENT_LIST
from app.inventory.models import (
    DOC_LABELS,
    REASONS,
    DocStatus,
    DocType,
    Location,
    MoveType,
    StockDocument,
    StockMove,
    Warehouse,
)
from app.inventory.services import normalize_code
from app.inventory.sources import register_source_link
from app.products.models import Product

COST_PERMISSION = "products.view_cost"
PERMISSION_OF = {
    DocType.ADJUSTMENT: "inventory.adjust",
    DocType.TRANSFER: "inventory.transfer",
    DocType.OPENING: "inventory.opening",
    DocType.COUNT: "inventory.count",
}
ANY_DOCUMENT_WORK = tuple(PERMISSION_OF.values())
NEW_ENDPOINT = {
    DocType.ADJUSTMENT: "inventory.adjustment_new",
    DocType.TRANSFER: "inventory.transfer_new",
    DocType.OPENING: "inventory.opening_new",
    DocType.COUNT: "inventory.count_new",
}
# Form field of a line ← the field a service error names.
LINE_FIELDS = {"location_id": "location", "to_location_id": "to_location"}

register_menu_item(
    MenuItem(
        "inventory",
        "inventory.document_list",
        _l("Stock documents"),
        "journal-text",
        ("inventory.view",),
        order=20,
        active_prefix="inventory.document_",
    )
)
register_menu_item(
    MenuItem("inventory", "inventory.count_new", _l("Stock count"), "clipboard-check", ("inventory.count",), order=24)
)


# --- loading and access -------------------------------------------------------------------------


def _visible(document: StockDocument) -> bool:
    allowed = scope.allowed_warehouse_ids()
    return allowed is None or document.warehouse_id in allowed or document.to_warehouse_id in allowed


def load_document_or_404(document_id: int) -> StockDocument:
    document = db.session.get(StockDocument, document_id)
    if document is None or not _visible(document):
        abort(404)
    return document


def _require_type(document: StockDocument) -> None:
    if not can(PERMISSION_OF[DocType(document.doc_type)]):
        abort(403)


def _may_work_on(document: StockDocument) -> bool:
    return can(PERMISSION_OF[DocType(document.doc_type)]) and all(
        scope.may_use(w) for w in (document.warehouse_id, document.to_warehouse_id) if w is not None
    )


def _locked(document_id: int) -> StockDocument:
    """The document under its row lock, inside a unit of work (see ``documents.lock_document``)."""
    document = documents.lock_document(document_id)
    if document is None:
        raise DomainError(_("This document no longer exists."))
    return document


# --- the list -------------------------------------------------------------------------------------


@bp.get("/inventory/documents/")
@require("inventory.view")
def document_list():
    new_types = [t for t in (DocType.ADJUSTMENT, DocType.TRANSFER, DocType.OPENING) if can(PERMISSION_OF[t])]
    return render_template(
        "inventory/document_list.html",
        result=lv.run(DOCUMENT_LIST, can),
        new_types=new_types,
        labels=DOC_LABELS,
        new_endpoint=NEW_ENDPOINT,
    )


@bp.get("/inventory/documents/export.<fmt>")
@require("inventory.view", "inventory.export")
def document_export(fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(DOCUMENT_LIST, can)
    name = _("stock documents")
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


# --- the form of adjustments, transfers and opening stock ----------------------------------------


def _warehouse_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(w.id, f"{w.code} · {w.name}") for w in scope.usable_warehouses()]


def _prepare(form: DocumentForm, doc_type: DocType) -> None:
    choices = _warehouse_choices()
    form.warehouse_id.choices = choices
    form.to_warehouse_id.choices = choices
    form.reason_code.choices = [SelectChoice("", "—")] + [SelectChoice(k, v) for k, v in REASONS.items()]
    if request.method == "GET" and form.warehouse_id.data is None and len(choices) == 2:
        form.warehouse_id.data = choices[1].value  # the only warehouse the user works in


def _location_lists(warehouse_ids) -> dict[int, list[Location]]:
    """Locations per warehouse for the pickers (a datalist per warehouse)."""
    ids = [w for w in warehouse_ids if w]
    lists: dict[int, list[Location]] = {w: [] for w in ids}
    if ids:
        query = (
            sa.select(Location)
            .where(Location.warehouse_id.in_(ids), Location.deleted_at.is_(None), Location.is_active.is_(True))
            .order_by(Location.code)
        )
        for loc in db.session.scalars(query):
            lists[loc.warehouse_id].append(loc)
    return lists


def _product_labels(product_ids) -> dict[int, str]:
    ids = {p for p in product_ids if p}
    if not ids:
        return {}
    return {
        p.id: f"{p.brand.name} {p.model}" for p in db.session.scalars(sa.select(Product).where(Product.id.in_(ids)))
    }


def _is_blank(line_form) -> bool:
    return not (
        line_form.product_id.data
        or (line_form.location.data or "").strip()
        or (line_form.to_location.data or "").strip()
        or line_form.quantity.data is not None
        or line_form.unit_cost.data is not None
    )


def _read_lines(form: DocumentForm, doc_type: DocType, show_cost: bool):
    """The form's lines as service input, with the form rows they came from. Location codes are
    looked up here; an unknown code marks its row and returns None."""
    here = documents.locations_by_code(form.warehouse_id.data) if form.warehouse_id.data else {}
    there = (
        documents.locations_by_code(form.to_warehouse_id.data)
        if doc_type == DocType.TRANSFER and form.to_warehouse_id.data
        else {}
    )
    lines, rows, ok = [], [], True
    for entry in form.lines:
        f = entry.form
        if _is_blank(f):
            continue
        location = here.get(normalize_code(f.location.data or ""))
        if (f.location.data or "").strip() and location is None:
            f.location.errors.append(_("No such location in this warehouse."))
            ok = False
        to_location = None
        if doc_type == DocType.TRANSFER:
            to_location = there.get(normalize_code(f.to_location.data or ""))
            if (f.to_location.data or "").strip() and to_location is None:
                f.to_location.errors.append(_("No such location in the receiving warehouse."))
                ok = False
        lines.append(
            documents.LineData(
                product_id=f.product_id.data,
                location_id=location.id if location else None,
                quantity=f.quantity.data,
                to_location_id=to_location.id if to_location else None,
                unit_cost=f.unit_cost.data if doc_type == DocType.OPENING and show_cost else None,
                note=f.note.data or "",
            )
        )
        rows.append(f)
    return (lines if ok else None), rows


def _header(form: DocumentForm) -> documents.HeaderData:
    return documents.HeaderData(
        warehouse_id=form.warehouse_id.data,
        to_warehouse_id=form.to_warehouse_id.data,
        reason_code=form.reason_code.data or "",
        reason=form.reason.data or "",
        note=form.note.data or "",
    )


def _mark_line_error(rows, exc: documents.LineError) -> None:
    if 0 <= exc.index < len(rows):
        field = rows[exc.index][LINE_FIELDS.get(exc.field, exc.field)]
        field.errors = [*field.errors, str(exc)]


def _add_pasted(form: DocumentForm, doc_type: DocType) -> bool:
    """Append the pasted rows to the form's lines; False (with errors shown) when any row is wrong."""
    room = documents.MAX_LINES - sum(1 for e in form.lines if not _is_blank(e.form))
    result = paste.parse(form.paste.data or "", doc_type, limit=max(room, 0))
    if result.errors:
        form.paste.errors = result.errors[:50]
        return False
    # Drop empty rows first, so the pasted lines follow the typed ones.
    kept = [e.form.data for e in form.lines if not _is_blank(e.form)]
    while len(form.lines):
        form.lines.pop_entry()
    for data in kept:
        form.lines.append_entry(data)
    for line in result.lines:
        form.lines.append_entry(
            {
                "product_id": line.product_id,
                "location": line.location,
                "to_location": line.to_location,
                "quantity": line.quantity,
                "unit_cost": line.unit_cost,
                "note": "",
            }
        )
    form.paste.data = ""
    flash(_("%(n)d lines added. Check them, then save.", n=len(result.lines)), "info")
    return True


def _render_form(form: DocumentForm, doc_type: DocType, document: StockDocument | None, conflict=None):
    show_cost = can(COST_PERMISSION)
    if not any(True for _entry in form.lines):
        form.lines.append_entry()
    return render_template(
        "inventory/document_form.html",
        form=form,
        doc_type=doc_type,
        document=document,
        title=DOC_LABELS[doc_type],
        blank=template_row(form.lines),
        labels=_product_labels(e.form.product_id.data for e in form.lines),
        location_lists=_location_lists(w.value for w in form.warehouse_id.choices if w.value != ""),
        show_cost=show_cost,
        may_post=True,
        conflict=conflict,
        max_lines=documents.MAX_LINES,
    )


def _save(form: DocumentForm, doc_type: DocType, document: StockDocument | None):
    """Save (and with the "post" button, post) a draft; None when the form is to be shown again.
    Every row is checked, so all mistakes show at once."""
    show_cost = can(COST_PERMISSION)
    valid = form.validate()
    lines, rows = _read_lines(form, doc_type, show_cost)
    if lines is None or not valid:
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    post = request.form.get("action") == "post"
    header = _header(form)
    try:
        if document is None:
            document = documents.create_document(doc_type, header, lines)
        else:
            documents.update_document(document, header, lines, expected_version=form.version_id.data)
        db.session.commit()
    except documents.LineError as exc:
        db.session.rollback()
        _mark_line_error(rows, exc)
        form.form_errors.append(str(exc))
        return None
    except StaleEditError:
        raise
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    if not post:
        flash(_("%(number)s saved as a draft.", number=document.number), "success")
        return redirect(url_for("inventory.document_detail", document_id=document.id))
    return _post(document.id, document.version_id)


def _new(doc_type: DocType):
    form = DocumentForm()
    _prepare(form, doc_type)
    if request.method == "POST" and request.form.get("action") == "paste":
        if form.validate_on_submit():
            _add_pasted(form, doc_type)
        return _render_form(form, doc_type, None)
    if form.is_submitted():
        response = _save(form, doc_type, None)
        if response is not None:
            return response
    return _render_form(form, doc_type, None)


@bp.route("/inventory/adjustments/new", methods=["GET", "POST"])
@require("inventory.adjust")
def adjustment_new():
    return _new(DocType.ADJUSTMENT)


@bp.route("/inventory/transfers/new", methods=["GET", "POST"])
@require("inventory.transfer")
def transfer_new():
    return _new(DocType.TRANSFER)


@bp.route("/inventory/openings/new", methods=["GET", "POST"])
@require("inventory.opening")
def opening_new():
    return _new(DocType.OPENING)


@bp.route("/inventory/documents/<int:document_id>/edit", methods=["GET", "POST"])
@require(*ANY_DOCUMENT_WORK, any_of=True)
def document_edit(document_id: int):
    document = load_document_or_404(document_id)
    _require_type(document)
    doc_type = DocType(document.doc_type)
    if doc_type == DocType.COUNT:
        return redirect(url_for("inventory.count_entry", document_id=document.id))
    if not document.is_draft:
        flash(
            _("%(number)s is %(status)s and cannot be changed.", number=document.number, status=document.status_label)
        )
        return redirect(url_for("inventory.document_detail", document_id=document.id))
    if request.method == "GET":
        form = DocumentForm(obj=document)
        while len(form.lines):
            form.lines.pop_entry()
        for line in document.lines:
            form.lines.append_entry(
                {
                    "product_id": line.product_id,
                    "location": line.location.code,
                    "to_location": line.to_location.code if line.to_location else "",
                    "quantity": line.quantity,
                    "unit_cost": line.unit_cost,
                    "note": line.note,
                }
            )
        form.version_id.data = document.version_id
    else:
        form = DocumentForm()
    _prepare(form, doc_type)
    if request.method == "POST" and request.form.get("action") == "paste":
        if form.validate_on_submit():
            _add_pasted(form, doc_type)
        return _render_form(form, doc_type, document)
    if form.is_submitted():
        try:
            response = _save(form, doc_type, document)
        except StaleEditError as exc:
            db.session.rollback()
            form.version_id.data = document.version_id
            return _render_form(form, doc_type, document, conflict=exc)
        if response is not None:
            return response
    return _render_form(form, doc_type, document)


# --- detail, post, cancel, delete ---------------------------------------------------------------


def _count_summary(document: StockDocument, show_cost: bool) -> dict | None:
    if document.doc_type != DocType.COUNT:
        return None
    gain = loss = Decimal(0)
    gain_value = loss_value = Decimal(0)
    gain_lines = loss_lines = uncounted = 0
    for line in document.lines:
        variance = line.variance
        if line.counted_qty is None:
            uncounted += 1
        if not variance:
            continue
        value = variance * line.product.avg_cost
        if variance > 0:
            gain, gain_value, gain_lines = gain + variance, gain_value + value, gain_lines + 1
        else:
            loss, loss_value, loss_lines = loss - variance, loss_value - value, loss_lines + 1
    return {
        "gain": gain,
        "loss": loss,
        "gain_lines": gain_lines,
        "loss_lines": loss_lines,
        "gain_value": gain_value if show_cost else None,
        "loss_value": loss_value if show_cost else None,
        "uncounted": uncounted,
        "moved": documents.moves_since_count(document) if document.is_draft else 0,
    }


@bp.get("/inventory/documents/<int:document_id>")
@require("inventory.view")
def document_detail(document_id: int):
    document = load_document_or_404(document_id)
    show_cost = can(COST_PERMISSION)
    moves = []
    if document.status != DocStatus.DRAFT:
        moves = list(
            db.session.scalars(
                sa.select(StockMove)
                .where(StockMove.source_type == "stock_document", StockMove.source_id == document.id)
                .order_by(StockMove.id)
                .limit(2 * documents.MAX_LINES + 10)
            )
        )
    entries = audit.history("stock_document", document.id, limit=100)
    return render_template(
        "inventory/document_detail.html",
        document=document,
        doc_type=DocType(document.doc_type),
        moves=moves,
        show_cost=show_cost,
        may_work=_may_work_on(document),
        summary=_count_summary(document, show_cost),
        entries=entries,
        actors=audit.actor_names(entries),
    )


def _post(document_id: int, expected_version: int | None):
    def work():
        document = _locked(document_id)
        if not _may_work_on(document):
            abort(403)
        return documents.post_document(document, expected_version=expected_version)

    try:
        run_with_retry(db.session, work)
    except StaleEditError as exc:
        db.session.rollback()
        who = exc.changed_by or _("someone else")
        flash(_("Not posted: %(who)s changed this document after you opened it. Review it and post again.", who=who))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        document = db.session.get(StockDocument, document_id)
        flash(_("%(number)s posted.", number=document.number), "success")
    return redirect(url_for("inventory.document_detail", document_id=document_id))


@bp.post("/inventory/documents/<int:document_id>/post")
@require(*ANY_DOCUMENT_WORK, any_of=True)
def document_post(document_id: int):
    document = load_document_or_404(document_id)
    _require_type(document)
    return _post(document.id, request.form.get("version_id", type=int))


@bp.post("/inventory/documents/<int:document_id>/cancel")
@require("inventory.cancel")
def document_cancel(document_id: int):
    document = load_document_or_404(document_id)

    def work():
        locked = _locked(document.id)
        if not all(scope.may_use(w) for w in (locked.warehouse_id, locked.to_warehouse_id) if w is not None):
            abort(403)
        return documents.cancel_document(locked)

    try:
        run_with_retry(db.session, work)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("%(number)s cancelled; its stock moves were reversed.", number=document.number), "success")
    return redirect(url_for("inventory.document_detail", document_id=document.id))


@bp.post("/inventory/documents/<int:document_id>/delete")
@require(*ANY_DOCUMENT_WORK, any_of=True)
def document_delete(document_id: int):
    document = load_document_or_404(document_id)
    _require_type(document)
    number = document.number

    def work():
        locked = _locked(document.id)
        if not _may_work_on(locked):
            abort(403)
        documents.delete_draft(locked)

    try:
        run_with_retry(db.session, work)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("inventory.document_detail", document_id=document_id))
    flash(_("Draft %(number)s deleted.", number=number), "success")
    return redirect(url_for("inventory.document_list"))


# --- counts -------------------------------------------------------------------------------------


@bp.route("/inventory/counts/new", methods=["GET", "POST"])
@require("inventory.count")
def count_new():
    form = CountStartForm()
    form.warehouse_id.choices = _warehouse_choices()
    if request.method == "GET" and len(form.warehouse_id.choices) == 2:
        form.warehouse_id.data = form.warehouse_id.choices[1].value
    if form.validate_on_submit():
        codes = {normalize_code(c) for c in (form.locations.data or "").replace(",", " ").split() if c.strip()}
        here = documents.locations_by_code(form.warehouse_id.data) if form.warehouse_id.data else {}
        unknown = sorted(c for c in codes if c not in here)
        if unknown:
            form.locations.errors.append(_("Not locations of this warehouse: %(codes)s", codes=", ".join(unknown[:20])))
        else:
            try:
                document = run_with_retry(
                    db.session,
                    lambda: documents.start_count(
                        form.warehouse_id.data, {here[c].id for c in codes}, form.note.data or ""
                    ),
                )
            except DomainError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc))
            else:
                flash(
                    _("Count %(number)s started with %(n)d lines.", number=document.number, n=len(document.lines)),
                    "success",
                )
                return redirect(url_for("inventory.count_entry", document_id=document.id))
    return render_template(
        "inventory/count_new.html",
        form=form,
        location_lists=_location_lists(c.value for c in form.warehouse_id.choices if c.value != ""),
    )


def _count_document_or_404(document_id: int) -> StockDocument:
    document = load_document_or_404(document_id)
    if document.doc_type != DocType.COUNT:
        abort(404)
    return document


@bp.route("/inventory/documents/<int:document_id>/count", methods=["GET", "POST"])
@require("inventory.count")
def count_entry(document_id: int):
    document = _count_document_or_404(document_id)
    if not document.is_draft:
        return redirect(url_for("inventory.document_detail", document_id=document.id))
    if not _may_work_on(document):
        abort(403)
    form = CountEntryForm()
    if request.method == "GET":
        form.version_id.data = document.version_id
    typed: dict[int, str] = {}
    errors: dict[int, str] = {}
    conflict = None
    if form.validate_on_submit():
        counts: dict[int, Decimal | None] = {}
        for line in document.lines:
            raw = request.form.get(f"counted-{line.id}")
            if raw is None:
                continue
            typed[line.id] = raw
            text = raw.strip()
            if not text:
                counts[line.id] = None
                continue
            try:
                value = documents.parse_quantity(text)
            except ValueError:
                errors[line.id] = _("Enter a number, e.g. 12.")
                continue
            if value < 0:
                errors[line.id] = _("A counted quantity cannot be negative.")
                continue
            counts[line.id] = value
        here = documents.locations_by_code(document.warehouse_id)
        found, rows = [], []
        for entry in form.found:
            f = entry.form
            if not (f.product_id.data or (f.location.data or "").strip() or f.counted_qty.data is not None):
                continue
            location = here.get(normalize_code(f.location.data or ""))
            if (f.location.data or "").strip() and location is None:
                f.location.errors.append(_("No such location in this warehouse."))
            if f.counted_qty.data is None:
                f.counted_qty.errors.append(_("Enter the quantity found."))
            found.append(
                documents.LineData(
                    product_id=f.product_id.data,
                    location_id=location.id if location else None,
                    counted_qty=f.counted_qty.data,
                )
            )
            rows.append(f)
        if not errors and not any(f.errors for f in rows):
            try:
                documents.enter_counts(document, counts, found, expected_version=form.version_id.data)
                db.session.commit()
            except StaleEditError as exc:
                db.session.rollback()
                conflict = exc
                form.version_id.data = document.version_id
            except documents.LineError as exc:
                db.session.rollback()
                if exc.field == "counted_qty" and exc.index < len(document.lines) and not found:
                    errors[document.lines[exc.index].id] = str(exc)
                else:
                    _mark_line_error(rows, exc)
                form.form_errors.append(str(exc))
            except DomainError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc))
            else:
                if request.form.get("action") == "review":
                    flash(_("Counts saved. Review the variances, then post."), "success")
                    return redirect(url_for("inventory.document_detail", document_id=document.id))
                flash(_("Counts saved."), "success")
                return redirect(url_for("inventory.count_entry", document_id=document.id))
        elif not form.form_errors:
            form.form_errors.append(_("Please correct the marked fields."))
    if not any(True for _entry in form.found):
        form.found.append_entry()
    return render_template(
        "inventory/count_entry.html",
        document=document,
        form=form,
        blank=template_row(form.found),
        typed=typed,
        errors=errors,
        labels=_product_labels(e.form.product_id.data for e in form.found),
        location_lists=_location_lists([document.warehouse_id]),
        conflict=conflict,
        summary=_count_summary(document, can(COST_PERMISSION)),
    )


@bp.post("/inventory/documents/<int:document_id>/refresh")
@require("inventory.count")
def count_refresh(document_id: int):
    document = _count_document_or_404(document_id)
    if not _may_work_on(document):
        abort(403)
    version = request.form.get("version_id", type=int)

    def work():
        return documents.refresh_book_quantities(_locked(document.id), expected_version=version)

    try:
        changed = run_with_retry(db.session, work)
    except StaleEditError:
        db.session.rollback()
        flash(_("Not refreshed: someone saved this count after you opened it. Review it and try again."))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("Book quantities taken again: %(n)d lines changed. Check their counts.", n=changed), "success")
    return redirect(url_for("inventory.document_detail", document_id=document.id))


def _sheet_lines(document: StockDocument):
    return sorted(document.lines, key=lambda line: (line.location.code, line.product.model_key, line.position))


@bp.get("/inventory/documents/<int:document_id>/sheet")
@require("inventory.view", "inventory.count")
def count_sheet(document_id: int):
    """The count sheet to print: locations in walking order, no book quantities (a blind count)."""
    document = _count_document_or_404(document_id)
    return render_template("inventory/count_sheet.html", document=document, lines=_sheet_lines(document))


@bp.get("/inventory/documents/<int:document_id>/sheet.<fmt>")
@require("inventory.view", "inventory.count")
def count_sheet_export(document_id: int, fmt: str):
    document = _count_document_or_404(document_id)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns = [
        lv.Column("position", _l("No."), kind=lv.NUMBER),
        lv.Column("location", _l("Location")),
        lv.Column("brand", _l("Brand")),
        lv.Column("model", _l("Model")),
        lv.Column("name", _l("Name")),
        lv.Column("unit", _l("Unit")),
        lv.Column("counted", _l("Counted"), kind=lv.QUANTITY),
    ]
    rows = (
        (line.position, line.location.code, line.product.brand.name, line.product.model, line.product.name,
         line.product.unit, line.counted_qty)
        for line in _sheet_lines(document)
    )  # fmt: skip
    name = f"{document.number}"
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


def warehouse_label(warehouse: Warehouse | None) -> str:
    return f"{warehouse.code} · {warehouse.name}" if warehouse else "—"


bp.add_app_template_global(warehouse_label, "warehouse_label")


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


def move_type_label(move_type: str) -> str:
    return str(MoveType(move_type).label)


bp.add_app_template_global(reason_label, "reason_label")
bp.add_app_template_global(move_type_label, "move_type_label")
register_source_link(
    "stock_document", lambda document_id: url_for("inventory.document_detail", document_id=document_id)
)
