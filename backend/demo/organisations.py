"""Step: the framework's lots, the two funders, the providers with their history, contracts."""
from datetime import date, timedelta

from backend.demo.county import DEMO_COUNCIL, DEMO_NHS, ContractFacts, DemoCounty, ProviderFacts
from backend.demo.places import AREAS, PROVIDER_FIRST, PROVIDER_SUFFIX
from backend.models import (
    BillingBasis, FrameworkStatus, OrganisationKind, Rounding, UnverifiedVisits, User,
)
from backend.services.administration import contracts, organisations
from backend.services.administration.install import first_install
from backend.services.dates import clock
from backend.services.reference.framework import change_framework_status

# Money rules from the seed reports (DOMAIN.md); integer pence. Council contracts cycle
# through these, so every rule shape appears in the demo.
COUNCIL_TERMS = (
    dict(name="call-length rates (Cheshire East 2017)", billing_basis=BillingBasis.PLANNED,
         hourly_rate_pence=1893, call_rates={30: 820, 45: 1065, 60: 1420}),
    # Visits not verified in the home are held until the provider's manager confirms them
    # under this council contract; the others (and the NHS's) pay them, so the demo shows both.
    dict(name="floor and ceiling (Cambridgeshire 2017)", hourly_rate_pence=1550,
         floor_rate_pence=1417, ceiling_rate_pence=1622, rounding_unit_min=15,
         rounding=Rounding.NEAREST, unverified_visits=UnverifiedVisits.HELD),
    dict(name="UKHCA minimum 2025/26, complete 15-minute units", hourly_rate_pence=3214,
         billing_basis=BillingBasis.ACTUAL, rounding_unit_min=15, rounding=Rounding.DOWN,
         complete_units_only=True),
    dict(name="hourly (Leeds 2014)", hourly_rate_pence=1350, rounding_unit_min=5,
         rounding=Rounding.UP, minimum_billable_min=15),
)
NHS_TERMS = dict(name="continuing healthcare", hourly_rate_pence=2800,
                 billing_basis=BillingBasis.ACTUAL, rounding_unit_min=5,
                 rounding=Rounding.NEAREST)
FRAMEWORK_START = date(2023, 4, 1)


def add_organisations(county: DemoCounty) -> None:
    """Lots, the council and the ICB, providers (some suspended) and their contracts.

    Set up as a real council sets itself up: the install's first organisation and
    administrator, then the administration services (each record audited).
    """
    rng = county.rng("organisations")
    # ods_code: the council's LA code in its Client Level Data return (a made-up one).
    council, admin, _ = first_install(DEMO_COUNCIL, OrganisationKind.COUNCIL, "admin",
                                      "System Administrator", "admin@demo.example",
                                      ods_code="E10000999")
    organisations.update_organisation(admin, council.id,
                                      email="homecare.commissioning@northshire.example")
    county.users["admin"] = admin.id
    areas = {name: organisations.create_area(admin, name).id for name in AREAS}
    nhs = organisations.create_organisation(admin, DEMO_NHS, OrganisationKind.NHS,
                                            email="chc.team@northshire-icb.example")
    names = _provider_names(rng, county.sizes.providers)
    for index, name in enumerate(names):
        suspended = index % 13 == 2
        served = _areas_served(rng, index)
        cqc_id = f"1-{rng.randrange(10**9, 10**10)}"
        with clock.pinned(county.at(FRAMEWORK_START, 10)):  # when it joined the framework
            provider = organisations.create_organisation(
                admin, name, OrganisationKind.PROVIDER, cqc_id=cqc_id,
                email=f"office@{name.lower().replace(' ', '-')}.example",
                phone=f"01632 960{index:03d}")  # Ofcom's numbers kept for drama: never a line
        organisations.set_provider_areas(admin, provider.id, [areas[a] for a in served])
        quality = 0.9 if suspended else 0.2 if index == 0 else rng.uniform(0.05, 0.55)
        # The first provider is the big local one; suspended ones have shrunk.
        weight = 3.0 if index == 0 else 0.8 if suspended else rng.uniform(1.0, 2.0)
        facts = ProviderFacts(id=provider.id, name=name, areas=served, suspended=suspended,
                              quality=quality, weight=weight)
        facts.contracts["council"] = _contract(admin, council, provider, COUNCIL_TERMS[index % 4])
        if index % 2 == 0:
            facts.contracts["nhs"] = _contract(admin, nhs, provider, NHS_TERMS)
        county.providers.append(facts)
    county.council_id, county.nhs_id = council.id, nhs.id
    county.area_ids = areas
    county.count("organisations", 2 + len(names))


def _provider_names(rng, count: int) -> list[str]:
    pairs = [(first, suffix) for first in PROVIDER_FIRST for suffix in PROVIDER_SUFFIX]
    rng.shuffle(pairs)
    seen, distinct, rest = set(), [], []
    for first, suffix in pairs:  # distinct first words first, so names are easy to tell apart
        (rest if first in seen else distinct).append(f"{first} {suffix}")
        seen.add(first)
    if count > len(pairs):
        raise ValueError(f"At most {len(pairs)} demo providers can be named.")
    return (distinct + rest)[:count]


def _areas_served(rng, index: int) -> tuple[str, ...]:
    if index == 0:
        return AREAS[0], AREAS[1]
    primary = AREAS[(index - 1) % len(AREAS)]
    if rng.random() < 0.4:
        return primary, rng.choice([a for a in AREAS if a != primary])
    return (primary,)


def framework_history(county: DemoCounty, commissioner: User) -> None:
    """Every provider joined the framework (when it was set up); the council's commissioner
    suspended some since (one was reinstated), each change as of its own day."""
    for index, provider in enumerate(county.providers):
        changes = []
        if index % 13 == 3:
            changes += [
                (county.today - timedelta(days=400), FrameworkStatus.SUSPENDED,
                 "CQC rated the service Requires Improvement (safe domain); no new packages."),
                (county.today - timedelta(days=300), FrameworkStatus.ACCREDITED,
                 "Action plan completed and re-inspected; reinstated."),
            ]
        if provider.suspended:
            changes.append((county.today - timedelta(days=20), FrameworkStatus.SUSPENDED,
                            "Missed and late calls above contract thresholds for three months; "
                            "embargo on new packages pending quality review."))
        for day, status, reason in changes:
            with clock.pinned(county.at(day, 10)):
                change_framework_status(commissioner, provider.id, status, reason)


def _contract(admin: User, funder, provider, terms: dict) -> ContractFacts:
    """A contract with the default tolerances for each priority, and its call-length rates."""
    terms = dict(terms)
    label, rates = terms.pop("name"), terms.pop("call_rates", {})
    contract = contracts.create_contract(admin, funder.id, provider.id,
                                         f"{funder.name} - {provider.name} ({label})",
                                         FRAMEWORK_START, **terms)
    if rates:
        contracts.set_call_rates(admin, contract.id, rates)
    return ContractFacts(id=contract.id, funder_id=funder.id,
                         geofence_radius_m=contract.geofence_radius_m,
                         accuracy_allowance_max_m=contract.accuracy_allowance_max_m,
                         name=contract.name)
