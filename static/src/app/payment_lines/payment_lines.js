import { patch } from "@web/core/utils/patch";
import { PaymentScreenPaymentLines } from "@point_of_sale/app/screens/payment_screen/payment_lines/payment_lines";
import {
    INPUT,
    brandOf,
    demoText,
    displayState,
    isDemoLine,
    isMobilePayLine,
    isRunning,
    mobilePayData,
    showsQr,
    stateLabel,
    stateTone,
} from "@pos_mobilepay/app/mobilepay_state";

patch(PaymentScreenPaymentLines.prototype, {
    /**
     * What the payment line shows about its MobilePay transaction, or null (then Odoo's
     * terminal block shows, e.g. a refund line not sent yet).
     */
    mobilePayInfo(line) {
        const data = mobilePayData(line);
        if (!isMobilePayLine(line) || !data) {
            return null;
        }
        const status = line.getPaymentStatus();
        return {
            state: displayState(data),
            kind: data.kind || "payment",
            label: stateLabel(data, brandOf(line)),
            tone: stateTone(data),
            reason: data.is_final && !data.paid ? data.reason : "",
            running: isRunning(line),
            input: data.state === INPUT,
            // Only while the customer can still scan it: not once approved, captured or over.
            qr: showsQr(data),
            cancellable: !data.is_final,
            cancelling: Boolean(data.cancelling) || status === "waitingCancel",
            retry: data.is_final && !data.paid && status === "retry",
            paid: Boolean(data.paid),
            transaction: data.paid ? line.transaction_id || data.transaction_id : "",
            demo: isDemoLine(line),
            demoText: demoText(),
        };
    },

    openMobilePayDialog(line) {
        this.pos.mobilePayTransactions.openDialog(line.uuid);
    },
});
