import {
    MobilePayPaymentInterface,
    mobilePayAdapters,
} from "@pos_mobilepay/app/payment_mobilepay";
import {
    PERSONAL_QR,
    PHONE_NUMBER,
    QR_ON_SCREEN,
    STICKER,
} from "@pos_mobilepay/app/mobilepay_state";

/**
 * Vipps MobilePay ePayment. Four in-store flows: a one-time QR of the payment on
 * screen, the customer's phone number typed by the cashier, the customer's
 * payment code scanned by the cashier, or the till's QR sticker the customer
 * scans (the server sends the payment once Vipps MobilePay tells it so).
 */
export class PaymentMobilePayEPayment extends MobilePayPaymentInterface {
    get brand() {
        return "Vipps MobilePay";
    }

    /** The method's own flow first; the cashier may switch to the others but the sticker. */
    get flows() {
        const own = this.payment_method_id.vipps_flow || QR_ON_SCREEN;
        return [own, ...[QR_ON_SCREEN, PHONE_NUMBER, PERSONAL_QR].filter((f) => f !== own)];
    }

    startPayload(flow, customer) {
        return customer ? { flow, customer } : { flow };
    }

    /**
     * The server takes what the customer's app shows (the order lines) and who may pay (age
     * limits of the products) from the order as it has it: the order is saved there first, as
     * Odoo's online payments do. A failed save is not an error here: the start says what it lacks.
     */
    async prepareStart(order) {
        if (!order || order.lines.length === 0 || order.totalDue <= 0) {
            return; // a refund or an empty order: nothing the customer's app shows
        }
        this.pos.addPendingOrder([order.id]);
        await this.pos.syncAllOrders();
    }

    /** A sticker payment not sent yet: the check-in is what sends it. */
    awaitsCheckin(data) {
        return data.flow === STICKER && (data.awaiting_checkin || data.state === "new");
    }

    /** The payment's QR comes with its create call; a sticker payment learns when it is sent. */
    needsDetails(data, push) {
        return (data.flow === QR_ON_SCREEN && !data.qr_url) || Boolean(data.awaiting_checkin);
    }
}

mobilePayAdapters.add("epayment", PaymentMobilePayEPayment);
