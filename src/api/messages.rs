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

/// Every message: its code in URLs, and whether only admins see it (their
/// console is English). The words are in `locales/*/portal.ftl` under
/// `msg-{code}` (`admin-msg-{code}` for admin messages).
const MESSAGES: &[(Message, &str, bool)] = &[
    (Message::WrongCredentials, "wrong_credentials", false),
    (Message::TooManyAttempts, "too_many_attempts", false),
    (Message::SignUpLimited, "signup_limited", false),
    (Message::Busy, "busy", false),
    (Message::LoginTaken, "login_taken", false),
    (Message::LoginLength, "login_length", false),
    (Message::LoginCharacters, "login_characters", false),
    (Message::WeakPassword, "weak_password", false),
    (Message::PasswordsDiffer, "passwords_differ", false),
    (Message::PasswordFailed, "password_failed", false),
    (Message::Unavailable, "unavailable", false),
    (Message::AmountEmpty, "amount_empty", false),
    (Message::AmountNotANumber, "amount_not_a_number", false),
    (Message::AmountDecimals, "amount_decimals", false),
    (Message::AmountNotPositive, "amount_not_positive", false),
    (Message::AmountTooLarge, "amount_too_large", false),
    (Message::AmountOutOfRange, "amount_out_of_range", false),
    (Message::WholeRupeesOnly, "whole_rupees_only", false),
    (Message::TooManyOpen, "too_many_open", false),
    (Message::ChooseMethod, "choose_method", false),
    (Message::NoSuchDeposit, "no_such_deposit", false),
    (Message::CheckTooSoon, "check_too_soon", false),
    (Message::PaidAwaitingPostback, "paid_awaiting_postback", false),
    (Message::StillWaiting, "still_waiting", false),
    (Message::CheckFailed, "check_failed", false),
    (Message::SignInFirst, "sign_in_first", false),
    (Message::NotInSuspense, "not_in_suspense", true),
    (Message::UnknownUser, "unknown_user", true),
    (Message::NotRupees, "not_rupees", true),
    (Message::PaymentAssigned, "payment_assigned", true),
    (Message::AdminsOnly, "admins_only", true),
    (Message::NoteAdded, "note_added", true),
    (Message::NoteEmpty, "note_empty", true),
    (Message::RecheckChanged, "recheck_changed", true),
    (Message::RecheckUnchanged, "recheck_unchanged", true),
    (Message::AdjustDirection, "adjust_direction", true),
    (Message::ReasonRequired, "reason_required", true),
    (Message::ReasonTooLong, "reason_too_long", true),
    (Message::AdjustFormExpired, "adjust_form_expired", true),
    (Message::DebitExceedsAvailable, "debit_exceeds_available", true),
    (Message::AdjustKeyUsed, "adjust_key_used", true),
    (Message::Adjusted, "adjusted", true),
    (Message::AdjustedAlready, "adjusted_already", true),
    (Message::InspectNothing, "inspect_nothing", true),
    (Message::InspectTooLarge, "inspect_too_large", true),
    (Message::NoSuchPostback, "no_such_postback", true),
    (Message::WithdrawalSubmitted, "withdrawal_submitted", false),
    (Message::WithdrawalUnknown, "withdrawal_unknown", false),
    (Message::WithdrawalRejected, "withdrawal_rejected", false),
    (Message::WithdrawalNotSent, "withdrawal_not_sent", false),
    (Message::WithdrawalInsufficient, "withdrawal_insufficient", false),
    (Message::WithdrawalOutOfRange, "withdrawal_out_of_range", false),
    (Message::WithdrawalKeyUsed, "withdrawal_key_used", false),
    (Message::WithdrawalFieldsInvalid, "withdrawal_fields_invalid", false),
    (Message::WithdrawalCancelled, "withdrawal_cancelled", true),
    (Message::WithdrawalNotCancellable, "withdrawal_not_cancellable", true),
    (Message::NoSuchWithdrawal, "no_such_withdrawal", false),
    (Message::WithdrawalPaid, "withdrawal_paid", false),
    (Message::WithdrawalWasCancelled, "withdrawal_was_cancelled", false),
    (Message::CancelReasonRequired, "cancel_reason_required", true),
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

    /// Its key in the locale files.
    pub fn key(self) -> String {
        let admin = MESSAGES.iter().any(|(m, _, a)| *m == self && *a);
        format!("{}msg-{}", if admin { "admin-" } else { "" }, self.code())
    }

    /// The text in the language of the page or server function at hand.
    pub fn text(self) -> String {
        crate::i18n::t(&self.key())
    }

    /// The text, with the wait in minutes where the message has one.
    pub fn render(self, wait_minutes: Option<u32>) -> String {
        let wait = wait_minutes.filter(|m| (1..=MAX_WAIT_MINUTES).contains(m));
        match (self, wait) {
            (Message::TooManyAttempts | Message::SignUpLimited, Some(m)) => {
                let minutes = m.to_string();
                let minutes =
                    crate::i18n::t_with(if m == 1 { "minutes-one" } else { "minutes-many" }, &[("n", &minutes)]);
                crate::i18n::t_with(&format!("{}-wait", self.key()), &[("wait", &minutes)])
            }
            _ => self.text(),
        }
    }

    /// What a page shows for `?{param}=CODE&wait=N`: nothing for an unknown code.
    pub fn from_query(code: Option<&str>, wait: Option<&str>) -> Option<String> {
        let message = Message::from_code(code?)?;
        Some(message.render(wait.and_then(|w| w.parse::<u32>().ok())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_round_trips() {
        for (m, code, _) in MESSAGES {
            assert_eq!(Message::from_code(code), Some(*m));
            assert_eq!(m.code(), *code);
            assert_ne!(m.text(), m.key(), "{code} has no English text");
            assert!(crate::i18n::has_key(crate::i18n::Lang::En, &m.key()), "{code}");
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
    fn every_user_message_is_in_hindi() {
        use crate::i18n::{Lang, has_key, tr_in};
        for (m, code, admin) in MESSAGES {
            if !admin {
                assert!(has_key(Lang::Hi, &m.key()), "{code}");
            }
        }
        let wait = tr_in(Lang::Hi, "msg-too_many_attempts-wait", &[("wait", "15 मिनट")]);
        assert!(wait.contains("15 मिनट"), "{wait}");
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
