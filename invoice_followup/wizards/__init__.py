from . import invoice_followup_pause_wizard
from . import invoice_followup_preview_wizard
from . import invoice_followup_call_wizard
from . import invoice_payment_plan_wizard
from . import invoice_followup_waive_wizard
