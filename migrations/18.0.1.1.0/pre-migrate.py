"""18.0.1.1.0 adds Vipps MobilePay ePayment as the default API of new MobilePay methods.

Methods that existed before keep talking to the PoS API v10, as they were set up to."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("ALTER TABLE pos_payment_method ADD COLUMN IF NOT EXISTS mobilepay_api varchar")
    cr.execute(
        "UPDATE pos_payment_method SET mobilepay_api = 'v10' "
        "WHERE use_payment_terminal = 'mobilepay' AND mobilepay_api IS NULL"
    )
