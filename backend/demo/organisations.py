"""Step: the framework's lots, the two funders, the providers with their history, contracts."""
from datetime import date, timedelta

from backend.demo.county import DEMO_COUNCIL, DEMO_NHS, ContractFacts, DemoCounty, ProviderFacts
from backend.demo.places import AREAS, PROVIDER_FIRST, PROVIDER_SUFFIX
from backend.extensions import db
from backend.models import (
    DEFAULT_RULES,
    Area,
    BillingBasis,
    CallRate,
    Contract,
    FrameworkStatus,
    FrameworkStatusChange,
    MonitoringRule,
    Organisation,
    OrganisationKind,
    Rounding,
    UnverifiedVisits,
)

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
    """Lots, the council and the ICB, providers (some suspended) and their contracts."""
    rng = county.rng("organisations")
    areas = {name: Area(name=name) for name in AREAS}
    # ods_code: the council's LA code in its Client Level Data return (a made-up one).
    council = Organisation(kind=OrganisationKind.COUNCIL, name=DEMO_COUNCIL, ods_code="E10000999",
                           email="homecare.commissioning@northshire.example")
    nhs = Organisation(kind=OrganisationKind.NHS, name=DEMO_NHS,
                       email="chc.team@northshire-icb.example")
    db.session.add_all([*areas.values(), council, nhs])
    names = _provider_names(rng, county.sizes.providers)
    for index, name in enumerate(names):
        suspended = index % 13 == 2
        served = _areas_served(rng, index)
        provider = Organisation(
            kind=OrganisationKind.PROVIDER, name=name, cqc_id=f"1-{rng.randrange(10**9, 10**10)}",
            framework_status=FrameworkStatus.SUSPENDED if suspended else FrameworkStatus.ACCREDITED,
            email=f"office@{name.lower().replace(' ', '-')}.example",
            phone=f"01632 960{index:03d}",  # Ofcom's numbers kept for drama: never a real line
            areas=[areas[a] for a in served])
        db.session.add(provider)
        db.session.flush()
        _history(county, provider, index, suspended)
        quality = 0.9 if suspended else 0.2 if index == 0 else rng.uniform(0.05, 0.55)
        # The first provider is the big local one; suspended ones have shrunk.
        weight = 3.0 if index == 0 else 0.8 if suspended else rng.uniform(1.0, 2.0)
        facts = ProviderFacts(id=provider.id, name=name, areas=served, suspended=suspended,
                              quality=quality, weight=weight)
        facts.contracts["council"] = _contract(council, provider, COUNCIL_TERMS[index % 4])
        if index % 2 == 0:
            facts.contracts["nhs"] = _contract(nhs, provider, NHS_TERMS)
        county.providers.append(facts)
    db.session.flush()
    county.council_id, county.nhs_id = council.id, nhs.id
    county.area_ids = {name: area.id for name, area in areas.items()}
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


def _history(county: DemoCounty, provider: Organisation, index: int, suspended: bool) -> None:
    """Every provider joined the framework; some were suspended (one reinstated)."""
    at = county.at
    changes = [(FRAMEWORK_START, FrameworkStatus.ACCREDITED, "Joined the framework.")]
    if index % 13 == 3:
        changes += [
            (county.today - timedelta(days=400), FrameworkStatus.SUSPENDED,
             "CQC rated the service Requires Improvement (safe domain); no new packages."),
            (county.today - timedelta(days=300), FrameworkStatus.ACCREDITED,
             "Action plan completed and re-inspected; reinstated."),
        ]
    if suspended:
        changes.append((county.today - timedelta(days=20), FrameworkStatus.SUSPENDED,
                        "Missed and late calls above contract thresholds for three months; "
                        "embargo on new packages pending quality review."))
    for day, status, reason in changes:
        db.session.add(FrameworkStatusChange(provider_id=provider.id, status=status,
                                             reason=reason, changed_at=at(day, 10)))


def _contract(funder: Organisation, provider: Organisation, terms: dict) -> ContractFacts:
    terms = dict(terms)
    label, rates = terms.pop("name"), terms.pop("call_rates", {})
    contract = Contract(name=f"{funder.name} - {provider.name} ({label})", funder_id=funder.id,
                        provider_id=provider.id, starts_on=FRAMEWORK_START, **terms)
    for priority, values in DEFAULT_RULES.items():
        contract.rules.append(MonitoringRule(priority=priority, **values))
    for minutes, pence in rates.items():
        contract.call_rates.append(CallRate(duration_min=minutes, amount_pence=pence))
    db.session.add(contract)
    db.session.flush()
    return ContractFacts(id=contract.id, funder_id=funder.id,
                         geofence_radius_m=contract.geofence_radius_m,
                         accuracy_allowance_max_m=contract.accuracy_allowance_max_m)
