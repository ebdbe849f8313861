import { _t } from "@web/core/l10n/translation";

/**
 * The neutral MobilePay states the server reports (see models/), the words a
 * cashier reads for each of them, and small helpers shared by the POS screens.
 * Nothing here depends on the MobilePay API behind the payment method.
 *
 * The state of a MobilePay payment line lives in `line.uiState.mobilepay`, which
 * the POS keeps in IndexedDB, so a reload can resume the payment:
 *
 *     {
 *         reference,      // our own reference of the transaction (server side)
 *         kind,           // "payment" | "refund"
 *         state,          // neutral state, e.g. "waiting_for_customer"
 *         flow,           // "qr_on_screen" | "phone_number" | "personal_qr" | "sticker"
 *         is_final, paid, // paid is true only once the server saw the capture
 *         reason,         // why a final, unpaid state ended (text for the cashier)
 *         qr_svg, qr_url, // the QR the customer scans (the register's, or the payment's)
 *         awaiting_checkin, // sticker: nothing sent before the customer scans it
 *         beacon_id, amount, currency, phone_url, poll_after_ms, transaction_id,
 *         attempt,        // local: which Send of the line this is
 *         customer,       // local: what the cashier typed or scanned, until the server has it
 *         input_error,    // local: why the server refused what the cashier typed
 *     }
 */

export const MOBILEPAY = "mobilepay";

/** The local state shown while our start request is on its way to the server. */
export const STARTING = "starting";

/** The local state of a payment waiting for the cashier to type or scan what addresses the customer. */
export const INPUT = "input";

/** The in-store flows of the RPC contract; the first one is how a v10 payment always goes. */
export const QR_ON_SCREEN = "qr_on_screen";
export const PHONE_NUMBER = "phone_number";
export const PERSONAL_QR = "personal_qr";
export const STICKER = "sticker";

/** Flows whose start needs what the cashier types or scans (`customer` of the start payload). */
export const CUSTOMER_FLOWS = [PHONE_NUMBER, PERSONAL_QR];

/** The local display state of a sticker payment nothing was sent for yet. */
export const AWAITING_CHECKIN = "awaiting_checkin";

const STATE_RANK = {
    [INPUT]: 0,
    [STARTING]: 0,
    new: 0,
    unknown: 0,
    pending: 1,
    waiting_for_customer: 1,
    checked_in: 2,
    waiting_for_approval: 3,
    reserved: 4,
};

/** Order of the non-final states: an answer never moves a line backwards. */
export function stateRank(state) {
    return STATE_RANK[state] ?? 0;
}

/** The line is paid with (or refunded to) MobilePay. */
export function isMobilePayLine(line) {
    return line?.payment_method_id?.use_payment_terminal === MOBILEPAY;
}

/** The MobilePay data kept on a line, or undefined. */
export function mobilePayData(line) {
    return line?.uiState?.mobilepay;
}

/**
 * The state the screens show: the server's, except for a sticker payment that
 * waits for the customer to scan the sticker (the server says "new" for it).
 */
export function displayState(data) {
    if (data?.awaiting_checkin && !data.is_final) {
        return AWAITING_CHECKIN;
    }
    return data?.state;
}

/** The QR image the customer scans: the payment's one-time QR, or the register's QR. */
export function qrImage(data) {
    return data?.qr_url || data?.qr_svg || false;
}

/**
 * The line has a running MobilePay payment the cashier can look at: the server
 * knows its transaction, or it waits for the cashier's input.
 */
export function isRunning(line) {
    const data = mobilePayData(line);
    return Boolean(data && !data.is_final && (data.reference || data.state === INPUT));
}

/**
 * True while money may still move for this line: a transaction was started
 * (or is being started) and the server has not reported a final state.
 */
export function isInFlight(line) {
    const data = mobilePayData(line);
    if (data) {
        return !data.is_final;
    }
    return ["waiting", "waitingCard", "waitingCapture", "waitingCancel"].includes(
        line?.getPaymentStatus?.()
    );
}

