import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { PosPayment } from "@point_of_sale/app/models/pos_payment";
import {
    brandOf,
    demoText,
    isDemoLine,
    isMobilePayLine,
    mobilePayData,
} from "@pos_mobilepay/app/mobilepay_state";

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
        const brand = brandOf(this);
        const refund = this.getAmount() < 0;
        return {
            transaction_id: this.transaction_id || mobilePayData(this)?.transaction_id || "",
            refund,
            text: refund
                ? _t("Refunded with %(brand)s", { brand })
                : _t("Paid with %(brand)s", { brand }),
            // A demo method's payment moved no money: the receipt says so under the payment.
            demo: isDemoLine(this) ? demoText() : "",
        };
    },
});
