"""Lesson 5 alternative (v5): the audit view added with add_url_rule, its body via jsonify."""

import re

from flask import Blueprint, jsonify, request, url_for

from . import audit, jobs
from .extensions import db
from .models import Invoice

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/info")
def info():
    return {"service": "invoicer", "version": "0.1.0"}


@bp.get("/invoices")
def list_invoices():
    query = db.select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id.desc())
    invoices = db.session.scalars(query)
    return {"invoices": [invoice.to_dict() for invoice in invoices]}


@bp.post("/invoices")
def create_invoice():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "the body must be a JSON object"}, 400
    values, error = _invoice_values(data)
    if error:
        return {"error": error}, 400

    invoice = Invoice(**values)
    db.session.add(invoice)
    db.session.commit()
    audit.record("created", invoice.id)
    location = url_for("api.get_invoice", invoice_id=invoice.id)
    return invoice.to_dict(), 201, {"Location": location}


@bp.get("/invoices/<int:invoice_id>")
def get_invoice(invoice_id):
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        return {"error": f"invoice {invoice_id} not found"}, 404
    return invoice.to_dict()


@bp.post("/invoices/<int:invoice_id>/send")
def send_invoice(invoice_id):
    if db.session.get(Invoice, invoice_id) is None:
        return {"error": f"invoice {invoice_id} not found"}, 404
    jobs.start_sending(invoice_id)
    # 202 Accepted: the work has started and will finish after this response.
    return {"id": invoice_id, "status": "sending"}, 202


def list_audit_events():
    return jsonify({"events": audit.all_events()})


bp.add_url_rule("/audit", view_func=list_audit_events, methods=["GET"])


def _invoice_values(data):
    """(values, None) for a valid new invoice, or (None, what is wrong)."""
    customer = data.get("customer")
    if not isinstance(customer, str) or not customer.strip():
        return None, "customer is required and must be a non-empty string"

    amount = data.get("amount_cents")
    # bool is a subclass of int in Python: without the first test, true would be 1 cent.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        return None, "amount_cents is required and must be a positive integer"

    currency = data.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch("[A-Za-z]{3}", currency):
        return None, "currency must be a 3-letter code such as EUR"

    values = {"customer": customer.strip(), "amount_cents": amount, "currency": currency.upper()}
    return values, None
