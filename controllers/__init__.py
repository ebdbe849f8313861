from . import demo_phone, epayment_webhook, v10_checkin
