import { _t } from "@web/core/l10n/translation";
import { browser } from "@web/core/browser/browser";
import { ConnectionLostError, RPCError } from "@web/core/network/rpc";
import { MobilePayDialog } from "@pos_mobilepay/app/mobilepay_dialog/mobilepay_dialog";
import {
    CUSTOMER_FLOWS,
    INPUT,
    QR_ON_SCREEN,
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
    "flow",
    "qr_svg",
    "qr_url",
    "qr_payload",
    "awaiting_checkin",
    "beacon_id",
    "amount",
    "currency",
    "phone_url",
];

/** The server refused the request as such (a UserError): nothing was stored. */
function isUserError(error) {
    return error instanceof RPCError && error.data?.name === "odoo.exceptions.UserError";
}

/**
 * Follows the MobilePay transactions of this POS, whatever MobilePay API a
 * payment method uses (one instance per POS, `pos.mobilePayTransactions`).
 *
 * The Odoo server talks to MobilePay and captures the money; this only starts,
 * follows and cancels transactions through the server:
 *
 *  - every answer (RPC or bus push) is matched to its payment line by our own
 *    reference, and checked against the line uuid: a late answer can never land
 *    on another line or order;
 *  - a final state is final: nothing after it changes the line;
 *  - bus pushes (MOBILEPAY_STATE) carry the live state; when none arrived for a
 *    few seconds the POS asks the server, never sooner than its poll_after_ms;
 *  - the reference is kept in line.uiState (IndexedDB), so a reload resumes.
 *
 * What differs between the APIs is asked of the line's payment interface (the
 * adapter, see payment_mobilepay.js): its flows, what its start carries, which
 * lines a check-in is for, and when a push leaves out something to show.
 */
export class MobilePayTransactions {
    constructor(pos) {
        this.pos = pos;
        // line uuid -> [{ attempt, resolve }] of the promises sendPaymentRequest returned
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
        // line uuid -> what the cashier last typed or scanned (kept in memory only, for a retry)
        this.typed = {};
    }

