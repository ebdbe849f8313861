import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { markRaw } from "@odoo/owl";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import { isInFlight, isMobilePayLine, isRunning } from "@pos_mobilepay/app/mobilepay_state";
import { MobilePayTransactions } from "@pos_mobilepay/app/mobilepay_transactions";

patch(PosStore.prototype, {
    async setup() {
        // Before the payment interfaces exist (they are made while the data loads).
        this.mobilePayTransactions = markRaw(new MobilePayTransactions(this));
        await super.setup(...arguments);
        // The bus carries ids and states only; the details come from the server.
        this.data.connectWebSocket("MOBILEPAY_STATE", (payload) => {
            this.mobilePayTransactions.onPush(payload);
        });
        this.data.connectWebSocket("MOBILEPAY_CHECKIN", (payload) => {
            this.mobilePayTransactions.onCheckin(payload);
        });
    },

    /** The MobilePay lines of an order whose transaction may still move money. */
    mobilePayLinesInFlight(order) {
        return (order?.payment_ids || []).filter(
            (line) => isMobilePayLine(line) && isInFlight(line)
        );
    },

    async afterProcessServerData() {
        await super.afterProcessServerData(...arguments);
        // Reload mid-payment: every MobilePay line that is not final asks the
        // server where it stands and is followed again.
        this.mobilePayTransactions.resume();
        // The POS then opens the screen the router is on: the payment screen of that order.
        const order = this.getOrder();
        const screen = this.router.state.current;
        if (
            order &&
            !["LoginScreen", "PaymentScreen"].includes(screen) &&
            order.payment_ids.some((line) => isMobilePayLine(line) && isRunning(line))
        ) {
            this.navigate("PaymentScreen", { orderUuid: order.uuid });
        }
    },

    /** An order with a running MobilePay payment is cancelled at MobilePay first. */
    async _onBeforeDeleteOrder(order) {
        for (const line of this.mobilePayLinesInFlight(order)) {
            const cancelled = await this.mobilePayTransactions.cancelLine(line.uuid);
            if (!cancelled) {
                this.dialog.add(AlertDialog, {
                    title: _t("MobilePay payment in progress"),
                    body: _t(
                        "The MobilePay payment of this order could not be cancelled (or the customer already paid), so the order is kept."
                    ),
                });
                return false;
            }
        }
        return super._onBeforeDeleteOrder(...arguments);
    },
});
