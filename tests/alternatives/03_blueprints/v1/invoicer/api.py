"""Lesson 3 alternative (v1): a prefix-less Blueprint, jsonify with a status, execute(select)."""

import string

from flask import Blueprint, jsonify, request, url_for
from sqlalchemy import select

from .extensions import db
from .models import Invoice

# The URL prefix is given when create_app() registers the blueprint.
bp = Blueprint("api", __name__)


@bp.route("/info", methods=["GET"])
def info():
    return jsonify(service="invoicer", version="0.1.0")


@bp.route("/invoices", methods=["GET"])
def list_invoices():
    statement = select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id.desc())
    invoices = db.session.execute(statement).scalars().all()
    return jsonify(invoices=[invoice.to_dict() for invoice in invoices])


@bp.route("/invoices", methods=["POST"])
def create_invoice():
    data = request.get_json(silent=True)
    problem = _problem_with(data)
    if problem is not None:
        return jsonify(error=problem), 400

    invoice = Invoice(
        customer=data["customer"].strip(),
        amount_cents=data["amount_cents"],
        currency=data.get("currency", "EUR").upper(),
    )
    db.session.add(invoice)
    db.session.commit()

    response = jsonify(invoice.to_dict())
    response.status_code = 201
    response.headers["Location"] = url_for(".get_invoice", invoice_id=invoice.id)
    return response


@bp.route("/invoices/<int:invoice_id>", methods=["GET"])
def get_invoice(invoice_id):
    statement = select(Invoice).where(Invoice.id == invoice_id)
    invoice = db.session.execute(statement).scalar_one_or_none()
    if invoice is None:
        return jsonify(error=f"invoice {invoice_id} not found"), 404
    return jsonify(invoice.to_dict())


def _problem_with(data):
    """What is wrong with a new invoice's JSON body, or None when it can be saved."""
    if type(data) is not dict:
        return "the body must be a JSON object"
    customer = data.get("customer")
    if type(customer) is not str or customer.strip() == "":
        return "customer must be a non-empty string"
    amount = data.get("amount_cents")
    # type() is exact: True (a bool) is not an int here, nor is 12.5.
    if type(amount) is not int or amount < 1:
        return "amount_cents must be a positive integer"
    currency = data.get("currency", "EUR")
    if (
        type(currency) is not str
        or len(currency) != 3
        or any(c not in string.ascii_letters for c in currency)
    ):
        return "currency must be a 3-letter code such as EUR"
    return None
