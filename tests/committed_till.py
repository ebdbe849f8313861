"""A Vipps MobilePay register committed for the race tests (tests/concurrency.py): real, separate
connections only see committed rows, so the test makes them through a connection of its own and
removes them at the end (the test's own transaction, rolled back, never holds them).

tests/committed_rows.py has a lighter register (no session, no currency of its own) for tests that
drive the models directly; this one takes the POS's RPCs and the emulator's webhooks end to end.
"""

import uuid

from odoo import Command

from ..models.mobilepay_demo import EPAYMENT_URL_PARAMETER
from ..models.pos_mobilepay_transaction_processing import POLL_CRON_XMLID


class CommittedTill:
    """A register taking Vipps MobilePay ePayment payments in demo mode, committed for real connections:
    its payment method (sticker flow, webhooks delivered to this Odoo's HTTP server), a POS config in DKK
    (its own sales journal) and an open session, the demo pointed at the test's emulator.

    ``prepare()`` registers the webhooks and the sticker at the emulator (again, after its reset);
    ``clear()`` removes what payments left (rows, history, bus messages, poller triggers); ``remove()``
    removes the register too and puts the emulator URL back as it was.
    """

    def __init__(self, race, emulator_url, odoo_url):
        self.race = race
        self.emulator_url = emulator_url
        self.odoo_url = odoo_url
        self.tag = uuid.uuid4().hex[:8]
        self.saved_url = self.method_id = self.config_id = self.journal_id = self.session_id = None

    def create(self):
        with self.race.env() as env:
            parameters = env["ir.config_parameter"].sudo()
            self.saved_url = parameters.get_param(EPAYMENT_URL_PARAMETER)
            parameters.set_param(EPAYMENT_URL_PARAMETER, self.emulator_url)
            self.cron_id = env.ref(POLL_CRON_XMLID).id
            self.user_id = env.ref("base.user_admin").id  # a POS manager, in every database
            env.cr.execute("SELECT COALESCE(max(id), 0) FROM ir_cron_trigger")
            self.first_trigger = env.cr.fetchone()[0]
            company = env.user.company_id
            journal = env["account.journal"].create({
                "name": f"POS DKK {self.tag}", "code": f"K{self.tag[:4]}", "type": "general",
                "currency_id": env.ref("base.DKK").id, "company_id": company.id,
            })
            bank = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
            method = env["pos.payment.method"].create({
                "name": f"Vipps MobilePay {self.tag}", "payment_method_type": "terminal",
                "use_payment_terminal": "mobilepay", "mobilepay_api": "epayment", "vipps_environment": "demo",
                "vipps_flow": "sticker", "vipps_public_url": self.odoo_url, "journal_id": bank.id,
                "company_id": company.id,
            })
            config = env["pos.config"].create({
                "name": f"Till {self.tag}", "journal_id": journal.id, "company_id": company.id,
                "payment_method_ids": [Command.set(method.ids)],
            })
            self.journal_id, self.method_id, self.config_id = journal.id, method.id, config.id
            self.access_token = config.access_token
        with self.race.env(uid=self.user_id) as env:
            session = env["pos.session"].create({"config_id": self.config_id, "user_id": self.user_id})
            session.set_opening_control(0, None)
            self.session_id = session.id
        return self

    def prepare(self):
        """The webhooks and the till's sticker registered at the emulator, as the settings buttons do."""
        with self.race.env(uid=self.user_id) as env:
            method = env["pos.payment.method"].browse(self.method_id)
            for action in (method.action_vipps_register_webhooks, method.action_vipps_create_stickers):
                answer = action()
                if answer["params"]["type"] != "success":
                    raise AssertionError(f"{action.__name__}: {answer['params']}")
            registration = method.mobilepay_registration_ids
            self.registration_id, self.pos_id = registration.id, registration.pos_id
        return self

    def clear(self):
        config = self.config_id
        self.race.sql(
            """DELETE FROM pos_mobilepay_transaction_event WHERE transaction_id IN
                      (SELECT id FROM pos_mobilepay_transaction WHERE config_id = %(config)s);
               DELETE FROM pos_mobilepay_transaction WHERE config_id = %(config)s;
               UPDATE pos_mobilepay_registration SET checkin_token = NULL, checkin_at = NULL,
                      checkin_notified_at = NULL WHERE config_id = %(config)s;
               DELETE FROM bus_bus WHERE channel LIKE %(channel)s;
               DELETE FROM ir_cron_trigger WHERE cron_id = %(cron)s AND id > %(first)s""",
            {"config": config, "channel": f"%{self.access_token}%", "cron": self.cron_id,
             "first": self.first_trigger},
        )

    def remove(self):
        if self.config_id:
            self.clear()
            self.race.sql("DELETE FROM pos_mobilepay_registration WHERE config_id = %s", (self.config_id,))
        with self.race.env() as env:
            if self.session_id:
                env["pos.session"].browse(self.session_id).unlink()
            if self.config_id:
                config = env["pos.config"].browse(self.config_id)
                sequences = config.order_seq_id | config.order_backend_seq_id
                config.unlink()
                sequences.exists().unlink()
            if self.method_id:
                env["pos.payment.method"].browse(self.method_id).unlink()
            if self.journal_id:
                env["account.journal"].browse(self.journal_id).unlink()
            env["ir.config_parameter"].sudo().set_param(EPAYMENT_URL_PARAMETER, self.saved_url or False)
