import { _t } from "@web/core/l10n/translation";
import { browser } from "@web/core/browser/browser";
import { floatIsZero } from "@web/core/utils/numbers";
import { ConnectionLostError, RPCError } from "@web/core/network/rpc";
import { PaymentInterface } from "@point_of_sale/app/payment/payment_interface";
import { register_payment_method } from "@point_of_sale/app/store/pos_store";
import { MobilePayDialog } from "@pos_mobilepay/app/mobilepay_dialog/mobilepay_dialog";
import {
    MOBILEPAY,
    STARTING,
    isMobilePayLine,
    mobilePayData,
    stateRank,
} from "@pos_mobilepay/app/mobilepay_state";

/** Without a bus push for this long, the POS asks the server itself. */
export const PUSH_GRACE_MS = 3000;
/** Polling never runs faster than this, whatever the server answered. */
export const MIN_POLL_MS = 500;
/** Back-off ceiling while the Odoo server cannot be reached. */
export const MAX_OFFLINE_POLL_MS = 15000;
/** How long a paid dialog stays open before it closes by itself. */
export const PAID_DIALOG_CLOSE_MS = 1500;
/** How long a cancel waits for MobilePay to confirm before giving up. */
export const CANCEL_CONFIRM_TIMEOUT_MS = 20000;

/** The fields of a server answer that we keep on the line. */
const STATUS_FIELDS = [
    "reference",
    "kind",
    "state",
    "provider_status",
    "is_final",
    "paid",
    "reason",
    "poll_after_ms",
    "transaction_id",
    "qr_svg",
    "qr_payload",
    "beacon_id",
    "amount",
    "currency",
    "phone_url",
];

/**
 * MobilePay (PoS API v10) for the Odoo 18 Point of Sale.
 *
 * The Odoo server talks to MobilePay and captures the money; this class only
 * starts, follows and cancels transactions through the server:
 *
 *  - every answer (RPC or bus push) is matched to its payment line by our own
 *    reference, and checked against the line uuid: a late answer can never land
 *    on another line or order;
 *  - a final state is final: nothing after it changes the line;
 *  - bus pushes (MOBILEPAY_STATE) carry the live state; when none arrived for a
 *    few seconds the POS asks the server, never sooner than its poll_after_ms;
 *  - the reference is kept in line.uiState (IndexedDB), so a reload resumes.
 */
export class PaymentMobilePay extends PaymentInterface {
    setup() {
        super.setup(...arguments);
        // line uuid -> { reference, resolve } of the promise send_payment_request returned
        this.waiters = {};
        // line uuid -> promise of a start request still on its way
        this.starting = {};
        // reference -> timeout id of the next fallback poll
        this.pollTimers = {};
        // reference -> current back-off while the server is unreachable
        this.offlineDelay = {};
        // reference -> list of callbacks waiting for a final state
        this.finalListeners = {};
        // line uuid -> function closing its dialog
        this.dialogClosers = {};
        // reference -> status request on its way
        this.fetching = {};
    }

    // ------------------------------------------------------------------
    // PaymentInterface
    // ------------------------------------------------------------------

    /**
     * Starts a payment (or, for a negative line, a refund) on the server.
     * @returns {Promise<boolean>} true once the server saw the capture
     */
    send_payment_request(uuid) {
        super.send_payment_request(uuid);
        return this._start(uuid);
    }

    /**
     * Cancels the transaction of the line at MobilePay.
     * @returns {Promise<boolean>} true when nothing was (or will be) taken
     */
    send_payment_cancel(order, uuid) {
        super.send_payment_cancel(order, uuid);
        return this.cancelLine(uuid);
    }

    close() {
        // The payment screen was left: payments go on (the server follows them),
        // only their dialogs close. Coming back to the screen opens them again.
        for (const uuid of Object.keys(this.dialogClosers)) {
            this.closeDialog(uuid);
        }
    }

    // ------------------------------------------------------------------
    // Lookups: always by uuid or reference, never "the pending line"
    // ------------------------------------------------------------------

    lineByUuid(uuid) {
        return this.pos.models["pos.payment"].find((line) => line.uuid === uuid);
    }

    lineByReference(reference) {
        if (!reference) {
            return undefined;
        }
        return this.pos.models["pos.payment"].find(
            (line) => isMobilePayLine(line) && mobilePayData(line)?.reference === reference
        );
    }

