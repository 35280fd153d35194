"""Code lists of the national returns, as the Client Level Data (CLD) specification spells them.

Accommodation status: the list DHSC's ASCOF 2E code groups into settled (1) and not
settled (0) (DataS-DHSC/ASC-CLD-LA-Dashboard, ASCOF_measures/
Create_ASCOF_2E_2425_Onwards.sql, #REF_Accommodation_Status; the Release 2 values
mapped to Release 1). A person's `accommodation_status` holds one of these values.
"""

SETTLED_ACCOMMODATION = (
    "Owner occupier or shared ownership scheme",
    "Tenant: Local authority or other social housing provider",
    "Tenant: Private landlord",
    "Settled mainstream housing with family or friends",
    "Supported accommodation, supported lodgings or supported group home",
    "Shared Lives scheme",
    "Approved premises for offenders released from prison or under probation supervision",
    "Sheltered housing, extra care housing or other sheltered housing",
    "Mobile accommodation for Gypsy, Roma and Traveller communities",
)
NOT_SETTLED_ACCOMMODATION = (
    "Rough sleeper or squatting",
    "Night shelter, emergency hostel or direct access hostel",
    "Refuge",
    "Placed in temporary accommodation by the council (inc. homelessness resettlement)",
    "Staying with family or friends as a short term guest",
    "Acute hospital or long term healthcare residential facility",
    "Registered care home",
    "Registered nursing home",
    "Prison, young offenders institution or detention centre",
    "Other temporary accommodation",
)
UNKNOWN = "Unknown"
ACCOMMODATION_STATUSES = (*SETTLED_ACCOMMODATION, *NOT_SETTLED_ACCOMMODATION, UNKNOWN)

# Client Level Data, Release 2: the values this system sends, from DHSC's processing code
# (Main_tables/docs/methodology/5-data-cleaning.md lists Service_Type and Event_Outcome in
# full; the other lists hold the values its ASCOF and cost code match). A value outside
# its list is reported by the CLD validation as an unknown code.
EVENT_TYPES = ("Request", "Assessment", "Service", "Review")
CLIENT_TYPES = ("Service user", "Unpaid carer")
SERVICE_TYPES = (
    "Long term support: Community", "Long term support: Nursing care",
    "Long term support: Prison", "Long term support: Residential care",
    "Short term support: Ongoing low level", "Short term support: Other short term",
    "Short term support: ST-Max", "Unpaid carer support: Direct to unpaid carer",
    "Unpaid carer support: Support involving the person cared-for",
)
SERVICE_COMPONENTS = (
    "Home support or domiciliary care", "Reablement", "Shared Lives",
    "Community supported living", "Extra care housing", "Direct payment", "Equipment",
    "Short term residential care", "Short term nursing care",
)
DELIVERY_MECHANISMS = ("Direct payment", "CASSR managed personal budget",
                       "CASSR commissioned support")
EVENT_OUTCOMES = (
    "Admitted to hospital", "Continuation of support or services", "NFA: Deceased",
    "NFA: Information and advice or signposting", "NFA: No services offered for other reason",
    "NFA: Other", "NFA: Referral to NHS services or NHS funded social care",
    "NFA: Referral to other service within the local authority",
    "NFA: Responsibility moved to another local authority",
    "NFA: Self-funded client or under 12wk disregard", "NFA: Support declined",
    "NFA: Support ended as planned", "NFA: Support ended for other reason",
    "Progress to assessment, review or reassessment", "Progress to reablement/ST-Max",
    "Progress to support planning or services",
)
CLIENT_FUNDING_STATUSES = ("Fully social care funded", "Joint client and social care funded",
                           "Fully client funded", "Unknown")
# DHSC's cost code reads the frequency by its first word (week..., fortnight..., 4-week...,
# month..., quarter..., annual..., one-off) and names hourly, daily and per-session costs.
COST_FREQUENCIES = ("Hourly", "Daily", "Per session", "Weekly", "Fortnightly", "4-weekly",
                    "Monthly", "Quarterly", "Annually", "One-off")
