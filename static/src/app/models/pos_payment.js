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

    export_for_printing() {
        const result = super.export_for_printing(...arguments);
        if (isMobilePayLine(this) && this.is_done()) {
            result.mobilepay = {
                transaction_id: this.transaction_id || mobilePayData(this)?.transaction_id || "",
                refund: this.get_amount() < 0,
            };
        }
        return result;
    },
});
