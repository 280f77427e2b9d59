from . import portal
from . import payment_plan_portal
