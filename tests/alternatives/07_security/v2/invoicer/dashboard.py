"""Lesson 7 alternative (v2): one before_request guard protects every view of the blueprint."""

from flask import Blueprint, redirect, render_template, request, url_for

from . import audit
from .auth import require_login
from .extensions import db
from .models import Invoice

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
# Every page and form of the dashboard needs a login: one hook instead of a decorator each.
bp.before_request(require_login)


@bp.get("/")
def index():
    return page()


@bp.post("/invoices")
def create_invoice():
    customer = request.form.get("customer", "").strip()
    amount = request.form.get("amount_cents", "").strip()
    if not 0 < len(customer) <= 200:
        return page("Customer is required (200 characters at most).", 400)
    if not (amount.isascii() and amount.isdigit()) or int(amount) < 1:
        return page("Amount must be a positive whole number of cents.", 400)

    invoice = Invoice(customer=customer, amount_cents=int(amount))
    db.session.add(invoice)
    db.session.commit()
    audit.record("created", invoice.id)
    return redirect(url_for(".index"), code=303)  # the browser follows with a GET


def page(error=None, status=200):
    newest_first = db.select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id.desc())
    invoices = db.session.scalars(newest_first).all()
    return render_template("dashboard/index.html", invoices=invoices, error=error), status