    /** Lines of this payment method whose transaction is not final (all orders). */
    openLines() {
        return this.pos.models["pos.payment"].filter(
            (line) =>
                line.payment_method_id?.id === this.payment_method_id.id &&
                mobilePayData(line) &&
                !mobilePayData(line).is_final
        );
    }

    // ------------------------------------------------------------------
    // Server calls
    // ------------------------------------------------------------------

    _call(method, arg) {
        return this.pos.data.call("pos.payment.method", method, [[this.payment_method_id.id], arg]);
    }

    /** The payload of a status or cancel call: the server acts only within this session's register. */
    _ask(values) {
        return { pos_session_id: this.pos.session.id, ...values };
    }

    /**
     * Writes the POS records to IndexedDB now. The POS only does so by itself when
     * records are created or deleted; our reference must survive a reload at once.
     */
    _persist() {
        try {
            this.pos.data.syncDataWithIndexedDB(this.pos.data.records);
        } catch (error) {
            console.warn("MobilePay: could not save the payment state locally", error);
        }
    }

    _errorMessage(error) {
        if (error instanceof ConnectionLostError) {
            return _t(
                "Could not reach the Odoo server. Check the connection; the payment resumes when it is back."
            );
        }
        if (error instanceof RPCError) {
            return error.data?.message || error.message;
        }
        return error?.message || String(error);
    }

    // ------------------------------------------------------------------
    // Start
    // ------------------------------------------------------------------

    async _start(uuid) {
        const line = this.lineByUuid(uuid);
        if (!line) {
            return false;
        }
        const order = line.pos_order_id;
        const amount = line.get_amount();
        const kind = amount < 0 ? "refund" : "payment";
        const previous = mobilePayData(line);
        if (previous && !previous.is_final && previous.reference) {
            // Already running (Send pressed twice, or resumed after a reload).
            this._openDialogIfCurrent(line);
            return this._waitFinal(uuid, previous.reference);
        }
        const attempt = (previous?.attempt || 0) + 1;
        line.uiState.mobilepay = {
            kind,
            state: STARTING,
            is_final: false,
            paid: false,
            amount: Math.abs(amount),
            attempt,
        };
        if (floatIsZero(amount, this.pos.currency.decimal_places)) {
            this._fail(uuid, _t("The amount to pay with MobilePay must not be zero."));
            return false;
        }
        this._openDialogIfCurrent(line);

        const payload = {
            pos_session_id: this.pos.session.id,
            line_uuid: uuid,
            order_uuid: order.uuid,
            order_name: order.pos_reference || order.name || order.uuid,
            amount: Math.abs(amount),
        };
        let method = "mobilepay_start_payment";
        if (kind === "refund") {
            method = "mobilepay_start_refund";
            const origin = this.refundOrigin(order);
            if (!origin.refunded_order_uuid && !origin.refunded_transaction_reference) {
                this._fail(
                    uuid,
                    _t(
                        "This refund is not linked to an order paid with MobilePay. Refund it with another payment method."
                    )
                );
                return false;
            }
            Object.assign(payload, origin);
        }

        // Until the server answers, a cancel has to wait for the reference.
        let answeredResolve;
        const answered = new Promise((resolve) => (answeredResolve = resolve));
        this.starting[uuid] = answered;
        let answer;
        try {
            answer = await this._callStart(uuid, attempt, method, payload);
        } catch (error) {
            this._fail(uuid, this._errorMessage(error));
            return false;
        } finally {
            if (this.starting[uuid] === answered) {
                delete this.starting[uuid];
            }
            answeredResolve();
        }
        if (answer === null) {
            return false;
        }
        const fresh = this.lineByUuid(uuid);
        const data = mobilePayData(fresh);
        if (!data || data.attempt !== attempt || data.is_final) {
            // The line went away, was restarted or was given up meanwhile.
            return false;
        }
        if (!answer?.reference) {
            this._fail(uuid, _t("The server did not start the MobilePay transaction."));
            return false;
        }
        data.reference = answer.reference;
        data.kind = answer.kind || kind;
        const final = this._waitFinal(uuid, answer.reference);
        this.applyStatus({ ...answer, line_uuid: uuid, kind: data.kind });
        this._persist();
        return final;
    }

