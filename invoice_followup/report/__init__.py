from . import report_followup_letter
from . import report_partner_statement
from . import report_prelegal_file
from . import report_worklist_statement
