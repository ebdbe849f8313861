from odoo import Command, api, models

DEMO_SHOP_NAME = "MobilePay Shop (DKK)"  # PoS API v10 on its emulator
EPAYMENT_DEMO_SHOP_NAME = "Vipps MobilePay Shop (DKK)"  # ePayment on its emulator


class PosConfig(models.Model):
    _inherit = "pos.config"

    @api.model
    def _mobilepay_create_demo_shop(self):
        """Demo data: two Danish-kroner registers taking MobilePay in demo mode, one on the PoS API v10
        emulator, one on the Vipps MobilePay ePayment emulator (one-time QR on screen).

        MobilePay takes DKK and EUR, so the registers get their own DKK journals and pricelist
        in the demo company. Nothing is created twice.
        """
        company = self.env.ref("base.main_company")
        if self.search_count([("name", "=", DEMO_SHOP_NAME), ("company_id", "=", company.id)]):
            return False
        dkk = self.env.ref("base.DKK")
        dkk.active = True

        def journal(name, kind, code):
            return self.env["account.journal"].create(
                {"name": name, "type": kind, "code": code, "company_id": company.id, "currency_id": dkk.id}
            )

        sale = journal("MobilePay Shop Sales", "sale", "MPSHS")
        invoices = journal("MobilePay Shop Invoices", "sale", "MPSHI")
        cash = journal("MobilePay Shop Cash", "cash", "MPSHC")
        bank = journal("MobilePay", "bank", "MPSHB")
        pricelist = self.env["product.pricelist"].create(
            {"name": "Danish kroner", "currency_id": dkk.id, "company_id": company.id}
        )
        Method = self.env["pos.payment.method"]
        cash_method = Method.create({"name": "Cash (DKK)", "journal_id": cash.id, "company_id": company.id})
        mobilepay = Method.create(
            {
                "name": "MobilePay",
                "journal_id": bank.id,
                "company_id": company.id,
                "payment_method_type": "terminal",
                "use_payment_terminal": "mobilepay",
                "mobilepay_api": "v10",
                "mobilepay_environment": "demo",
            }
        )
        vipps = Method.create(
            {
                "name": "Vipps MobilePay",
                "journal_id": journal("Vipps MobilePay", "bank", "MPSHV").id,
                "company_id": company.id,
                "payment_method_type": "terminal",
                "use_payment_terminal": "mobilepay",
                "mobilepay_api": "epayment",
                "vipps_environment": "demo",
                "vipps_flow": "qr_on_screen",
            }
        )
        cash_epayment = Method.create(
            {"name": "Cash (DKK, Vipps MobilePay Shop)", "journal_id": journal("Vipps Shop Cash", "cash", "MPSVC").id,
             "company_id": company.id}
        )

        def shop(name, methods):
            return self.create(
                {
                    "name": name,
                    "company_id": company.id,
                    "journal_id": sale.id,
                    "invoice_journal_id": invoices.id,
                    "use_pricelist": True,
                    "pricelist_id": pricelist.id,
                    "available_pricelist_ids": [Command.set(pricelist.ids)],
                    "payment_method_ids": [Command.set(methods.ids)],
                }
            )

        shop(EPAYMENT_DEMO_SHOP_NAME, cash_epayment | vipps)
        return shop(DEMO_SHOP_NAME, cash_method | mobilepay)
