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

/** The brand the cashier and the customer read for the line's method (its adapter says: see payment_mobilepay.js). */
export function brandOf(line) {
    return line?.payment_method_id?.payment_terminal?.brand || "MobilePay";
}

/** The line's method takes its payments at the built-in emulator: no money moves. */
export function isDemoLine(line) {
    return Boolean(isMobilePayLine(line) && line.payment_method_id.mobilepay_demo);
}

/** The words that mark a demo payment wherever it shows (dialog, payment line, receipt). */
export function demoText() {
    return _t("Demo — no money moves");
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

/** States in which the customer may still scan the QR on screen ("unknown": MobilePay may have the payment). */
export const QR_STATES = ["unknown", "waiting_for_customer", "checked_in", "waiting_for_approval"];

/** The payment's QR is up for the customer to scan (not once it is approved, captured or over). */
export function showsQr(data) {
    return Boolean(
        data &&
            data.kind !== "refund" &&
            (data.flow || QR_ON_SCREEN) === QR_ON_SCREEN &&
            qrImage(data) &&
            !data.is_final &&
            QR_STATES.includes(data.state)
    );
}

/**
 * The customer has not answered the payment yet, so the cashier may still send it another way
 * (the payment is cancelled, then sent again in the other flow): a QR nobody scanned, or a
 * sticker nobody scanned.
 */
export function canSwitchFlow(data) {
    if (!data || data.kind === "refund" || data.is_final || !data.reference) {
        return false;
    }
    if (data.cancelling || data.switch_to) {
        return false;
    }
    if (displayState(data) === AWAITING_CHECKIN) {
        return true;
    }
    return (data.flow || QR_ON_SCREEN) === QR_ON_SCREEN && data.state === "waiting_for_customer";
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

/** What the cashier reads for a state (``brand``: "MobilePay" or "Vipps MobilePay", see brandOf). */
export function stateLabel(data, brand = "MobilePay") {
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
                ? _t("Sending the refund to %(brand)s…", { brand })
                : _t("Starting the %(brand)s payment…", { brand });
        case "unknown":
            return _t("%(brand)s has not answered yet", { brand });
        case "waiting_for_customer":
            return _t("Waiting for the customer to scan the QR code");
        case "checked_in":
            return _t("Customer checked in");
        case "waiting_for_approval":
            return _t("Waiting for the customer to approve in the %(brand)s app", { brand });
        case "pending":
            return _t("Refund sent, waiting for %(brand)s", { brand });
        case "reserved":
            return refund
                ? _t("Refund accepted by %(brand)s, completing it", { brand })
                : _t("Approved by the customer, capturing the payment");
        case "captured":
            return refund ? _t("Refunded") : _t("Paid");
        case "cancelled_by_customer":
            return _t("Cancelled by the customer");
        case "cancelled_by_cashier":
            return refund ? _t("Refund cancelled") : _t("Cancelled by the cashier");
        case "cancelled_by_provider":
            return refund
                ? _t("Refund refused by %(brand)s", { brand })
                : _t("Cancelled by %(brand)s", { brand });
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
export function stateHint(data, brand = "MobilePay") {
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
                      "Ask the customer to show their payment code in the %(brand)s app, and scan it. Nothing is sent before that.",
                      { brand }
                  )
                : _t(
                      "Type the number the customer gives you, then press Send. Nothing is sent before that."
                  );
        case AWAITING_CHECKIN:
            return _t("Ask the customer to scan the %(brand)s sticker at the till with the app.", {
                brand,
            });
        case "unknown":
            return data.kind === "refund"
                ? _t(
                      "Do not refund again: the refund may have reached %(brand)s. It is followed until %(brand)s answers.",
                      { brand }
                  )
                : _t(
                      "Do not take the payment again: it may have reached %(brand)s. It is followed until %(brand)s answers.",
                      { brand }
                  );
        case "waiting_for_customer":
            return _t("Ask the customer to scan the code with the %(brand)s app.", { brand });
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
