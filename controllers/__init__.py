from . import main, vipps_webhook
