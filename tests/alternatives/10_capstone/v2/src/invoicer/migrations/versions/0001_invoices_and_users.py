"""Initial migration written by hand: explicit constraint names, downgrade in a loop."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Created in this order, dropped in the reverse one.
TABLES = ("invoice", "user_account")


def upgrade():
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer", sa.String(200), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        # An instant: timestamptz on PostgreSQL; the models' type converts to UTC.
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # op.f(): the name is final. A plain string would go through the models' naming
        # convention, "ck_%(table_name)s_%(constraint_name)s", and be prefixed a second time.
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_invoice_amount_cents_positive")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.UniqueConstraint("username", name="uq_user_account_username"),
    )


def downgrade():
    for table in reversed(TABLES):
        op.drop_table(table)
