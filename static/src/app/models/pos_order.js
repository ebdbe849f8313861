import { patch } from "@web/core/utils/patch";
import { formatCurrency } from "@web/core/currency";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { isMobilePayLine, mobilePayData, stateLabel } from "@pos_mobilepay/app/mobilepay_state";

const QR_STATES = ["waiting_for_customer", "checked_in", "waiting_for_approval"];

patch(PosOrder.prototype, {
    /** The MobilePay QR the customer display shows while the customer has to scan it. */
    getMobilePayDisplayData() {
        const line = this.payment_ids.find((l) => {
            const data = mobilePayData(l);
            return (
                isMobilePayLine(l) &&
                data &&
                data.kind !== "refund" &&
                !data.is_final &&
                data.qr_svg &&
                QR_STATES.includes(data.state)
            );
        });
        if (!line) {
            return false;
        }
        const data = mobilePayData(line);
        return {
            qrSvg: data.qr_svg,
            state: data.state,
            label: stateLabel(data),
            amount: formatCurrency(data.amount ?? Math.abs(line.get_amount()), this.currency.id),
        };
    },

    getCustomerDisplayData() {
        return {
            ...super.getCustomerDisplayData(...arguments),
            mobilepay: this.getMobilePayDisplayData(),
        };
    },
});
