from . import test_account_move
from . import test_demo_data
from . import test_followup_run
from . import test_invoice_followup_stage
from . import test_invoice_payment_plan
from . import test_payment_plan_portal
from . import test_portal
from . import test_communications
