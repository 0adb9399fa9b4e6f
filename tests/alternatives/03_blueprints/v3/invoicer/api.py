"""Lesson 3 alternative (v3): validation that raises, one JSON error handler, make_response."""

import re

from flask import Blueprint, make_response, request, url_for

from .extensions import db
from .models import Invoice

bp = Blueprint("api", __name__, url_prefix="/api")
CURRENCY = re.compile(r"[A-Za-z]{3}")


class InvalidInvoice(Exception):
    """A new invoice's body was rejected; the message says why."""


@bp.errorhandler(InvalidInvoice)
def invalid_invoice(error):
    return make_response({"error": str(error)}, 400)


@bp.route("/info")
def info():
    return make_response({"service": "invoicer", "version": "0.1.0"})


@bp.route("/invoices")
def list_invoices():
    newest_first = db.select(Invoice).order_by(db.desc(Invoice.created_at), db.desc(Invoice.id))
    invoices = db.session.execute(newest_first).scalars()
    return make_response({"invoices": [invoice.to_dict() for invoice in invoices]})


@bp.route("/invoices", methods=["POST"])
def create_invoice():
    invoice = Invoice(**_validated(request.get_json(silent=True)))
    db.session.add(invoice)
    db.session.commit()
    response = make_response(invoice.to_dict(), 201)
    response.headers["Location"] = url_for("api.get_invoice", invoice_id=invoice.id)
    return response


@bp.route("/invoices/<int:invoice_id>")
def get_invoice(invoice_id):
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        return make_response({"error": f"invoice {invoice_id} not found"}, 404)
    return make_response(invoice.to_dict())


def _validated(data) -> dict:
    """The new invoice's column values; raises InvalidInvoice for a bad body."""
    if not isinstance(data, dict):
        raise InvalidInvoice("the body must be a JSON object")
    match data.get("customer"):
        case str(customer) if customer.strip():
            pass
        case _:
            raise InvalidInvoice("customer is required and must be a non-empty string")
    match data.get("amount_cents"):
        case bool():
            raise InvalidInvoice("amount_cents must be a positive integer, not a boolean")
        case int(amount) if amount > 0:
            pass
        case _:
            raise InvalidInvoice("amount_cents is required and must be a positive integer")
    currency = data.get("currency", "EUR")
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        raise InvalidInvoice("currency must be a 3-letter code such as EUR")
    return {"customer": customer.strip(), "amount_cents": amount, "currency": currency.upper()}
