"""The profiles, identifier systems and code systems of the FHIR resources (documented in
docs/national-returns.md, "FHIR").

UK Core profiles (fhir.hl7.org.uk) exist for Patient, Appointment, Encounter,
EpisodeOfCare, CarePlan and Observation; there is none for Goal, which uses base R4.
Codes this system defines itself live under LOCAL: a deployment serving FHIR to others
publishes these code systems at its own address.
"""
UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
PROFILES = {name: UK_CORE + name for name in (
    "Patient", "Appointment", "Encounter", "EpisodeOfCare", "CarePlan", "Observation")}

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
CQC_LOCATION = "https://cqc.org.uk/location-id"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"

LOCAL = "https://homecare-ecm.invalid/fhir"
COUNCIL_REF = f"{LOCAL}/Id/council-ref"
SERVICE_TYPE = f"{LOCAL}/CodeSystem/package-type"  # standard, reablement, ...
OUTCOME_DOMAIN = f"{LOCAL}/CodeSystem/ascot-domain"  # the eight ASCOT domains
OBSERVATION_CODE = f"{LOCAL}/CodeSystem/observation"  # gas-score, scale-10, independence

# Barthel index (Collin and Wade's 0-20 version) as a SNOMED CT assessment scale.
BARTHEL = {"system": SNOMED, "code": "273302005", "display": "Barthel index"}
HOME_VISIT = {"system": ACT_CODE, "code": "HH", "display": "home health"}