    /**
     * Calls the start RPC. When the Odoo server cannot be reached the payment may
     * or may not have started there, so the same call is repeated (it is
     * idempotent per line) until the server answers: the line then follows the
     * transaction the server has, and a cancel pressed meanwhile can reach it.
     * @returns {Promise<Object|null>} the answer, or null when the line went away
     */
    async _callStart(uuid, attempt, method, payload) {
        let delay = 1000;
        for (;;) {
            try {
                return await this._call(method, payload);
            } catch (error) {
                const data = mobilePayData(this.lineByUuid(uuid));
                if (!data || data.attempt !== attempt) {
                    return null;
                }
                if (!(error instanceof ConnectionLostError)) {
                    throw error;
                }
                data.offline = true;
                await new Promise((resolve) => browser.setTimeout(resolve, delay));
                delay = Math.min(MAX_OFFLINE_POLL_MS, delay * 2);
            }
        }
    }

    /** Where a refund's money came from: the original order and its MobilePay line. */
    refundOrigin(order) {
        const refundedLine = order.lines.find(
            (l) => l.refunded_orderline_id
        )?.refunded_orderline_id;
        const refundedOrder = refundedLine?.order_id;
        const origin = {};
        if (refundedOrder?.uuid) {
            origin.refunded_order_uuid = refundedOrder.uuid;
        }
        const originalPayment = refundedOrder?.payment_ids?.find(
            (p) =>
                isMobilePayLine(p) && p.get_amount() > 0 && (p.transaction_id || mobilePayData(p))
        );
        const reference =
            mobilePayData(originalPayment)?.reference || originalPayment?.transaction_id;
        if (reference) {
            origin.refunded_transaction_reference = reference;
        }
        return origin;
    }

    /** A transaction that could not start: the line is back to retry with the reason. */
    _fail(uuid, reason) {
        const line = this.lineByUuid(uuid);
        if (!line) {
            return;
        }
        const data = mobilePayData(line) || (line.uiState.mobilepay = {});
        Object.assign(data, { state: "error", is_final: true, paid: false, reason });
        this._settle(line);
    }

    // ------------------------------------------------------------------
    // State updates (start answer, status answer, bus push)
    // ------------------------------------------------------------------

    /**
     * Applies a status to the line that owns its reference. Anything that does not
     * match (unknown reference, another line uuid, a line already final) is ignored.
     */
    applyStatus(status) {
        const line = this.lineByReference(status?.reference);
        if (!line) {
            return false;
        }
        if (status.line_uuid && status.line_uuid !== line.uuid) {
            return false;
        }
        const data = mobilePayData(line);
        if (data.is_final) {
            return false;
        }
        if (!status.is_final && stateRank(status.state) < stateRank(data.state)) {
            // An older answer overtaken by a newer one (push and poll crossing).
            this._schedulePoll(data.reference, this._nextPollDelay(data));
            return false;
        }
        const previousState = data.state;
        for (const field of STATUS_FIELDS) {
            if (status[field] !== undefined && status[field] !== null) {
                data[field] = status[field];
            }
        }
        data.paid = Boolean(status.paid) && Boolean(status.is_final);
        data.offline = false;
        data.error = false;
        data.heard_at = Date.now();
        delete this.offlineDelay[data.reference];
        const changed = data.state !== previousState;
        if (data.is_final) {
            this._settle(line);
        } else {
            if (line.get_payment_status() !== "waitingCancel") {
                line.set_payment_status("waitingCard");
            }
            this._schedulePoll(data.reference, this._nextPollDelay(data));
            if (changed) {
                this._persist();
            }
        }
        return true;
    }

    /** A bus push (MOBILEPAY_STATE) for a reference of ours. */
    onPush(payload) {
        const line = this.lineByReference(payload?.reference);
        if (!line || mobilePayData(line).is_final) {
            return;
        }
        if (payload.line_uuid && payload.line_uuid !== line.uuid) {
            return;
        }
        if (payload.is_final) {
            // The push carries the outcome but not its details (transaction id,
            // reason): ask the server once for them, then settle.
            this._fetchStatus(payload.reference, payload);
            return;
        }
        this.applyStatus(payload);
    }

    /** A MOBILEPAY_CHECKIN push: a customer checked in on one of our QR codes. */
    onCheckin(payload) {
        for (const line of this.openLines()) {
            const data = mobilePayData(line);
            if (
                data.kind === "payment" &&
                data.state === "waiting_for_customer" &&
                (!payload?.beacon_id || payload.beacon_id === data.beacon_id) &&
                (!payload?.reference || payload.reference === data.reference)
            ) {
                data.state = "checked_in";
                data.heard_at = Date.now();
            }
        }
    }

    _nextPollDelay(data) {
        return Math.max(PUSH_GRACE_MS, data.poll_after_ms || 0, MIN_POLL_MS);
    }