/** What the cashier reads for a state. */
export function stateLabel(data) {
    if (!data) {
        return "";
    }
    const refund = data.kind === "refund";
    switch (displayState(data)) {
        case INPUT:
            return data.flow === PERSONAL_QR
                ? _t("Scan the customer's code")
                : _t("Enter the customer's phone number");
        case AWAITING_CHECKIN:
            return _t("Waiting for the customer to scan the sticker");
        case STARTING:
        case "new":
            return refund
                ? _t("Sending the refund to MobilePay…")
                : _t("Starting the MobilePay payment…");
        case "unknown":
            return _t("MobilePay has not answered yet");
        case "waiting_for_customer":
            return _t("Waiting for the customer to scan the QR code");
        case "checked_in":
            return _t("Customer checked in");
        case "waiting_for_approval":
            return _t("Waiting for the customer to approve in the MobilePay app");
        case "pending":
            return _t("Refund sent, waiting for MobilePay");
        case "reserved":
            return refund
                ? _t("Refund accepted by MobilePay, completing it")
                : _t("Approved by the customer, capturing the payment");
        case "captured":
            return refund ? _t("Refunded") : _t("Paid");
        case "cancelled_by_customer":
            return _t("Cancelled by the customer");
        case "cancelled_by_cashier":
            return refund ? _t("Refund cancelled") : _t("Cancelled by the cashier");
        case "cancelled_by_provider":
            return refund ? _t("Refund refused by MobilePay") : _t("Cancelled by MobilePay");
        case "expired":
            return _t("Expired: the customer did not approve in time");
        case "error":
        case "failed":
            return refund ? _t("The refund could not be made") : _t("The payment failed");
        default:
            return data.state || "";
    }
}

/** A short hint under the state: what happens next, or what the cashier can do. */
export function stateHint(data) {
    if (!data) {
        return "";
    }
    if (data.is_final) {
        if (data.paid) {
            return "";
        }
        return data.kind === "refund"
            ? _t("No money was sent. Retry the refund or choose another payment method.")
            : _t("No money was taken. Retry, or choose another payment method.");
    }
    switch (displayState(data)) {
        case INPUT:
            return data.flow === PERSONAL_QR
                ? _t(
                      "Ask the customer to show their payment code in the MobilePay app, and scan it. Nothing is sent before that."
                  )
                : _t(
                      "Type the number the customer gives you, then press Send. Nothing is sent before that."
                  );
        case AWAITING_CHECKIN:
            return _t("Ask the customer to scan the MobilePay sticker at the till with the app.");
        case "unknown":
            return data.kind === "refund"
                ? _t(
                      "Do not refund again: the refund may have reached MobilePay. It is followed until MobilePay answers."
                  )
                : _t(
                      "Do not take the payment again: it may have reached MobilePay. It is followed until MobilePay answers."
                  );
        case "waiting_for_customer":
            return _t("Ask the customer to open MobilePay and scan the code.");
        case "checked_in":
        case "waiting_for_approval":
            return _t("The payment is on the customer's phone.");
        default:
            return "";
    }
}

/** A Bootstrap colour for the state badge. */
export function stateTone(data) {
    if (!data) {
        return "secondary";
    }
    if (data.is_final) {
        return data.paid ? "success" : "danger";
    }
    if (data.state === "reserved") {
        return "success";
    }
    if (data.state === "unknown") {
        return "warning";
    }
    return "info";
}

/** The steps of a payment in its flow, for the progress row of the dialog. */
export function paymentSteps(data) {
    const approving = ["checked_in", "waiting_for_approval"];
    let first;
    switch (data?.flow) {
        case PHONE_NUMBER:
            first = { states: [INPUT], label: _t("Phone number") };
            approving.push(STARTING, "new");
            break;
        case PERSONAL_QR:
            first = { states: [INPUT], label: _t("Customer's code") };
            approving.push(STARTING, "new");
            break;
        case STICKER:
            first = { states: [AWAITING_CHECKIN], label: _t("Scan") };
            break;
        default:
            first = { states: ["waiting_for_customer"], label: _t("Scan") };
    }
    return [
        first,
        { states: approving, label: _t("Approve") },
        { states: ["reserved"], label: _t("Capture") },
        { states: ["captured"], label: _t("Paid") },
    ];
}
