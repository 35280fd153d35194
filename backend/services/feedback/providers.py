"""Which care providers feedback may be about: those the commissioner's organisation
holds contracts with (for a panel member, their own commissioner's)."""
import uuid

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Contract, FeedbackLink, Organisation, User


def providers_for_commissioner(commissioner_id: uuid.UUID) -> list[Organisation]:
    """Providers a commissioner organisation holds contracts with, by name."""
    return list(db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(
            sa.select(Contract.provider_id).where(Contract.funder_id == commissioner_id)))
        .order_by(Organisation.name)))


def providers_for(user: User) -> list[Organisation]:
    """Providers a panel member or commissioner may give or issue feedback about."""
    return providers_for_commissioner(user.organisation_id)


def link_providers(link: FeedbackLink) -> list[Organisation]:
    """The providers a link's holder may answer about."""
    if link.provider_id is not None:
        return [link.provider]
    return providers_for_commissioner(link.commissioner_id)
