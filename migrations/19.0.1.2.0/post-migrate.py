"""19.0.1.2.0: the version headers MobilePay and Vipps MobilePay receive follow the Odoo series.

Methods made on 18.0 stored 18.0's defaults (Vipps-System-Version "18.0", Vipps-System-Plugin-
Version "18.0.1.2.0" or older, v10 client system version "18.0.1"). Where a method still has
such a default, it now says 19.0; a value the merchant typed (a certified version, say) stays.
"""

UPDATES = (
    ("vipps_system_version", "= '18.0'", "19.0"),
    ("vipps_plugin_version", "LIKE '18.0.%%'", "19.0.1.2.0"),
    ("mobilepay_system_version", "= '18.0.1'", "19.0.1"),
)


def migrate(cr, version):
    if not version:
        return
    for column, old, new in UPDATES:
        cr.execute(
            f"UPDATE pos_payment_method SET {column} = %s "  # noqa: S608 - our own column names
            f"WHERE use_payment_terminal = 'mobilepay' AND {column} {old}",
            (new,),
        )
