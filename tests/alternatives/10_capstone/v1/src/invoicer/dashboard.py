"""The HTML dashboard Blueprint, as in lesson 7."""

from flask import Blueprint, redirect, render_template, request, url_for

from . import audit
from .auth import login_required
from .extensions import db
from .models import Invoice

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@login_required
def index():
    return page()


@bp.post("/invoices")
@login_required
def create_invoice():
    customer = request.form.get("customer", "").strip()
    amount = request.form.get("amount_cents", "").strip()
    if not customer or len(customer) > 200:
        return page("Customer is required (200 characters at most).", 400)
    if not amount.isdigit() or int(amount) <= 0:
        return page("Amount must be a positive whole number of cents.", 400)

    invoice = Invoice(customer=customer, amount_cents=int(amount))
    db.session.add(invoice)
    db.session.commit()
    audit.record("created", invoice.id)  # as the API does (lesson 5)
    # 303: the browser follows with a GET, so reloading the page does not post again.
    return redirect(url_for("dashboard.index"), 303)


def page(error=None, status=200):
    query = db.select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id.desc())
    invoices = db.session.scalars(query).all()
    return render_template("dashboard/index.html", invoices=invoices, error=error), status
