//! Messages a page shows from its URL (`?error=CODE`, `?notice=CODE`), for
//! plain form posts that redirect back. Only these codes exist: a URL can
//! pick one of them, never write text of its own onto the page (no fake
//! "call this number" notices, no injected markup). Unknown codes show nothing.
//!
//! `wait=N` (whole minutes, bounded) completes the messages that say how long
//! to wait; it is parsed as a number, never shown as given.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    // accounts
    WrongCredentials,
    TooManyAttempts,
    SignUpLimited,
    Busy,
    LoginTaken,
    LoginLength,
    LoginCharacters,
    WeakPassword,
    PasswordsDiffer,
    PasswordFailed,
    Unavailable,
    // deposits
    AmountEmpty,
    AmountNotANumber,
    AmountDecimals,
    AmountNotPositive,
    AmountTooLarge,
    AmountOutOfRange,
    WholeRupeesOnly,
    TooManyOpen,
    ChooseMethod,
    NoSuchDeposit,
    CheckTooSoon,
    PaidAwaitingPostback,
    StillWaiting,
    CheckFailed,
    SignInFirst,
    // admin
    NotInSuspense,
    UnknownUser,
    NotRupees,
    PaymentAssigned,
    AdminsOnly,
    // admin console: deposit detail
    NoteAdded,
    NoteEmpty,
    RecheckChanged,
    RecheckUnchanged,
    // admin console: balances and the postback inspector
    AdjustDirection,
    ReasonRequired,
    ReasonTooLong,
    AdjustFormExpired,
    DebitExceedsAvailable,
    AdjustKeyUsed,
    Adjusted,
    AdjustedAlready,
    InspectNothing,
    InspectTooLarge,
    NoSuchPostback,
    // withdrawals
    WithdrawalSubmitted,
    WithdrawalUnknown,
    WithdrawalRejected,
    WithdrawalNotSent,
    WithdrawalInsufficient,
    WithdrawalOutOfRange,
    WithdrawalKeyUsed,
    WithdrawalFieldsInvalid,
    WithdrawalCancelled,
    WithdrawalNotCancellable,
    NoSuchWithdrawal,
    CancelReasonRequired,
    WithdrawalPaid,
    WithdrawalWasCancelled,
}

