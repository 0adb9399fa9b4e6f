"""Lesson 5 alternative (v2): a ThreadPoolExecutor job handed the real app, in app.app_context()."""

from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from . import audit
from .extensions import db
from .models import Invoice

executor = ThreadPoolExecutor(max_workers=2)


def start_sending(invoice_id):
    executor.submit(send_invoice, current_app._get_current_object(), invoice_id)


def send_invoice(app, invoice_id):
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        invoice.status = "sent"
        db.session.commit()
        audit.record("sent", invoice_id, app.config["INVOICER_MAIL_FROM"])
