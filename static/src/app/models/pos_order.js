import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { formatCurrency } from "@web/core/currency";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { CustomerDisplayPosAdapter } from "@point_of_sale/app/customer_display/customer_display_adapter";
import {
    AWAITING_CHECKIN,
    brandOf,
    demoText,
    displayState,
    isDemoLine,
    isMobilePayLine,
    mobilePayData,
    qrImage,
    showsQr,
} from "@pos_mobilepay/app/mobilepay_state";

const APP_STATES = ["checked_in", "waiting_for_approval"];

/**
 * What the customer reads on the display, in the customer's words (never the cashier's):
 * what to do now, or that the payment is being completed. Empty when there is nothing for
 * the customer to do (the cashier types the number, the payment is over).
 */
function customerMessage(data, brand) {
    const state = displayState(data);
    if (showsQr(data) && !APP_STATES.includes(state)) {
        return _t("Scan the QR code with the %(brand)s app to pay", { brand });
    }
    if (state === AWAITING_CHECKIN) {
        return _t("Scan the %(brand)s sticker at the till to pay", { brand });
    }
    if (APP_STATES.includes(state)) {
        return _t("Approve the payment in your %(brand)s app", { brand });
    }
    if (state === "reserved") {
        return _t("Approved. Completing your payment…");
    }
    return "";
}

patch(PosOrder.prototype, {
    /**
     * What the customer display shows while the customer has to act: the QR code to scan
     * (the register's, or the payment's one-time QR) or what to do in the app, with the
     * amount; a demo method's payment says that no money moves.
     */
    getMobilePayDisplayData() {
        for (const line of this.payment_ids) {
            const data = mobilePayData(line);
            if (!isMobilePayLine(line) || !data || data.kind === "refund" || data.is_final) {
                continue;
            }
            const brand = brandOf(line);
            const message = customerMessage(data, brand);
            if (!message) {
                continue;
            }
            const state = displayState(data);
            return {
                brand,
                qrImage: showsQr(data) && !APP_STATES.includes(state) ? qrImage(data) : false,
                state,
                label: message,
                amount: formatCurrency(data.amount ?? Math.abs(line.getAmount()), this.currency.id),
                demo: isDemoLine(line) ? demoText() : "",
            };
        }
        return false;
    },
});

patch(CustomerDisplayPosAdapter.prototype, {
    /**
     * The customer display shows our own overlay (customer_display.xml): the QR with the
     * customer's words, or what to do in the app. Odoo's QR dialog of the display stays for
     * Odoo's own QR payments.
     */
    formatOrderData(order) {
        super.formatOrderData(...arguments);
        this.data.mobilepay = order.getMobilePayDisplayData();
        // Sent as null (not left out): the display then closes a QR dialog it still shows.
        this.data.qrPaymentData ||= null;
    },
});
