//! What the portal asks the provider and what it answers, as our types
//! (amounts in paise, bank details parsed). The wire forms and the
//! conversions to and from them are in [`super::wire`].

use crate::domain::{AccountHolder, AccountNumber, Ifsc};

/// A new UPI S payment (host-to-host, `mode = upi_collect_qr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayment {
    pub amount_paise: i64,
    /// The user's ID on our side.
    pub label: String,
    /// Unique per deposit on our side; comes back as `plugin_custom_order_id`.
    pub custom_transaction_id: String,
}

/// The provider's answer to a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPayment {
    pub order_id: String,
    /// The UPI URI (`upi://pay?...`), to be used as given.
    pub qr_data: String,
    /// The provider's QR image, base64 PNG (`qr_string` on the wire).
    pub qr_png_base64: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Success,
    Processing,
    Failed,
}

/// An IMPS payout to a bank account. The bank details are parsed types
/// (`crate::domain::bank`); the account number is masked in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalRequest {
    /// 1-36 characters, unique on our side.
    pub withdrawal_id: String,
    /// Must be whole rupees: the amount is an integer on the wire.
    pub amount_paise: i64,
    /// 1-36 characters.
    pub label: String,
    pub account_number: AccountNumber,
    pub account_name: AccountHolder,
    pub ifsc: Ifsc,
    pub is_test: bool,
}