/// Every message: its code in URLs and its text.
const MESSAGES: &[(Message, &str, &str)] = &[
    (Message::WrongCredentials, "wrong_credentials", "Wrong login or password."),
    (Message::TooManyAttempts, "too_many_attempts", "Too many attempts; try again later."),
    (Message::SignUpLimited, "signup_limited", "Too many accounts were created from your network; try again later."),
    (Message::Busy, "busy", "The server is busy; try again in a moment."),
    (Message::LoginTaken, "login_taken", "That login is taken. Choose another."),
    (Message::LoginLength, "login_length", "A login has 3 to 36 characters."),
    (Message::LoginCharacters, "login_characters", "A login may use only lowercase letters a-z, digits, '_' and '-'."),
    (Message::WeakPassword, "weak_password", "A password has 8 to 128 characters."),
    (Message::PasswordsDiffer, "passwords_differ", "The two passwords differ."),
    (Message::PasswordFailed, "password_failed", "Could not process the password."),
    (Message::Unavailable, "unavailable", "The service is temporarily unavailable. Try again in a moment."),
    (Message::AmountEmpty, "amount_empty", "Enter an amount."),
    (Message::AmountNotANumber, "amount_not_a_number", "Enter the amount in rupees, like 250 or 250.50."),
    (Message::AmountDecimals, "amount_decimals", "Use at most two decimals (paise)."),
    (Message::AmountNotPositive, "amount_not_positive", "The amount must be more than zero."),
    (Message::AmountTooLarge, "amount_too_large", "That amount is too large."),
    (Message::AmountOutOfRange, "amount_out_of_range", "The amount is outside the range this portal accepts."),
    (
        Message::WholeRupeesOnly,
        "whole_rupees_only",
        "The payment window takes whole rupees; remove the paise or pay by QR.",
    ),
    (
        Message::TooManyOpen,
        "too_many_open",
        "You already have as many payments waiting as allowed. Finish or let one expire first.",
    ),
    (Message::ChooseMethod, "choose_method", "Choose how to pay: QR code or payment window."),
    (Message::NoSuchDeposit, "no_such_deposit", "No such deposit."),
    (Message::CheckTooSoon, "check_too_soon", "Please wait a few seconds before checking again."),
    (
        Message::PaidAwaitingPostback,
        "paid_awaiting_postback",
        "The provider confirms the payment; crediting in a moment.",
    ),
    (Message::StillWaiting, "still_waiting", "Still waiting for your payment."),
    (Message::CheckFailed, "check_failed", "Could not check the payment just now. Try again in a moment."),
    (Message::SignInFirst, "sign_in_first", "Please sign in."),
    (
        Message::NotInSuspense,
        "not_in_suspense",
        "No payment in suspense has that UPI reference (it may be assigned already).",
    ),
    (Message::UnknownUser, "unknown_user", "No user has that login."),
    (Message::NotRupees, "not_rupees", "This payment was not signed in INR: it cannot be credited as rupees."),
    (Message::PaymentAssigned, "payment_assigned", "The payment was credited to the user."),
    (Message::AdminsOnly, "admins_only", "Admins only."),
    (Message::NoteAdded, "note_added", "The note was added to the deposit's timeline."),
    (Message::NoteEmpty, "note_empty", "Write a note of 1 to 1,000 characters."),
    (Message::RecheckChanged, "recheck_changed", "Checked at the provider: the deposit's status changed."),
    (Message::RecheckUnchanged, "recheck_unchanged", "Checked at the provider: nothing changed."),
    (Message::AdjustDirection, "adjust_direction", "Choose credit or debit."),
    (
        Message::ReasonRequired,
        "reason_required",
        "Give the reason for the adjustment: it goes into the ledger and the audit trail.",
    ),
    (Message::ReasonTooLong, "reason_too_long", "Keep the reason to 500 characters or fewer."),
    (Message::AdjustFormExpired, "adjust_form_expired", "This form is out of date. Reload the page and try again."),
    (
        Message::DebitExceedsAvailable,
        "debit_exceeds_available",
        "The debit is more than the user's available balance. Nothing was changed.",
    ),
    (
        Message::AdjustKeyUsed,
        "adjust_key_used",
        "This form was already used for a different adjustment. Nothing was changed; use the fresh form below.",
    ),
    (Message::Adjusted, "adjusted", "The balance was adjusted."),
    (
        Message::AdjustedAlready,
        "adjusted_already",
        "This adjustment was already made (the form was sent twice); nothing changed the second time.",
    ),
    (Message::InspectNothing, "inspect_nothing", "Paste a postback body, or enter the id of a received postback."),
    (
        Message::InspectTooLarge,
        "inspect_too_large",
        "The pasted body is larger than BODY_LIMIT_BYTES: the postback endpoint would refuse it (413) without reading it.",
    ),
    (Message::NoSuchPostback, "no_such_postback", "No postback has that id."),
    (
        Message::WithdrawalSubmitted,
        "withdrawal_submitted",
        "Your withdrawal was sent to the bank by IMPS. The amount stays reserved until the bank confirms it.",
    ),
    (
        Message::WithdrawalUnknown,
        "withdrawal_unknown",
        "The bank has not confirmed your withdrawal yet. The amount stays reserved; it is either paid out or returned to your balance, never both.",
    ),
    (
        Message::WithdrawalRejected,
        "withdrawal_rejected",
        "The provider refused the withdrawal. The amount is back in your available balance.",
    ),
    (
        Message::WithdrawalNotSent,
        "withdrawal_not_sent",
        "The withdrawal could not be sent right now. The amount is back in your available balance; try again in a few minutes.",
    ),
    (
        Message::WithdrawalInsufficient,
        "withdrawal_insufficient",
        "The amount is more than your available balance. Nothing was reserved.",
    ),
    (Message::WithdrawalOutOfRange, "withdrawal_out_of_range", "The amount is outside the range this portal pays out."),
    (
        Message::WithdrawalKeyUsed,
        "withdrawal_key_used",
        "This confirmation was already used for a different withdrawal. Nothing was sent; fill in the form again.",
    ),
    (
        Message::WithdrawalFieldsInvalid,
        "withdrawal_fields_invalid",
        "The withdrawal details were not valid. Nothing was reserved; fill in the form again.",
    ),
    (
        Message::WithdrawalCancelled,
        "withdrawal_cancelled",
        "The withdrawal was cancelled and its hold released to the user's available balance.",
    ),
    (
        Message::WithdrawalNotCancellable,
        "withdrawal_not_cancellable",
        "Only a withdrawal still waiting for the provider can be cancelled; this one is already settled.",
    ),
    (Message::NoSuchWithdrawal, "no_such_withdrawal", "No such withdrawal."),
    (Message::WithdrawalPaid, "withdrawal_paid", "This withdrawal was already paid out to your bank account."),
    (
        Message::WithdrawalWasCancelled,
        "withdrawal_was_cancelled",
        "This withdrawal was cancelled by support. The amount is back in your available balance.",
    ),
    (
        Message::CancelReasonRequired,
        "cancel_reason_required",
        "Give the reason for the cancellation (up to 500 characters): it goes into the audit trail.",
    ),
];

