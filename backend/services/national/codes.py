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
