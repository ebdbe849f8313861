import { MobilePayDialog } from "@pos_mobilepay/app/mobilepay_dialog/mobilepay_dialog";
import { isMobilePayLine, mobilePayData } from "@pos_mobilepay/app/mobilepay_state";
import { MobilePayFollowerStates } from "@pos_mobilepay/app/mobilepay_follower_states";
import { MobilePayPush } from "@pos_mobilepay/app/mobilepay_push";
import { MobilePayServerCalls } from "@pos_mobilepay/app/mobilepay_server_calls";

// The timings of the follower, each defined where it is used.
export { MAX_OFFLINE_POLL_MS, MIN_POLL_MS, PUSH_GRACE_MS } from "@pos_mobilepay/app/mobilepay_push";
export { PAID_DIALOG_CLOSE_MS } from "@pos_mobilepay/app/mobilepay_follower_states";
export { CANCEL_CONFIRM_TIMEOUT_MS } from "@pos_mobilepay/app/mobilepay_server_calls";

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
 *
 * The follower is made of three parts, each in its own file:
 *  - mobilepay_follower_states.js: the state machine (start, status updates,
 *    final states, resume after a reload);
 *  - mobilepay_server_calls.js: the RPCs to the Odoo server (start, status, cancel);
 *  - mobilepay_push.js: the bus pushes and the fallback polling.
 * This class holds what they share: the bookkeeping, the lookups and the dialogs.
 */
export class MobilePayTransactions extends MobilePayPush(
    MobilePayServerCalls(MobilePayFollowerStates(Object))
) {
    constructor(pos) {
        super();
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
        // the payment screen on display (it validates an order a payment finished, see _autoValidate)
        this.paymentScreen = null;
        // uuids of orders paid while their payment screen was not shown, to validate when it is
        this.validateWhenShown = new Set();
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
            (line) => isMobilePayLine(line) && mobilePayData(line) && !mobilePayData(line).is_final
        );
    }

    /** The payment interface (adapter) of the line's payment method. */
    adapterOf(line) {
        return line?.payment_method_id?.payment_terminal;
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
