"""Errors as the API answers them: JSON with the code, the name and a description."""

from werkzeug.exceptions import BadRequest


class ValidationError(BadRequest):
    """A 400 whose body also says what is wrong with each field."""

    def __init__(self, fields):
        super().__init__("the request body is not a valid invoice: see fields")
        self.fields = fields  # {"amount_cents": "required, a positive integer", ...}


def init_app(app):
    """Register this app's error handlers."""
    # TODO (Task 1): on the app (a Blueprint's handler never sees a routing 404 or 405),
    # register a handler for HTTPException that answers paths under /api with JSON
    # {"code": e.code, "name": e.name, "description": e.description} built on e.get_response(),
    # and a handler for InternalServerError whose body never contains the exception's text
    # (it logs the description of an abort(500), which Flask does not log).

    # TODO (Task 2): a ValidationError's fields go in its JSON body too.

    # TODO (Task 4): every JSON error body also gives the request ID (request_id.current()).
