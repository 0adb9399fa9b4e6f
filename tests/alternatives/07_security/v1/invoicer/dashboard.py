"""Lesson 7 alternative (v1): the dashboard's form as a FlaskForm with WTForms validators."""

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from . import audit
from .auth import login_required
from .extensions import db
from .models import Invoice

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
CUSTOMER_ERROR = "Customer is required (200 characters at most)."
AMOUNT_ERROR = "Amount must be a positive whole number of cents."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class InvoiceForm(FlaskForm):
    """A new invoice; validate_on_submit() also checks the CSRF token when CSRF is on."""

    customer = StringField(
        "Customer",
        filters=[_strip],
        validators=[
            DataRequired(CUSTOMER_ERROR),
            Length(max=200, message=CUSTOMER_ERROR),
        ],
    )
    amount_cents = IntegerField(
        "Amount in cents",
        validators=[
            DataRequired(AMOUNT_ERROR),
            NumberRange(min=1, message=AMOUNT_ERROR),
        ],
    )


@bp.get("/")
@login_required
def index():
    return page(InvoiceForm())


@bp.post("/invoices")
@login_required
def create_invoice():
    form = InvoiceForm()
    if not form.validate_on_submit():
        message = CUSTOMER_ERROR if "customer" in form.errors else AMOUNT_ERROR
        return page(form, message, 400)

    invoice = Invoice(customer=form.customer.data, amount_cents=form.amount_cents.data)
    db.session.add(invoice)
    db.session.commit()
    audit.record("created", invoice.id)
    return redirect(url_for("dashboard.index"), 303)  # reload does not post again


def page(form, error=None, status=200):
    query = db.select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id.desc())
    invoices = db.session.scalars(query).all()
    html = render_template("dashboard/index.html", invoices=invoices, form=form, error=error)
    return html, status
