"""Hospital stays: what ASCOF 2D links reablement to (councils take them from SUS)."""
import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin


class HospitalStay(IdMixin, CreatedMixin, db.Model):
    """One inpatient stay of a person: admission, discharge, and whether it was an emergency.

    ASCOF 2D (from 2024-25) counts discharges of people aged 65+ into reablement and
    whether they stay out of hospital for 12 weeks; an emergency admission in those
    weeks is a readmission. A stay still in progress has no discharge date.
    """

    __tablename__ = "hospital_stays"
    __table_args__ = (sa.Index("ix_hospital_stays_discharged", "discharged_on"),)

    service_user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("service_users.id"), index=True)
    admitted_on: Mapped[date]
    discharged_on: Mapped[date | None]
    # An emergency (non-elective) admission: what counts as a readmission for ASCOF 2D.
    emergency: Mapped[bool] = mapped_column(default=True)
