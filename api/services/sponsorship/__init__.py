"""CSR sponsorship: needs, proposals and their lifecycle, milestones, disbursements, consent,
and the sponsor's impact report.

Sponsorship lifecycle: proposed -> accepted or declined (the alumna) or withdrawn (the partner)
-> active (the partner starts it, or records the first disbursement) -> completed (the partner);
accepted or active ones are cancelled by either side with a reason. Progress of needs and
sponsorships counts confirmed disbursements only.
"""

from __future__ import annotations

from api.services.sponsorship.common import (
    DISBURSEMENT_SORTS,
    EVIDENCE_PDF_MAX,
    NEED_SORTS,
    OPEN_NEEDS,
    PROGRESS,
    RECIPIENT,
    RUNNING,
    SPONSOR,
    SPONSORSHIP_SORTS,
    S,
)
from api.services.sponsorship.consents import (
    active_consent,
    grant_consent,
    list_consents,
    revoke_consent,
)
from api.services.sponsorship.disbursements import (
    attach_evidence,
    confirm_disbursement,
    dispute_disbursement,
    evidence_key,
    evidence_keys,
    evidence_prefix,
    get_disbursement,
    list_disbursements,
    record_disbursement,
)
from api.services.sponsorship.funded import (
    FUNDED_SORTS,
    FundedBusiness,
    funded_businesses,
)
from api.services.sponsorship.impact import (
    WINDOW,
    BusinessImpact,
    ImpactReport,
    impact_report,
    report_csv_rows,
)
from api.services.sponsorship.needs import (
    browse_needs,
    close_need,
    create_cohort_need,
    create_event_need,
    create_group_need,
    create_need,
    get_need,
)
from api.services.sponsorship.sponsorships import (
    act,
    allowed_actions,
    get_sponsorship,
    is_recipient,
    is_sponsor,
    list_sponsorships,
    mark_milestone,
    propose,
    shown,
    verified_csr,
)

__all__ = [
    "DISBURSEMENT_SORTS",
    "EVIDENCE_PDF_MAX",
    "FUNDED_SORTS",
    "NEED_SORTS",
    "OPEN_NEEDS",
    "PROGRESS",
    "RECIPIENT",
    "RUNNING",
    "SPONSOR",
    "SPONSORSHIP_SORTS",
    "WINDOW",
    "BusinessImpact",
    "FundedBusiness",
    "ImpactReport",
    "S",
    "act",
    "active_consent",
    "allowed_actions",
    "attach_evidence",
    "browse_needs",
    "close_need",
    "confirm_disbursement",
    "create_cohort_need",
    "create_event_need",
    "create_group_need",
    "create_need",
    "dispute_disbursement",
    "evidence_key",
    "evidence_keys",
    "evidence_prefix",
    "funded_businesses",
    "get_disbursement",
    "get_need",
    "get_sponsorship",
    "grant_consent",
    "impact_report",
    "is_recipient",
    "is_sponsor",
    "list_consents",
    "list_disbursements",
    "list_sponsorships",
    "mark_milestone",
    "propose",
    "record_disbursement",
    "report_csv_rows",
    "revoke_consent",
    "shown",
    "verified_csr",
]