/// The longest wait a URL can state, in minutes (a day).
pub const MAX_WAIT_MINUTES: u32 = 1_440;

impl Message {
    pub fn from_code(code: &str) -> Option<Message> {
        MESSAGES.iter().find(|(_, c, _)| *c == code).map(|(m, _, _)| *m)
    }

    pub fn code(self) -> &'static str {
        MESSAGES.iter().find(|(m, _, _)| *m == self).map(|(_, c, _)| *c).unwrap_or("unavailable")
    }

    pub fn text(self) -> &'static str {
        MESSAGES.iter().find(|(m, _, _)| *m == self).map(|(_, _, t)| *t).unwrap_or("")
    }

    /// The text, with the wait in minutes where the message has one.
    pub fn render(self, wait_minutes: Option<u32>) -> String {
        let wait = wait_minutes.filter(|m| (1..=MAX_WAIT_MINUTES).contains(m));
        match (self, wait) {
            (Message::TooManyAttempts, Some(m)) => format!("Too many attempts; try again in {}.", minutes(m)),
            (Message::SignUpLimited, Some(m)) => {
                format!("Too many accounts were created from your network; try again in {}.", minutes(m))
            }
            _ => self.text().to_string(),
        }
    }

    /// What a page shows for `?{param}=CODE&wait=N`: nothing for an unknown code.
    pub fn from_query(code: Option<&str>, wait: Option<&str>) -> Option<String> {
        let message = Message::from_code(code?)?;
        Some(message.render(wait.and_then(|w| w.parse::<u32>().ok())))
    }
}

fn minutes(m: u32) -> String {
    if m == 1 { "1 minute".to_string() } else { format!("{m} minutes") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_round_trips() {
        for (m, code, text) in MESSAGES {
            assert_eq!(Message::from_code(code), Some(*m));
            assert_eq!(m.code(), *code);
            assert_eq!(m.text(), *text);
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code} needs no URL encoding");
        }
        let mut codes: Vec<_> = MESSAGES.iter().map(|(_, c, _)| c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), MESSAGES.len());
    }

    #[test]
    fn unknown_codes_and_free_text_show_nothing() {
        for input in [
            "<script>alert(1)</script>",
            "Call +91 98765 43210 to unlock your account",
            "",
            "WRONG_CREDENTIALS",
            "wrong_credentials ",
        ] {
            assert_eq!(Message::from_query(Some(input), None), None, "{input}");
        }
        assert_eq!(Message::from_query(None, Some("5")), None);
    }

    #[test]
    fn the_wait_is_a_bounded_number() {
        let shown = |w| Message::from_query(Some("too_many_attempts"), w);
        assert_eq!(shown(Some("15")).as_deref(), Some("Too many attempts; try again in 15 minutes."));
        assert_eq!(shown(Some("1")).as_deref(), Some("Too many attempts; try again in 1 minute."));
        for bad in ["0", "-3", "99999", "15<b>", "1e3"] {
            assert_eq!(shown(Some(bad)).as_deref(), Some("Too many attempts; try again later."), "{bad}");
        }
        assert_eq!(
            Message::from_query(Some("login_taken"), Some("9")).as_deref(),
            Some("That login is taken. Choose another.")
        );
    }
}
