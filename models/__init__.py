from . import (
    pos_config,
    pos_mobilepay_demo_shop,
    pos_mobilepay_registration,
    pos_mobilepay_transaction,
    pos_mobilepay_transaction_event,
    pos_mobilepay_transaction_processing,
    pos_mobilepay_transaction_start,
    pos_order,
    pos_payment,
    pos_payment_method,
    pos_payment_method_pos_api,
    pos_session,
)
