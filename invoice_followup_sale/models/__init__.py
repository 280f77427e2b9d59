from . import invoice_followup_credit_hold
from . import res_partner
