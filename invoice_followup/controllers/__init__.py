from . import portal
from . import payment_plan_portal
from . import payment_policy_portal
from . import sms_webhook
from . import whatsapp_webhook
