import { patch } from "@web/core/utils/patch";
import { PaymentScreenPaymentLines } from "@point_of_sale/app/screens/payment_screen/payment_lines/payment_lines";
import {
    isInFlight,
    isMobilePayLine,
    mobilePayData,
    stateLabel,
    stateTone,
} from "@pos_mobilepay/app/mobilepay_state";

patch(PaymentScreenPaymentLines.prototype, {
    /** What the payment line shows about its MobilePay transaction, or null. */
    mobilePayInfo(line) {
        const data = mobilePayData(line);
        if (!isMobilePayLine(line) || !data) {
            return null;
        }
        return {
            state: data.state,
            kind: data.kind || "payment",
            label: stateLabel(data),
            tone: stateTone(data),
            reason: data.is_final && !data.paid ? data.reason : "",
            running: isInFlight(line) && Boolean(data.reference),
            transaction: data.paid ? line.transaction_id || data.transaction_id : "",
        };
    },

    openMobilePayDialog(line) {
        line.payment_method_id.payment_terminal.openDialog(line.uuid);
    },
});
