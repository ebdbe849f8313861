"""The customer's phone page of a demo method, from the payment method's form.

``GET /pos_mobilepay/demo/phone/<api>`` (``v10`` or ``epayment``; a logged-in Point of Sale user):
makes sure the demo emulator of that API answers (Odoo starts it when it is not running yet, as
the first payment would) and redirects to its phone page, where one plays the customer. Only
while a MobilePay method of that API is in demo mode; otherwise 404. When the emulator cannot be
started, a plain page says why (503).
"""

import logging

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from .request_body import plain_response

_logger = logging.getLogger(__name__)

PHONE_ROUTE = "/pos_mobilepay/demo/phone"
# API -> (its environment field, the method that makes sure its emulator answers, returning its URL)
DEMO_APIS = {
    "v10": ("mobilepay_environment", "_mobilepay_ensure_emulator"),
    "epayment": ("vipps_environment", "_vipps_ensure_emulator"),
}


class MobilePayDemoPhone(http.Controller):
    @http.route(f"{PHONE_ROUTE}/<string:api>", type="http", auth="user", methods=["GET"])
    def demo_phone_page(self, api, **kwargs):
        if api not in DEMO_APIS or not request.env.user.has_group("point_of_sale.group_pos_user"):
            raise NotFound()
        environment_field, ensure = DEMO_APIS[api]
        apis = [api, False] if api == "v10" else [api]  # methods saved before there was a choice are v10
        method = request.env["pos.payment.method"].search(
            [
                ("use_payment_terminal", "=", "mobilepay"),
                ("mobilepay_api", "in", apis),
                (environment_field, "=", "demo"),
            ],
            limit=1,
        )
        if not method:
            raise NotFound()
        try:
            url = getattr(method.sudo(), ensure)()
        except UserError as error:
            _logger.info("MobilePay demo phone page (%s): %s", api, error)
            return plain_response(503, str(error))
        return request.redirect(f"{url}/phone", local=False)
