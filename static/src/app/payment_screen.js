import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { onMounted, onWillUnmount } from "@odoo/owl";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";
import OrderPaymentValidation from "@point_of_sale/app/utils/order_payment_validation";
import {
    brandOf,
    isInFlight,
    isMobilePayLine,
    isRunning,
    mobilePayData,
} from "@pos_mobilepay/app/mobilepay_state";

/** A payment line whose terminal is working on it (any terminal; a MobilePay line by its own state). */
function lineInFlight(line) {
    return isInFlight(line) || line.getPaymentStatus() === "reversing";
}

patch(OrderPaymentValidation.prototype, {
    /** Validation waits until every MobilePay line is final. */
    async isOrderValid(isForceValidate) {
        const running = this.pos.mobilePayLinesInFlight(this.order);
        if (running.length) {
            const brand = brandOf(running[0]);
            this.pos.dialog.add(AlertDialog, {
                title: _t("%(brand)s payment in progress", { brand }),
                body: _t(
                    "Wait until the %(brand)s payment is paid or cancelled before validating the order.",
                    { brand }
                ),
            });
            return false;
        }
        return super.isOrderValid(...arguments);
    },
});

patch(PaymentScreen.prototype, {
    setup() {
        super.setup(...arguments);
        onMounted(() => {
            // A payment that ended while the screen was away (a reload) validates the order now.
            this.pos.mobilePayTransactions.paymentScreenShown(this);
            // Coming back to the screen (or after a reload): show the running
            // MobilePay payment of this order again.
            const line = this.currentOrder?.payment_ids.find(
                (l) => isMobilePayLine(l) && isRunning(l)
            );
            if (line) {
                this.pos.mobilePayTransactions.openDialog(line.uuid);
            }
        });
        onWillUnmount(() => {
            this.pos.mobilePayTransactions.paymentScreenHidden(this);
            // The screen is left: payments go on (the server follows them), only
            // their dialogs close. Coming back to the screen opens them again.
            for (const line of this.currentOrder?.payment_ids || []) {
                if (isMobilePayLine(line)) {
                    this.pos.mobilePayTransactions.closeDialog(line.uuid);
                }
            }
        });
    },

    /** Removing a running MobilePay line cancels it at MobilePay first. */
    async deletePaymentLine(uuid) {
        const line = this.paymentLines.find((l) => l.uuid === uuid);
        if (!isMobilePayLine(line) || !isInFlight(line)) {
            return super.deletePaymentLine(...arguments);
        }
        if (line.getPaymentStatus() === "waitingCancel" || mobilePayData(line)?.cancelling) {
            return;
        }
        const transactions = this.pos.mobilePayTransactions;
        line.setPaymentStatus("waitingCancel");
        const cancelled = await transactions.cancelLine(uuid);
        const fresh = this.paymentLines.find((l) => l.uuid === uuid);
        if (!fresh) {
            return;
        }
        if (cancelled) {
            transactions.closeDialog(uuid);
            this.currentOrder.removePaymentline(fresh);
            this.numberBuffer.reset();
        } else if (fresh.getPaymentStatus() === "waitingCancel") {
            fresh.setPaymentStatus("waitingCard");
        }
    },

    /**
     * What the server must have before a MobilePay payment starts: the ePayment adapter saves the
     * order there (its lines and age limits are taken from it), before the payment line exists, as
     * Odoo's online payments do (saving replaces the order's records with the server's: a line in
     * flight would be left behind).
     */
    async addNewPaymentLine(paymentMethod) {
        const terminal = paymentMethod.payment_terminal;
        if (paymentMethod.use_payment_terminal === "mobilepay" && terminal?.prepareStart) {
            if (this._mobilePayPreparing) {
                return false; // a second tap while the order is being saved
            }
            // Not while a payment of this order is in flight: saving would leave its line behind
            // (the line added below then starts without the saved order, and the server says so).
            if (!this.pos.paymentTerminalInProgress && !this.currentOrder.payment_ids.some(lineInFlight)) {
                this._mobilePayPreparing = true;
                try {
                    await terminal.prepareStart(this.currentOrder);
                } finally {
                    this._mobilePayPreparing = false;
                }
            }
        }
        return super.addNewPaymentLine(...arguments);
    },

    /** The line's Cancel button: same cancel as the dialog's. */
    async sendPaymentCancel(line) {
        if (!isMobilePayLine(line)) {
            return super.sendPaymentCancel(...arguments);
        }
        await this.pos.mobilePayTransactions.cancelLine(line.uuid);
    },

    /** "Force done" asks the server first: only a captured payment is done. */
    async sendForceDone(line) {
        if (!isMobilePayLine(line)) {
            return super.sendForceDone(...arguments);
        }
        const paid = await this.pos.mobilePayTransactions.checkBeforeForceDone(line.uuid);
        const fresh = this.paymentLines.find((l) => l.uuid === line.uuid);
        if (fresh && paid) {
            fresh.setPaymentStatus("done");
        }
    },

    /** Reopens the dialog of a MobilePay line (the line's "Show QR" button). */
    openMobilePayDialog(line) {
        this.pos.mobilePayTransactions.openDialog(line.uuid);
    },
});
