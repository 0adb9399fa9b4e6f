"""Background sending in a thread with its own app context, as in lesson 5."""

import threading

from flask import current_app

from . import audit
from .extensions import db
from .models import Invoice


def start_sending(invoice_id):
    """Send the invoice in a background thread; return at once."""
    # current_app is a proxy that only works in this thread, while this context is active:
    # hand the thread the real app object instead.
    app = current_app._get_current_object()
    thread = threading.Thread(target=send_invoice, args=(app, invoice_id), daemon=True)
    thread.start()
    return thread


def send_invoice(app, invoice_id):
    """Mark the invoice sent and record who sent it. Runs in the background thread."""
    # A new app context for this thread: its own `g`, its own database session and audit
    # connection, both closed by the teardown functions when the block ends.
    with app.app_context():
        sender = current_app.config["INVOICER_MAIL_FROM"]
        invoice = db.session.get(Invoice, invoice_id)
        # A real service would hand the e-mail to its mail server here.
        invoice.status = "sent"
        db.session.commit()
        audit.record("sent", invoice_id, sender)