    _schedulePoll(reference, delay) {
        browser.clearTimeout(this.pollTimers[reference]);
        this.pollTimers[reference] = browser.setTimeout(() => {
            delete this.pollTimers[reference];
            this._fetchStatus(reference);
        }, delay);
    }

    _stopPolling(reference) {
        browser.clearTimeout(this.pollTimers[reference]);
        delete this.pollTimers[reference];
        delete this.offlineDelay[reference];
    }

    /** Asks the server for the state of a reference and applies it. */
    async _fetchStatus(reference, push = null) {
        let line = this.lineByReference(reference);
        if (!line || mobilePayData(line).is_final) {
            this._stopPolling(reference);
            return;
        }
        if (this.fetching[reference]) {
            // One question at a time per reference; a final push waits for it.
            await this.fetching[reference];
            if (!push?.is_final) {
                return;
            }
            line = this.lineByReference(reference);
            if (!line || mobilePayData(line).is_final) {
                return;
            }
        }
        browser.clearTimeout(this.pollTimers[reference]);
        let status;
        const call = this._call("mobilepay_payment_status", this._ask({ reference }));
        const pending = call.catch(() => null);
        this.fetching[reference] = pending;
        try {
            status = await call;
        } catch (error) {
            line = this.lineByReference(reference);
            if (!line || mobilePayData(line).is_final) {
                return;
            }
            const data = mobilePayData(line);
            if (push?.is_final) {
                // The server told us the outcome; only its details are missing.
                this.applyStatus(push);
                return;
            }
            data.offline = error instanceof ConnectionLostError;
            if (!data.offline) {
                data.error = this._errorMessage(error);
            }
            const delay = Math.min(
                MAX_OFFLINE_POLL_MS,
                Math.max(this._nextPollDelay(data), (this.offlineDelay[reference] || 0) * 2)
            );
            this.offlineDelay[reference] = delay;
            this._schedulePoll(reference, delay);
            return;
        } finally {
            if (this.fetching[reference] === pending) {
                delete this.fetching[reference];
            }
        }
        this.applyStatus(status);
    }

    // ------------------------------------------------------------------
    // Final states
    // ------------------------------------------------------------------

    _waitFinal(uuid, reference) {
        return new Promise((resolve) => {
            this.waiters[uuid] = { reference, resolve };
        });
    }

    /** Resolves when the reference reaches a final state, or after timeoutMs. */
    whenFinal(reference, timeoutMs) {
        return new Promise((resolve) => {
            const listeners = (this.finalListeners[reference] ||= []);
            const timer = browser.setTimeout(() => resolve(false), timeoutMs);
            listeners.push(() => {
                browser.clearTimeout(timer);
                resolve(true);
            });
        });
    }

    /** The line reached a final state: set its status and hand the outcome back. */
    _settle(line) {
        const data = mobilePayData(line);
        const uuid = line.uuid;
        if (data.reference) {
            this._stopPolling(data.reference);
            for (const listener of this.finalListeners[data.reference] || []) {
                listener();
            }
            delete this.finalListeners[data.reference];
        }
        data.cancelling = false;
        if (data.paid) {
            line.transaction_id = data.transaction_id || data.reference;
            line.set_payment_status("done");
            line.can_be_reversed = false;
            browser.setTimeout(() => this.closeDialog(uuid), PAID_DIALOG_CLOSE_MS);
        } else {
            line.set_payment_status("retry");
        }
        this._persist();
        const waiter = this.waiters[uuid];
        if (waiter && (!data.reference || waiter.reference === data.reference)) {
            delete this.waiters[uuid];
            waiter.resolve(data.paid);
        } else if (!waiter) {
            // The promise of send_payment_request is gone (page reloaded).
            line.handle_payment_response(data.paid);
        }
    }

    // ------------------------------------------------------------------
    // Cancel
    // ------------------------------------------------------------------

