"""The JSON API: a Blueprint whose routes all live under /api."""

# TODO (Task 2): create `bp = Blueprint("api", __name__, url_prefix="/api")` with the routes
# GET /invoices (newest first), POST /invoices (201 + Location) and GET /invoices/<int:invoice_id>
# (JSON 404 when missing); move /api/info here from create_app(); register bp in create_app().
