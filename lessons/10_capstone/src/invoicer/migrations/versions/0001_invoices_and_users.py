"""Invoices and dashboard users: the schema of lessons 3 to 9.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # TODO (Task 2): generate this migration with `flask --app invoicer db migrate`, copy its
    # operations here (or keep its file and delete this one), then read and correct them.
    pass


def downgrade():
    pass
