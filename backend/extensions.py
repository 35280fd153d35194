"""Bare extension singletons, initialised in create_app."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from backend.errors import ErrorSchema


class Base(DeclarativeBase):
    """Declarative base for all models."""


class ServiceApi(Api):
    """flask-smorest's Api, documenting error answers in the service's own shape."""

    ERROR_SCHEMA = ErrorSchema


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = ServiceApi()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
