"""Extension objects without an app, and a naming convention on the metadata."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Lesson 10: every constraint gets a predictable name. Alembic needs names to drop or alter a
# constraint later, and without a convention each database would invent its own.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base every model inherits from (through db.Model)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# No app here: create_app() calls db.init_app(app) for every app it builds.
db = SQLAlchemy(model_class=Base)

# Lesson 7: a CSRF token for every POST, PUT, PATCH and DELETE, bound in create_app() too.
csrf = CSRFProtect()

# Lesson 10: schema changes as migration scripts (Alembic), `flask db upgrade` to apply them.
migrate = Migrate()