    get env() {
        return this.pos.env;
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

    /** MobilePay lines whose transaction is not final (all orders, all MobilePay methods). */
    openLines() {
        return this.pos.models["pos.payment"].filter(
            (line) =>
                isMobilePayLine(line) && mobilePayData(line) && !mobilePayData(line).is_final
        );
    }

    /** The payment interface (adapter) of the line's payment method. */
    adapterOf(line) {
        return line?.payment_method_id?.payment_terminal;
    }

    // ------------------------------------------------------------------
    // Server calls
    // ------------------------------------------------------------------

    _call(line, method, arg) {
        return this.pos.data.call("pos.payment.method", method, [
            [line.payment_method_id.id],
            arg,
        ]);
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
        const warn = (error) =>
            console.warn("MobilePay: could not save the payment state locally", error);
        try {
            this.pos.data.synchronizeLocalDataInIndexedDB().catch(warn);
        } catch (error) {
            warn(error);
        }
    }

    errorMessage(error) {
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

    _notify(message, type = "danger") {
        this.env.services.notification.add(message, { type });
    }

    // ------------------------------------------------------------------
    // Start
    // ------------------------------------------------------------------

    /**
     * Starts a payment (or, for a negative line, a refund) on the server; for a
     * flow that needs the customer's phone number or code, asks the cashier first.
     * @returns {Promise<boolean>} true once the server saw the capture
     */
    start(uuid) {
        const line = this.lineByUuid(uuid);
        if (!line) {
            return Promise.resolve(false);
        }
        const amount = line.getAmount();
        const kind = amount < 0 ? "refund" : "payment";
        const previous = mobilePayData(line);
        if (previous && !previous.is_final && (previous.reference || previous.state === INPUT)) {
            // Already running (Send pressed twice, or resumed after a reload).
            this._openDialogIfCurrent(line);
            return this._waitFinal(uuid, previous.attempt);
        }
        const attempt = (previous?.attempt || 0) + 1;
        const flow = kind === "payment" ? this.adapterOf(line).flows[0] : QR_ON_SCREEN;
        line.uiState.mobilepay = {
            kind,
            flow,
            state: STARTING,
            is_final: false,
            paid: false,
            amount: Math.abs(amount),
            attempt,
        };
        const final = this._waitFinal(uuid, attempt);
        if (this.pos.currency.isZero(amount)) {
            this._fail(uuid, _t("The amount to pay with MobilePay must not be zero."));
        } else if (CUSTOMER_FLOWS.includes(flow)) {
            this.askCustomer(uuid, flow);
        } else {
            this._send(uuid);
        }
        return final;
    }

    /** The payment waits for the cashier to type or scan what addresses the customer. */
    askCustomer(uuid, flow, error = false) {
        const line = this.lineByUuid(uuid);
        const data = mobilePayData(line);
        if (!data || data.is_final) {
            return;
        }
        Object.assign(data, { state: INPUT, flow, input_error: error });
        delete data.customer;
        this._persist();
        this._openDialogIfCurrent(line);
    }

    /**
     * The cashier gave the customer's phone number or code (or chose another flow):
     * the payment is sent. A refusal of the server comes back as `input_error`.
     */
    submitCustomer(uuid, flow, customer) {
        const data = mobilePayData(this.lineByUuid(uuid));
        if (!data || data.is_final || data.state !== INPUT) {
            return;
        }
        if (customer) {
            this.typed[uuid] = customer;
        }
        this._send(uuid, { flow, customer });
    }

    async _send(uuid, { flow, customer } = {}) {
        const line = this.lineByUuid(uuid);
        const data = mobilePayData(line);
        const order = line.pos_order_id;
        const attempt = data.attempt;
        Object.assign(data, { state: STARTING, input_error: false, flow: flow || data.flow });
        if (customer) {
            // Kept until the server has it: a reload meanwhile sends the same start again.
            data.customer = customer;
        }
        this._persist();
        this._openDialogIfCurrent(line);

        const payload = {
            pos_session_id: this.pos.session.id,
            line_uuid: uuid,
            order_uuid: order.uuid,
            order_name: order.pos_reference || order.name || order.uuid,
            amount: data.amount,
        };
        let method = "mobilepay_start_payment";
        if (data.kind === "refund") {
            method = "mobilepay_start_refund";
            const origin = this.refundOrigin(order);
            if (!origin.refunded_order_uuid && !origin.refunded_transaction_reference) {
                this._fail(
                    uuid,
                    _t(
                        "This refund is not linked to an order paid with MobilePay. Refund it with another payment method."
                    )
                );
                return;
            }
            Object.assign(payload, origin);
        } else {
            Object.assign(payload, this.adapterOf(line).startPayload(data.flow, data.customer));
        }

        // Until the server answers, a cancel has to wait for the reference.
        let answeredResolve;
        const answered = new Promise((resolve) => (answeredResolve = resolve));
        this.starting[uuid] = answered;
        let answer;
        try {
            answer = await this._callStart(line, attempt, method, payload);
        } catch (error) {
            const current = mobilePayData(this.lineByUuid(uuid));
            if (!current || current.attempt !== attempt || current.is_final) {
                return;
            }
            if (isUserError(error) && CUSTOMER_FLOWS.includes(current.flow)) {
                // A wrong phone number or code: nothing was stored, the cashier corrects it.
                this.askCustomer(uuid, current.flow, this.errorMessage(error));
            } else {
                this._fail(uuid, this.errorMessage(error));
            }
            return;
        } finally {
            if (this.starting[uuid] === answered) {
                delete this.starting[uuid];
            }
            answeredResolve();
        }
        if (answer === null) {
            return;
        }
        const fresh = mobilePayData(this.lineByUuid(uuid));
        if (!fresh || fresh.attempt !== attempt || fresh.is_final) {
            // The line went away, was restarted or was given up meanwhile.
            return;
        }
        if (!answer?.reference) {
            this._fail(uuid, _t("The server did not start the MobilePay transaction."));
            return;
        }
        delete fresh.customer;
        fresh.reference = answer.reference;
        fresh.kind = answer.kind || fresh.kind;
        this.applyStatus({ ...answer, line_uuid: uuid, kind: fresh.kind });
        this._persist();
    }

    /**
     * Calls the start RPC. When the Odoo server cannot be reached the payment may
     * or may not have started there, so the same call is repeated (it is
     * idempotent per line) until the server answers: the line then follows the
     * transaction the server has, and a cancel pressed meanwhile can reach it.
     * @returns {Promise<Object|null>} the answer, or null when the line went away
     */
    async _callStart(line, attempt, method, payload) {
        let delay = 1000;
        for (;;) {
            try {
                return await this._call(line, method, payload);
            } catch (error) {
                const data = mobilePayData(this.lineByUuid(payload.line_uuid));
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
                isMobilePayLine(p) && p.getAmount() > 0 && (p.transaction_id || mobilePayData(p))
        );
        const reference =
            mobilePayData(originalPayment)?.reference || originalPayment?.transaction_id;
        if (reference) {
            origin.refunded_transaction_reference = reference;
        }
        return origin;
    }

    /** A transaction that could not start (or was given up): final, the line is back to retry. */
    _fail(uuid, reason, state = "error") {
        const line = this.lineByUuid(uuid);
        if (!line) {
            return;
        }
        const data = mobilePayData(line) || (line.uiState.mobilepay = {});
        Object.assign(data, { state, is_final: true, paid: false, reason });
        delete data.customer;
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
            if (line.getPaymentStatus() !== "waitingCancel") {
                line.setPaymentStatus("waitingCard");
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
        if (payload.is_final || this.adapterOf(line).needsDetails(mobilePayData(line), payload)) {
            // The push carries the state but not its details (transaction id, reason,
            // the payment's QR): ask the server once for them.
            this._fetchStatus(payload.reference, payload);
            return;
        }
        this.applyStatus(payload);
    }

    /** A MOBILEPAY_CHECKIN push: a customer checked in at this register. */
    onCheckin(payload) {
        if (payload?.config_id && payload.config_id !== this.pos.config.id) {
            return;
        }
        for (const line of this.openLines()) {
            const data = mobilePayData(line);
            if (
                data.kind === "payment" &&
                this.adapterOf(line).awaitsCheckin(data) &&
                (!payload?.beacon_id || payload.beacon_id === data.beacon_id) &&
                (!payload?.reference || payload.reference === data.reference)
            ) {
                Object.assign(data, {
                    state: "checked_in",
                    awaiting_checkin: false,
                    heard_at: Date.now(),
                });
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
        const call = this._call(line, "mobilepay_payment_status", this._ask({ reference }));
        const pending = call.catch(() => null);
        this.fetching[reference] = pending;
        try {
            status = await call;
        } catch (error) {
            line = this.lineByReference(reference);
            if (!line || mobilePayData(line).is_final) {
                return;
            }
            if (push) {
                // The server told us the state; only its details are missing.
                this.applyStatus(push);
                return;
            }
            const data = mobilePayData(line);
            data.offline = error instanceof ConnectionLostError;
            if (!data.offline) {
                data.error = this.errorMessage(error);
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

    /** A promise of the outcome of the line's attempt (several Sends of one attempt share it). */
    _waitFinal(uuid, attempt) {
        return new Promise((resolve) => {
            (this.waiters[uuid] ||= []).push({ attempt, resolve });
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
            line.setPaymentStatus("done");
            line.can_be_reversed = false;
            delete this.typed[uuid];
            browser.setTimeout(() => this.closeDialog(uuid), PAID_DIALOG_CLOSE_MS);
        } else {
            line.setPaymentStatus("retry");
        }
        this._persist();
        const waiters = (this.waiters[uuid] || []).filter((w) => w.attempt === data.attempt);
        this.waiters[uuid] = (this.waiters[uuid] || []).filter((w) => !waiters.includes(w));
        if (!this.waiters[uuid].length) {
            delete this.waiters[uuid];
        }
        for (const waiter of waiters) {
            waiter.resolve(data.paid);
        }
        if (!waiters.length) {
            // The promise of sendPaymentRequest is gone (page reloaded).
            line.handlePaymentResponse(data.paid);
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
        if (data.state === INPUT) {
            // Nothing was sent: the cashier was still typing or scanning.
            this._fail(uuid, _t("Cancelled before it was sent."), "cancelled_by_cashier");
            return true;
        }
        if (!data.reference) {
            // The start's answer never came back: the server may still have a transaction
            // for the line. Ask it to cancel that one; only then is nothing taken.
            let running;
            try {
                running = await this._call(
                    line,
                    "mobilepay_cancel_payment",
                    this._ask({ line_uuid: uuid })
                );
            } catch (error) {
                this._notify(
                    _t("MobilePay could not cancel the payment: %s", this.errorMessage(error))
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
            status = await this._call(line, "mobilepay_cancel_payment", this._ask({ reference }));
        } catch (error) {
            line = this.lineByReference(reference);
            if (line) {
                mobilePayData(line).cancelling = false;
                mobilePayData(line).error = this.errorMessage(error);
            }
            this._notify(
                _t("MobilePay could not cancel the payment: %s", this.errorMessage(error))
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
            this._notify(
                _t("The customer had already paid: the MobilePay payment stays on the order."),
                "warning"
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
     * transaction when there is one, so nothing is started twice. A line that
     * waited for the cashier's input waits again.
     */
    resume() {
        for (const line of this.openLines()) {
            const data = mobilePayData(line);
            const uuid = line.uuid;
            data.cancelling = false;
            if (!data.reference) {
                this._waitFinal(uuid, data.attempt).then((paid) => {
                    this.lineByUuid(uuid)?.handlePaymentResponse(paid);
                });
                if (data.state === INPUT) {
                    this.askCustomer(uuid, data.flow, data.input_error);
                } else {
                    this._send(uuid, { flow: data.flow, customer: data.customer });
                }
                continue;
            }
            if (!["waitingCard", "waitingCancel"].includes(line.getPaymentStatus())) {
                line.setPaymentStatus("waitingCard");
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
            line?.setPaymentStatus("retry");
            return false;
        }
        if (!data.is_final) {
            await this._fetchStatus(data.reference);
        }
        const fresh = mobilePayData(this.lineByUuid(uuid));
        if (fresh && !fresh.is_final) {
            this._notify(
                _t("MobilePay has not finished this payment yet: it cannot be forced."),
                "warning"
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
            { lineUuid: uuid, transactions: this },
            {
                onClose: () => {
                    delete this.dialogClosers[uuid];
                },
            }
        );
    }

    _openDialogIfCurrent(line) {
        const current = this.pos.getOrder();
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

    /** Closes the dialogs of the lines of a payment method (the payments go on). */
    closeDialogs(paymentMethod) {
        for (const uuid of Object.keys(this.dialogClosers)) {
            if (this.lineByUuid(uuid)?.payment_method_id?.id === paymentMethod.id) {
                this.closeDialog(uuid);
            }
        }
    }
}
