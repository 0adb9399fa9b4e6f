"""Lesson 5 alternative (v5): a queue and one worker thread; each job carries its app."""

import queue
import threading

from flask import current_app

from . import audit
from .extensions import db
from .models import Invoice

_jobs = queue.Queue()
_worker = None
_worker_lock = threading.Lock()


def start_sending(invoice_id):
    """Queue the invoice for the worker, starting the worker the first time."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = threading.Thread(target=_work, name="invoice-sender", daemon=True)
            _worker.start()
    # The real app object: the proxy would mean nothing in the worker's thread.
    _jobs.put((current_app._get_current_object(), invoice_id))


def _work():
    while True:
        app, invoice_id = _jobs.get()
        try:
            send_invoice(app, invoice_id)
        except Exception:
            app.logger.exception("sending invoice %s failed", invoice_id)
        finally:
            _jobs.task_done()


def send_invoice(app, invoice_id):
    """One job, in a context of its own app: its teardown closes what the job opened."""
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        invoice.status = "sent"
        db.session.commit()
        audit.record("sent", invoice_id, current_app.config["INVOICER_MAIL_FROM"])
