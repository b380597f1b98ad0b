"""Flask extensions, created unbound and bound in create_app()."""
from flask import current_app
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from webapp.htmx import htmx


class Base(DeclarativeBase):
    pass


class AppSettings:
    """The current app's configuration, read-only, for services (which never import flask)."""

    def __getitem__(self, name: str):
        return current_app.config[name]

    def get(self, name: str, default=None):
        return current_app.config.get(name, default)


db = SQLAlchemy(model_class=Base)
settings = AppSettings()
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()

__all__ = ["db", "migrate", "login_manager", "csrf", "htmx", "settings"]
