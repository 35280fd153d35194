"""The minimum wage by date: what a care worker's paid day is checked against."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import IdMixin


class WageRate(IdMixin, db.Model):
    """The national minimum (living) wage for workers 21 and over, from a date."""

    __tablename__ = "wage_rates"

    effective_from: Mapped[date] = mapped_column(unique=True)
    hourly_pence: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100), default="National Living Wage")
