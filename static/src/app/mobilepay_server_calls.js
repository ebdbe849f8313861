import { _t } from "@web/core/l10n/translation";
import { browser } from "@web/core/browser/browser";
import { ConnectionLostError, RPCError } from "@web/core/network/rpc";
import {
    CUSTOMER_FLOWS,
    INPUT,
    STARTING,
    brandOf,
    isMobilePayLine,
    mobilePayData,
} from "@pos_mobilepay/app/mobilepay_state";
import { MAX_OFFLINE_POLL_MS, MIN_POLL_MS } from "@pos_mobilepay/app/mobilepay_push";

/** How long a cancel waits for MobilePay to confirm before giving up. */
export const CANCEL_CONFIRM_TIMEOUT_MS = 20000;

/** The server refused the request as such (a UserError): nothing was stored. */
function isUserError(error) {
    return error instanceof RPCError && error.data?.name === "odoo.exceptions.UserError";
}

/**
 * The server calls of the POS's MobilePay follower (composed into
 * MobilePayTransactions, see mobilepay_transactions.js): the RPCs to the Odoo
 * server, which talks to MobilePay, that start a payment or refund, ask for a
 * transaction's status and cancel it, with what they do when the server cannot
 * be reached or refuses. What an answer changes is left to the state machine
 * (applyStatus, _fail, askCustomer in mobilepay_follower_states.js).
 */
export const MobilePayServerCalls = (Base) =>
    class extends Base {
        _call(line, method, arg) {
            return this.pos.data.call("pos.payment.method", method, [
                [line.payment_method_id.id],
                arg,
            ]);
        }

        /**
         * The payload of a status or cancel call: the server acts only within this
         * session's register.
         */
        _ask(values) {
            return { pos_session_id: this.pos.session.id, ...values };
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
                            "This refund is not linked to an order paid with %(brand)s. Refund it with another payment method.",
                            { brand: brandOf(line) }
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
                this._fail(
                    uuid,
                    _t("The server did not start the %(brand)s transaction.", {
                        brand: brandOf(line),
                    })
                );
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
                    isMobilePayLine(p) &&
                    p.getAmount() > 0 &&
                    (p.transaction_id || mobilePayData(p))
            );
            const reference =
                mobilePayData(originalPayment)?.reference || originalPayment?.transaction_id;
            if (reference) {
                origin.refunded_transaction_reference = reference;
            }
            return origin;
        }

        // ------------------------------------------------------------------
        // Status
        // ------------------------------------------------------------------

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
                        _t("%(brand)s could not cancel the payment: %(error)s", {
                            brand: brandOf(line),
                            error: this.errorMessage(error),
                        })
                    );
                    return false;
                }
                if (!running) {
                    this._fail(
                        uuid,
                        _t("Cancelled before %(brand)s answered.", { brand: brandOf(line) })
                    );
                    return true;
                }
                data.reference = running.reference;
                data.kind = running.kind || data.kind;
            }
            const reference = data.reference;
            data.cancelling = true;
            let status;
            try {
                status = await this._call(
                    line,
                    "mobilepay_cancel_payment",
                    this._ask({ reference })
                );
            } catch (error) {
                line = this.lineByReference(reference);
                if (line) {
                    mobilePayData(line).cancelling = false;
                    mobilePayData(line).error = this.errorMessage(error);
                }
                this._notify(
                    _t("%(brand)s could not cancel the payment: %(error)s", {
                        brand: brandOf(this.lineByUuid(uuid)),
                        error: this.errorMessage(error),
                    })
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
                    _t(
                        "The customer had already paid: the %(brand)s payment stays on the order.",
                        { brand: brandOf(line) }
                    ),
                    "warning"
                );
            }
            return !data.paid;
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
                    _t("%(brand)s has not finished this payment yet: it cannot be forced.", {
                        brand: brandOf(line),
                    }),
                    "warning"
                );
            }
            return Boolean(fresh?.paid);
        }
    };
