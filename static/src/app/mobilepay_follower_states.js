import { _t } from "@web/core/l10n/translation";
import { browser } from "@web/core/browser/browser";
import {
    CUSTOMER_FLOWS,
    INPUT,
    QR_ON_SCREEN,
    STARTING,
    brandOf,
    canSwitchFlow,
    mobilePayData,
    stateRank,
} from "@pos_mobilepay/app/mobilepay_state";

/** How long a paid dialog stays open before it closes by itself. */
export const PAID_DIALOG_CLOSE_MS = 1500;

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

/**
 * The state machine of the POS's MobilePay follower (composed into
 * MobilePayTransactions, see mobilepay_transactions.js): a line's transaction
 * starts (STARTING, or INPUT while the cashier types or scans), follows the
 * statuses the server reports (never backwards, see stateRank), and ends in a
 * final state that nothing changes any more; the outcome then goes back to the
 * POS. The state lives in line.uiState.mobilepay (IndexedDB), so a reload resumes.
 */
export const MobilePayFollowerStates = (Base) =>
    class extends Base {
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
            if (
                previous &&
                !previous.is_final &&
                (previous.reference || previous.state === INPUT)
            ) {
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
                this._fail(
                    uuid,
                    _t("The amount to pay with %(brand)s must not be zero.", {
                        brand: brandOf(line),
                    })
                );
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

        /**
         * The cashier sends a payment the customer has not answered yet another way (a QR
         * nobody scanned, a sticker nobody scanned): the payment is cancelled at MobilePay,
         * then the same attempt goes on in ``flow`` on the same line (see _settle). Should the
         * customer have paid meanwhile, the line is simply paid.
         */
        async switchFlow(uuid, flow) {
            const line = this.lineByUuid(uuid);
            const data = mobilePayData(line);
            if (!canSwitchFlow(data) || !this.adapterOf(line).flows.includes(flow)) {
                return;
            }
            data.switch_to = flow;
            this._persist();
            await this.cancelLine(uuid);
            const fresh = mobilePayData(this.lineByUuid(uuid));
            if (fresh?.switch_to && !fresh.is_final && fresh.reference === data.reference) {
                // Not cancelled (MobilePay did not confirm): the payment goes on as it was.
                delete fresh.switch_to;
                this._persist();
            }
        }

        /** The payment ended unpaid: a new attempt on the line, as the line's Retry starts it. */
        retry(uuid) {
            const line = this.lineByUuid(uuid);
            const data = mobilePayData(line);
            if (!line || !data?.is_final || data.paid || line.getPaymentStatus() !== "retry") {
                return;
            }
            const screen = this.paymentScreen;
            if (screen && screen.currentOrder?.uuid === line.pos_order_id?.uuid) {
                screen.sendPaymentRequest(line);
            } else {
                line.pay().then((paid) => paid && this._autoValidate(line.pos_order_id));
            }
        }

        /**
         * A transaction that could not start (or was given up): final, the line is back to
         * retry.
         */
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

        // ------------------------------------------------------------------
        // Final states
        // ------------------------------------------------------------------

        /**
         * A promise of the outcome of the line's attempt (several Sends of one attempt
         * share it).
         */
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
            if (!data.paid && data.switch_to) {
                // Cancelled to go on another way (switchFlow): the same attempt goes on.
                this._restartIn(line, data.switch_to);
                return;
            }
            delete data.switch_to;
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
                // Nobody awaits this attempt any more: the outcome goes back to the line here.
                line.handlePaymentResponse(data.paid);
            }
        }

        /** The line's attempt goes on in another flow, after its payment was cancelled (switchFlow). */
        _restartIn(line, flow) {
            const old = mobilePayData(line);
            const uuid = line.uuid;
            line.uiState.mobilepay = {
                kind: old.kind,
                flow,
                state: STARTING,
                is_final: false,
                paid: false,
                amount: old.amount,
                attempt: old.attempt,
            };
            line.setPaymentStatus("waitingCard");
            if (CUSTOMER_FLOWS.includes(flow)) {
                this.askCustomer(uuid, flow);
            } else {
                this._send(uuid, { flow });
            }
        }

        /**
         * The outcome of an attempt that no payment screen awaits (the page was reloaded, or a
         * retry came from the dialog without the screen): the line's status, then the order is
         * validated as the payment screen does after a terminal payment.
         */
        _followOutcome(uuid, attempt) {
            this._waitFinal(uuid, attempt).then((paid) => {
                const line = this.lineByUuid(uuid);
                if (!line) {
                    return;
                }
                line.handlePaymentResponse(paid);
                if (paid) {
                    this._autoValidate(line.pos_order_id);
                }
            });
        }

        /**
         * Odoo validates an order paid in full by a terminal when the register says so
         * (auto_validate_terminal_payment); the payment screen of the order does it, at once
         * when it is shown, else when it is shown next.
         */
        _autoValidate(order) {
            const config = this.pos.config;
            if (
                !order ||
                !config.auto_validate_terminal_payment ||
                !order.isPaid() ||
                order.isRefundInProcess()
            ) {
                return;
            }
            const screen = this.paymentScreen;
            if (screen && screen.currentOrder?.uuid === order.uuid) {
                screen.validateOrder(false);
            } else {
                this.validateWhenShown.add(order.uuid);
            }
        }

        /** The payment screen of ``order`` is shown: validate it if a payment finished meanwhile. */
        paymentScreenShown(screen) {
            this.paymentScreen = screen;
            const order = screen.currentOrder;
            if (order && this.validateWhenShown.delete(order.uuid)) {
                this._autoValidate(order);
            }
        }

        paymentScreenHidden(screen) {
            if (this.paymentScreen === screen) {
                this.paymentScreen = null;
            }
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
                // The payment screen's promise went with the page: the outcome comes back here,
                // and the order validates itself as it would have (see _followOutcome).
                this._followOutcome(uuid, data.attempt);
                if (!data.reference) {
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
    };
