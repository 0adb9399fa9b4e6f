"""Lesson 3 alternative (v2): MethodView classes, abort() and a blueprint JSON error handler."""

from flask import Blueprint, abort, request, url_for
from flask.views import MethodView
from werkzeug.exceptions import HTTPException

from .extensions import db
from .models import Invoice

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.errorhandler(HTTPException)
def json_error(error):
    # Catches abort() raised in this blueprint's views (not routing 404s or 405s).
    return {"error": error.description}, error.code


@bp.get("/info")
def info():
    return {"service": "invoicer", "version": "0.1.0"}


def _positive_int(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value > 0


def _letters(value, length) -> bool:
    return isinstance(value, str) and len(value) == length and value.isascii() and value.isalpha()


class InvoiceCollection(MethodView):
    """/invoices: the list (GET) and new invoices (POST)."""

    def get(self):
        query = db.select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id.desc())
        return {"invoices": [invoice.to_dict() for invoice in db.session.scalars(query)]}

    def post(self):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, description="the body must be a JSON object")
        customer = data.get("customer")
        if not isinstance(customer, str) or not customer.strip():
            abort(400, description="customer is required and must be a non-empty string")
        amount = data.get("amount_cents")
        if not _positive_int(amount):
            abort(400, description="amount_cents is required and must be a positive integer")
        currency = data.get("currency", "EUR")
        if not _letters(currency, 3):
            abort(400, description="currency must be a 3-letter code such as EUR")

        invoice = Invoice(customer=customer.strip(), amount_cents=amount, currency=currency)
        db.session.add(invoice)
        db.session.commit()
        location = url_for("api.get_invoice", invoice_id=invoice.id)
        return invoice.to_dict(), 201, {"Location": location}


class InvoiceItem(MethodView):
    """/invoices/<id>: one invoice."""

    def get(self, invoice_id):
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None:
            abort(404, description=f"invoice {invoice_id} not found")
        return invoice.to_dict()


bp.add_url_rule("/invoices", view_func=InvoiceCollection.as_view("invoices"))
bp.add_url_rule("/invoices/<int:invoice_id>", view_func=InvoiceItem.as_view("get_invoice"))
