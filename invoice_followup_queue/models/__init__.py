from . import invoice_followup_run
from . import res_config_settings
