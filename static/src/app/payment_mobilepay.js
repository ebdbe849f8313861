import { registry } from "@web/core/registry";
import { PaymentInterface } from "@point_of_sale/app/utils/payment/payment_interface";
import { register_payment_method } from "@point_of_sale/app/services/pos_store";
import { MOBILEPAY, QR_ON_SCREEN } from "@pos_mobilepay/app/mobilepay_state";

/**
 * The MobilePay payment adapters, one per MobilePay API, by the payment method's
 * `mobilepay_api` ("v10", "epayment"). A further API adds a file that registers
 * its adapter here.
 */
export const mobilePayAdapters = registry.category("pos_mobilepay_adapters");

/**
 * What every MobilePay adapter shares: the PaymentInterface calls go to the
 * POS's MobilePay transactions (mobilepay_transactions.js), which start, follow
 * and cancel them through the Odoo server whatever the API. An adapter only
 * answers the few questions where the APIs differ (the hooks below).
 */
export class MobilePayPaymentInterface extends PaymentInterface {
    get transactions() {
        return this.pos.mobilePayTransactions;
    }

    sendPaymentRequest(uuid) {
        super.sendPaymentRequest(uuid);
        return this.transactions.start(uuid);
    }

    sendPaymentCancel(order, uuid) {
        super.sendPaymentCancel(order, uuid);
        return this.transactions.cancelLine(uuid);
    }

    close() {
        // The payment screen was left: payments go on (the server follows them),
        // only their dialogs close. Coming back to the screen opens them again.
        this.transactions.closeDialogs(this.payment_method_id);
    }

    // Hooks -------------------------------------------------------------

    /** The name the cashier and the customer read for this API's payments. */
    get brand() {
        return "MobilePay";
    }

    /** The in-store flows a payment can take here; the first one is the default. */
    get flows() {
        return [QR_ON_SCREEN];
    }

    /** What a payment's start RPC carries beyond the common payload. */
    startPayload(flow, customer) {
        return {};
    }

    /** Before a payment line of this method is added to ``order``: what the server must have first. */
    async prepareStart(order) {}

    /** Whether a MOBILEPAY_CHECKIN push at this register is for the line with this data. */
    awaitsCheckin(data) {
        return false;
    }

    /** Whether a state push leaves out something the line needs from the full status. */
    needsDetails(data, push) {
        return false;
    }
}

/**
 * The one payment interface registered for "mobilepay": it builds the adapter of
 * the payment method's API (methods saved before there was a choice are v10).
 */
export class MobilePayTerminal {
    constructor(pos, paymentMethod) {
        const Adapter = mobilePayAdapters.get(paymentMethod.mobilepay_api || "v10");
        return new Adapter(pos, paymentMethod);
    }
}

register_payment_method(MOBILEPAY, MobilePayTerminal);
