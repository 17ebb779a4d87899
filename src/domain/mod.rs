//! Pure types shared by the browser and the server. Imports nothing of ours.
//! Parse, don't validate: every constructor checks its input once.

pub mod money;
pub mod time;
pub mod login;
pub mod deposit;

pub use deposit::{DepositStatus, PayMethod};
pub use login::Login;
pub use money::Money;
