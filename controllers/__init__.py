from . import epayment_webhook, v10_checkin
