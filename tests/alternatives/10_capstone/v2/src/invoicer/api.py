"""The JSON API Blueprint under /api, as in the reference solution."""

import re

from flask import Blueprint, abort, request, url_for

from . import audit, jobs
from .errors import ValidationError
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
        abort(400, description="the body must be a JSON object")
    invoice = Invoice(**_invoice_values(data))
    db.session.add(invoice)
    db.session.commit()
    # Lesson 8: who asked, as the app sees it (behind a proxy, thanks to ProxyFix), and an
    # absolute link whose scheme and host are the ones the client used.
    audit.record("created", invoice.id, request.remote_addr)
    location = url_for("api.get_invoice", invoice_id=invoice.id, _external=True)
    return invoice.to_dict(), 201, {"Location": location}


@bp.get("/invoices/<int:invoice_id>")
def get_invoice(invoice_id):
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        abort(404, description=f"invoice {invoice_id} not found")
    return invoice.to_dict()


@bp.post("/invoices/<int:invoice_id>/send")
def send_invoice(invoice_id):
    if db.session.get(Invoice, invoice_id) is None:
        abort(404, description=f"invoice {invoice_id} not found")
    jobs.start_sending(invoice_id)
    # 202 Accepted: the work has started and will finish after this response.
    return {"id": invoice_id, "status": "sending"}, 202


@bp.get("/audit")
def list_audit_events():
    return {"events": audit.all_events()}


def _invoice_values(data):
    """The values of a valid new invoice; raises ValidationError naming every bad field."""
    problems = {}
    customer = data.get("customer")
    if not isinstance(customer, str) or not customer.strip():
        problems["customer"] = "required, a non-empty string"
    elif len(customer.strip()) > Invoice.customer.type.length:
        problems["customer"] = f"too long: {Invoice.customer.type.length} characters at most"

    amount = data.get("amount_cents")
    # bool is a subclass of int in Python: without the first test, true would be 1 cent.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        problems["amount_cents"] = "required, a positive integer"

    currency = data.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch("[A-Za-z]{3}", currency):
        problems["currency"] = "a 3-letter code such as EUR"

    if problems:  # all of them at once: the client fixes its request in one go
        raise ValidationError(problems)
    return {"customer": customer.strip(), "amount_cents": amount, "currency": currency.upper()}
