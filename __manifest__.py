# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "POS MobilePay",
    "version": "19.0.1.2.0",
    "category": "Sales/Point of Sale",
    "summary": "Vipps MobilePay payments and refunds in the Point of Sale (ePayment; PoS API v10), with emulators",
    "author": "pos_mobilepay contributors",
    "website": "https://github.com/pos-mobilepay/pos_mobilepay",
    "license": "LGPL-3",
    "depends": ["point_of_sale"],
    "external_dependencies": {"python": ["pydantic", "qrcode", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/pos_mobilepay_security.xml",
        "data/ir_cron_data.xml",
        "views/pos_payment_method_views.xml",
        "views/pos_mobilepay_registration_views.xml",
        "views/pos_mobilepay_transaction_views.xml",
        "views/pos_session_views.xml",
        "views/product_age_limit_views.xml",
        "views/pos_mobilepay_menus.xml",
    ],
    "demo": [
        "data/pos_mobilepay_demo.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": [
            "pos_mobilepay/static/src/app/**/*",
        ],
        "point_of_sale.customer_display_assets": [
            "pos_mobilepay/static/src/customer_display/**/*",
        ],
        "web.assets_tests": [
            "pos_mobilepay/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
