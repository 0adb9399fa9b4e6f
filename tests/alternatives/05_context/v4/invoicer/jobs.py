"""Lesson 5 alternative (v4): a Thread subclass that pushes and pops the app's context itself."""

import threading

from flask import current_app

from . import audit
from .extensions import db
from .models import Invoice


class SendInvoice(threading.Thread):
    """Marks one invoice sent, in the app it was created for."""

    def __init__(self, app, invoice_id):
        super().__init__(name=f"send-invoice-{invoice_id}", daemon=True)
        self.app = app
        self.invoice_id = invoice_id

    def run(self):
        context = self.app.app_context()
        context.push()
        try:
            invoice = db.session.get(Invoice, self.invoice_id)
            invoice.status = "sent"
            db.session.commit()
            audit.record("sent", self.invoice_id, self.app.config["INVOICER_MAIL_FROM"])
        finally:
            # pop() runs the teardowns: the job's audit connection and session are closed.
            context.pop()


def start_sending(invoice_id):
    job = SendInvoice(current_app._get_current_object(), invoice_id)
    job.start()
    return job
