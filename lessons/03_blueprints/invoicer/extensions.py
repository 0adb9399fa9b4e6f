"""Extension objects: created here without an app, bound to each app in create_app()."""

# TODO (Task 1): create the Flask-SQLAlchemy extension here as `db`, without an app
# (a `Base(DeclarativeBase)` class and `db = SQLAlchemy(model_class=Base)`). Then write the
# Invoice model in models.py, and in create_app() add the default SQLALCHEMY_DATABASE_URI
# (a file in the instance folder) and bind the extension with db.init_app(app).