    /**
     * Cancels the line's transaction at MobilePay (Cancel button, removed line,
     * deleted order). A cancel that comes too late (the customer already paid)
     * leaves the line paid.
     * @returns {Promise<boolean>} true when no money was or will be taken
     */
    async cancelLine(uuid) {
        if (this.starting[uuid]) {
            // Wait for the start to answer: only then do we know the reference.
            const line = this.lineByUuid(uuid);
            if (line && mobilePayData(line)) {
                mobilePayData(line).cancelling = true;
            }
            await this.starting[uuid];
        }
        let line = this.lineByUuid(uuid);
        let data = mobilePayData(line);
        if (!line || !data) {
            return true;
        }
        if (data.is_final) {
            return !data.paid;
        }
        if (!data.reference) {
            // The start's answer never came back: the server may still have a transaction
            // for the line. Ask it to cancel that one; only then is nothing taken.
            let running;
            try {
                running = await this._call("mobilepay_cancel_payment", this._ask({ line_uuid: uuid }));
            } catch (error) {
                this.env.services.notification.add(
                    _t("MobilePay could not cancel the payment: %s", this._errorMessage(error)),
                    { type: "danger" }
                );
                return false;
            }
            if (!running) {
                this._fail(uuid, _t("Cancelled before MobilePay answered."));
                return true;
            }
            data.reference = running.reference;
            data.kind = running.kind || data.kind;
        }
        const reference = data.reference;
        data.cancelling = true;
        let status;
        try {
            status = await this._call("mobilepay_cancel_payment", this._ask({ reference }));
        } catch (error) {
            line = this.lineByReference(reference);
            if (line) {
                mobilePayData(line).cancelling = false;
                mobilePayData(line).error = this._errorMessage(error);
            }
            this.env.services.notification.add(
                _t("MobilePay could not cancel the payment: %s", this._errorMessage(error)),
                { type: "danger" }
            );
            return false;
        }
        if (status?.reference === reference) {
            this.applyStatus(status);
        }
        line = this.lineByReference(reference);
        data = mobilePayData(line);
        if (data && !data.is_final) {
            // The server asked MobilePay to cancel; wait for the final word.
            this._schedulePoll(reference, Math.max(MIN_POLL_MS, data.poll_after_ms || 0));
            await this.whenFinal(reference, CANCEL_CONFIRM_TIMEOUT_MS);
            line = this.lineByReference(reference);
            data = mobilePayData(line);
        }
        if (!data) {
            return true;
        }
        data.cancelling = false;
        if (!data.is_final) {
            return false;
        }
        if (data.paid) {
            this.env.services.notification.add(
                _t("The customer had already paid: the MobilePay payment stays on the order."),
                { type: "warning" }
            );
        }
        return !data.paid;
    }

    // ------------------------------------------------------------------
    // Reload
    // ------------------------------------------------------------------

    /**
     * After a reload: every line of ours that is not final asks the server for its
     * status and is followed again. A line whose start had not answered yet is
     * started again: the server answers with the line's running (or captured)
     * transaction when there is one, so nothing is started twice.
     */
    resume() {
        for (const line of this.openLines()) {
            const data = mobilePayData(line);
            const uuid = line.uuid;
            data.cancelling = false;
            if (!data.reference) {
                this._start(uuid).then((paid) => {
                    this.lineByUuid(uuid)?.handle_payment_response(paid);
                });
                continue;
            }
            if (!["waitingCard", "waitingCancel"].includes(line.get_payment_status())) {
                line.set_payment_status("waitingCard");
            }
            this._fetchStatus(data.reference);
        }
    }

    /**
     * Asks the server before a "force done": only a payment the server saw
     * captured becomes done; anything else goes on being followed or goes back
     * to retry.
     */
    async checkBeforeForceDone(uuid) {
        const line = this.lineByUuid(uuid);
        const data = mobilePayData(line);
        if (!data?.reference) {
            line?.set_payment_status("retry");
            return false;
        }
        if (!data.is_final) {
            await this._fetchStatus(data.reference);
        }
        const fresh = mobilePayData(this.lineByUuid(uuid));
        if (fresh && !fresh.is_final) {
            this.env.services.notification.add(
                _t("MobilePay has not finished this payment yet: it cannot be forced."),
                { type: "warning" }
            );
        }
        return Boolean(fresh?.paid);
    }

    // ------------------------------------------------------------------
    // Dialog
    // ------------------------------------------------------------------

    openDialog(uuid) {
        if (this.dialogClosers[uuid]) {
            return;
        }
        this.dialogClosers[uuid] = this.env.services.dialog.add(
            MobilePayDialog,
            { lineUuid: uuid, terminal: this },
            {
                onClose: () => {
                    delete this.dialogClosers[uuid];
                },
            }
        );
    }

    _openDialogIfCurrent(line) {
        const current = this.pos.get_order();
        if (current && line.pos_order_id?.uuid === current.uuid) {
            this.openDialog(line.uuid);
        }
    }

    closeDialog(uuid) {
        const closer = this.dialogClosers[uuid];
        if (closer) {
            delete this.dialogClosers[uuid];
            closer();
        }
    }
}

register_payment_method(MOBILEPAY, PaymentMobilePay);
