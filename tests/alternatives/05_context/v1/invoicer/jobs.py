"""Lesson 5 alternative (v1): a copy_current_request_context job, with its own app context."""

import threading

from flask import copy_current_request_context, current_app

from . import audit
from .extensions import db
from .models import Invoice


def start_sending(invoice_id):
    @copy_current_request_context
    def job():
        sender = current_app.config["INVOICER_MAIL_FROM"]
        invoice = db.session.get(Invoice, invoice_id)
        invoice.status = "sent"
        db.session.commit()
        audit.record("sent", invoice_id, sender)

    threading.Thread(target=job).start()
