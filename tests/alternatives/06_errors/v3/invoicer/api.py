"""Lesson 6 alternative (v3): one small check function per field, run for every field."""

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
    audit.record("created", invoice.id)
    location = url_for("api.get_invoice", invoice_id=invoice.id)
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


def _customer_problem(value):
    if not isinstance(value, str) or not value.strip():
        return "required, a non-empty string"
    return None


def _amount_problem(value):
    # true is a bool, and bool a subclass of int: refuse it before the int test.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "required, a positive integer"
    return None


def _currency_problem(value):
    if not isinstance(value, str) or not re.fullmatch("[A-Za-z]{3}", value):
        return "a 3-letter code such as EUR"
    return None


# field: (its default when absent, the check that names its problem)
FIELDS = {
    "customer": (None, _customer_problem),
    "amount_cents": (None, _amount_problem),
    "currency": ("EUR", _currency_problem),
}


def _invoice_values(data):
    """The values of a valid new invoice; raises ValidationError naming every bad field."""
    values = {field: data.get(field, default) for field, (default, _) in FIELDS.items()}
    problems = {}
    for field, (_, check) in FIELDS.items():
        if problem := check(values[field]):
            problems[field] = problem
    if problems:
        raise ValidationError(problems)
    values["customer"] = values["customer"].strip()
    values["currency"] = values["currency"].upper()
    return values
