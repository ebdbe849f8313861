import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { markRaw } from "@odoo/owl";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import {
    brandOf,
    isInFlight,
    isMobilePayLine,
    isRunning,
} from "@pos_mobilepay/app/mobilepay_state";
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

    /**
     * The register's MobilePay methods that take their payments at the built-in emulator in a
     * database without demo data (the server says so: ``mobilepay_demo_warning``).
     */
    get mobilePayDemoWarningMethods() {
        return (this.config.payment_method_ids || []).filter(
            (method) => method.mobilepay_demo_warning
        );
    },

    /** Once per load of the POS: demo methods in a real database are said before any payment. */
    warnOfMobilePayDemo() {
        const methods = this.mobilePayDemoWarningMethods;
        if (!methods.length) {
            return;
        }
        this.dialog.add(AlertDialog, {
            title: _t("Demo payment methods: no money moves"),
            body: _t(
                "%(methods)s: payments go to the built-in demo emulator, so no money moves, whatever the screens say. Ask an administrator to set the keys of the Test or Production environment on the payment method before taking real payments.",
                { methods: methods.map((method) => method.name).join(", ") }
            ),
            contentClass: "o_mobilepay_demo_warning",
        });
    },

    async afterProcessServerData() {
        await super.afterProcessServerData(...arguments);
        this.warnOfMobilePayDemo();
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
                const brand = brandOf(line);
                this.dialog.add(AlertDialog, {
                    title: _t("%(brand)s payment in progress", { brand }),
                    body: _t(
                        "The %(brand)s payment of this order could not be cancelled (or the customer already paid), so the order is kept.",
                        { brand }
                    ),
                });
                return false;
            }
        }
        return super._onBeforeDeleteOrder(...arguments);
    },
});
