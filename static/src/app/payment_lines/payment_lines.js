import { patch } from "@web/core/utils/patch";
import { PaymentScreenPaymentLines } from "@point_of_sale/app/screens/payment_screen/payment_lines/payment_lines";
import {
    INPUT,
    displayState,
    isMobilePayLine,
    isRunning,
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
            state: displayState(data),
            kind: data.kind || "payment",
            label: stateLabel(data),
            tone: stateTone(data),
            reason: data.is_final && !data.paid ? data.reason : "",
            running: isRunning(line),
            input: data.state === INPUT,
            qr: Boolean(data.qr_svg || data.qr_url),
            transaction: data.paid ? line.transaction_id || data.transaction_id : "",
        };
    },

    openMobilePayDialog(line) {
        this.pos.mobilePayTransactions.openDialog(line.uuid);
    },
});
