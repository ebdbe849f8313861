from . import (
    test_epayment_flows,
    test_epayment_settings,
    test_epayment_webhooks,
    test_frontend_tours,
    test_money_safety,
    test_notification,
    test_payment_flow,
    test_poller,
    test_recovery,
    test_refunds,
    test_security,
    test_settings,
)
