import { patch } from "@web/core/utils/patch";
import { PosPayment } from "@point_of_sale/app/models/pos_payment";
import { isMobilePayLine, mobilePayData } from "@pos_mobilepay/app/mobilepay_state";

patch(PosPayment.prototype, {
    setup() {
        super.setup(...arguments);
        // Kept in IndexedDB with the line: the MobilePay reference survives a reload.
        if (typeof this.uiState !== "object" || this.uiState === null) {
            this.uiState = {};
        }
    },

    /** What the receipt says about a MobilePay payment or refund, or null. */
    get mobilePayReceipt() {
        if (!isMobilePayLine(this) || !this.isDone()) {
            return null;
        }
        return {
            transaction_id: this.transaction_id || mobilePayData(this)?.transaction_id || "",
            refund: this.getAmount() < 0,
        };
    },
});
