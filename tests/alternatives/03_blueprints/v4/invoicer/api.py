"""Lesson 3 alternative (v4): abort() with a ready JSON response, execute().scalars().all()."""

from flask import Blueprint, abort, jsonify, make_response, request, url_for

from .extensions import db
from .models import Invoice

bp = Blueprint("api", __name__, url_prefix="/api")


def fail(status: int, message: str):
    """Stop the view and answer {"error": message} with that status."""
    abort(make_response(jsonify(error=message), status))


@bp.get("/info")
def info():
    return jsonify({"service": "invoicer", "version": "0.1.0"})


@bp.get("/invoices")
def list_invoices():
    result = db.session.execute(
        db.select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id.desc())
    )
    return jsonify({"invoices": [invoice.to_dict() for invoice in result.scalars().all()]})


@bp.post("/invoices")
def create_invoice():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        fail(400, "the body must be a JSON object")

    customer = data.get("customer")
    if not (isinstance(customer, str) and customer.strip()):
        fail(400, "customer is required and must be a non-empty string")
    amount = data.get("amount_cents")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        fail(400, "amount_cents is required and must be a positive integer")
    fields = {"customer": customer.strip(), "amount_cents": amount}
    if "currency" in data:
        currency = data["currency"]
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            fail(400, "currency must be a 3-letter code such as EUR")
        fields["currency"] = currency.upper()

    invoice = Invoice(**fields)
    db.session.add(invoice)
    db.session.commit()
    location = url_for("api.get_invoice", invoice_id=invoice.id)
    return jsonify(invoice.to_dict()), 201, {"Location": location}


@bp.get("/invoices/<int:invoice_id>")
def get_invoice(invoice_id: int):
    invoice = db.session.scalar(db.select(Invoice).filter_by(id=invoice_id))
    if invoice is None:
        fail(404, f"invoice {invoice_id} not found")
    return jsonify(invoice.to_dict())
