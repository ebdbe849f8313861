import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { formatCurrency } from "@web/core/currency";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { CustomerDisplayPosAdapter } from "@point_of_sale/app/customer_display/customer_display_adapter";
import {
    AWAITING_CHECKIN,
    QR_ON_SCREEN,
    displayState,
    isMobilePayLine,
    mobilePayData,
    qrImage,
    stateLabel,
} from "@pos_mobilepay/app/mobilepay_state";

const QR_STATES = ["waiting_for_customer", "checked_in", "waiting_for_approval"];
const APP_STATES = ["checked_in", "waiting_for_approval"];

/** What the customer reads on the display while a payment waits for them (not a QR). */
function customerMessage(data) {
    const state = displayState(data);
    if (state === AWAITING_CHECKIN) {
        return _t("Scan the MobilePay sticker at the till to pay");
    }
    if (APP_STATES.includes(state)) {
        return _t("Approve the payment in the MobilePay app");
    }
    return "";
}

patch(PosOrder.prototype, {
    /**
     * What the customer display shows while the customer has to act: the QR code
     * to scan (the register's, or the payment's one-time QR), or what to do in the app.
     */
    getMobilePayDisplayData() {
        for (const line of this.payment_ids) {
            const data = mobilePayData(line);
            if (!isMobilePayLine(line) || !data || data.kind === "refund" || data.is_final) {
                continue;
            }
            const amount = formatCurrency(
                data.amount ?? Math.abs(line.getAmount()),
                this.currency.id
            );
            const flow = data.flow || QR_ON_SCREEN;
            if (flow === QR_ON_SCREEN && qrImage(data) && QR_STATES.includes(data.state)) {
                return {
                    name: line.payment_method_id.name,
                    qrImage: qrImage(data),
                    state: data.state,
                    label: stateLabel(data),
                    amount,
                };
            }
            const message = flow === QR_ON_SCREEN ? "" : customerMessage(data);
            if (message) {
                return {
                    name: line.payment_method_id.name,
                    qrImage: false,
                    state: displayState(data),
                    label: message,
                    amount,
                };
            }
        }
        return false;
    },
});

patch(CustomerDisplayPosAdapter.prototype, {
    /**
     * The payment's QR goes to the customer display as any QR payment's does (its
     * QR dialog); what the customer does in the app is our own overlay there.
     */
    formatOrderData(order) {
        super.formatOrderData(...arguments);
        const mobilepay = order.getMobilePayDisplayData();
        if (mobilepay?.qrImage) {
            this.data.qrPaymentData = {
                name: mobilepay.name,
                amount: mobilepay.amount,
                qrCode: mobilepay.qrImage,
            };
        } else {
            // Sent as null (not left out): the display then closes a QR it still shows.
            this.data.qrPaymentData ||= null;
        }
        this.data.mobilepay = mobilepay && !mobilepay.qrImage ? mobilepay : false;
    },
});
