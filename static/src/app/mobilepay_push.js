import { browser } from "@web/core/browser/browser";
import { mobilePayData } from "@pos_mobilepay/app/mobilepay_state";

/** Without a bus push for this long, the POS asks the server itself. */
export const PUSH_GRACE_MS = 3000;
/** Polling never runs faster than this, whatever the server answered. */
export const MIN_POLL_MS = 500;
/** Back-off ceiling while the Odoo server cannot be reached. */
export const MAX_OFFLINE_POLL_MS = 15000;

/**
 * Push handling of the POS's MobilePay follower (composed into
 * MobilePayTransactions, see mobilepay_transactions.js): the bus pushes
 * (MOBILEPAY_STATE, MOBILEPAY_CHECKIN) that carry the live state, and the
 * fallback polling that asks the server when no push came for a few seconds.
 */
export const MobilePayPush = (Base) =>
    class extends Base {
        // ------------------------------------------------------------------
        // Bus pushes
        // ------------------------------------------------------------------

        /** A bus push (MOBILEPAY_STATE) for a reference of ours. */
        onPush(payload) {
            const line = this.lineByReference(payload?.reference);
            if (!line || mobilePayData(line).is_final) {
                return;
            }
            if (payload.line_uuid && payload.line_uuid !== line.uuid) {
                return;
            }
            if (this._pushNeedsDetails(line, payload)) {
                // The push carries ids and states, not the details (the reason of a refusal,
                // the payment's QR): ask the server once for them.
                this._fetchStatus(payload.reference, payload);
                return;
            }
            this.applyStatus(payload);
        }

        /**
         * Whether a push is not enough to act on. A paid final push is: it carries the
         * transaction id the receipt needs, and the server sent it only after the capture
         * was committed. Any other final push lacks the reason the cashier reads.
         */
        _pushNeedsDetails(line, payload) {
            if (payload.is_final) {
                return !(payload.paid && (payload.transaction_id || mobilePayData(line).transaction_id));
            }
            return this.adapterOf(line).needsDetails(mobilePayData(line), payload);
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

        // ------------------------------------------------------------------
        // Fallback polling (no push came for a while)
        // ------------------------------------------------------------------

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
    };
