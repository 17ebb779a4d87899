//! Payment-window (plugin) links.
//!
//! `https://plugin.{server}/?label=..&currency_code=INR&lang=en|hi&wallet_type=upi_s
//! &custom_transaction_id=..&fixed_amount=..` plus the return targets.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Longest `label` / `custom_transaction_id` the provider accepts.
pub const MAX_ID_LEN: usize = 190;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Hi,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }
}

/// Where the payment window sends the user afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReturnTargets {
    /// No return parameters.
    #[default]
    None,
    /// `payment_url_success_id / _pending_id / _fail_id`: numeric IDs that the
    /// provider's support issues for URLs the merchant registered.
    Ids { success: u32, pending: u32, fail: u32 },
    /// `success_url / pending_url / fail_url`: *hashed* URLs. The provider's
    /// hashing scheme is not public, so these are opaque values supplied by
    /// the operator and sent as given (percent-encoded). Never computed here.
    Hashed { success: String, pending: String, fail: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginLink {
    /// e.g. `https://plugin.example.com/`; may already contain a query.
    pub base_url: String,
    /// The user's ID on the merchant side.
    pub label: String,
    /// Unique per deposit in the merchant's system.
    pub custom_transaction_id: String,
    /// Integer rupees (the plugin takes an integer amount).
    pub fixed_amount_rupees: i64,
    pub lang: Lang,
    pub return_targets: ReturnTargets,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginLinkError {
    #[error("the payment window base URL must start with https:// or http://")]
    BadBaseUrl,
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    #[error("`{0}` is longer than 190 characters")]
    TooLong(&'static str),
    #[error("the amount must be a positive whole number of rupees")]
    BadAmount,
}

fn enc(s: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(s, QUERY_VALUE)
}

impl PluginLink {
    /// Optional sanity checks before [`PluginLink::to_url`].
    pub fn validate(&self) -> Result<(), PluginLinkError> {
        let lower = self.base_url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(PluginLinkError::BadBaseUrl);
        }
        for (name, v) in [("label", &self.label), ("custom_transaction_id", &self.custom_transaction_id)] {
            if v.is_empty() {
                return Err(PluginLinkError::Empty(name));
            }
            if v.chars().count() > MAX_ID_LEN {
                return Err(PluginLinkError::TooLong(name));
            }
        }
        if let ReturnTargets::Hashed { success, pending, fail } = &self.return_targets {
            for (name, v) in [("success_url", success), ("pending_url", pending), ("fail_url", fail)] {
                if v.is_empty() {
                    return Err(PluginLinkError::Empty(name));
                }
            }
        }
        if self.fixed_amount_rupees <= 0 {
            return Err(PluginLinkError::BadAmount);
        }
        Ok(())
    }

    /// The payment-window URL. Every value is percent-encoded; a `#fragment`
    /// in `base_url` is kept at the end.
    pub fn to_url(&self) -> String {
        let (base, fragment) = match self.base_url.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (self.base_url.as_str(), None),
        };
        let mut url = String::from(base);
        if !base.contains('?') {
            url.push('?');
        } else if !(base.ends_with('?') || base.ends_with('&')) {
            url.push('&');
        }
        url.push_str(&format!(
            "label={}&currency_code=INR&lang={}&wallet_type=upi_s&custom_transaction_id={}&fixed_amount={}",
            enc(&self.label),
            self.lang.as_str(),
            enc(&self.custom_transaction_id),
            self.fixed_amount_rupees,
        ));
        match &self.return_targets {
            ReturnTargets::None => {}
            ReturnTargets::Ids { success, pending, fail } => url.push_str(&format!(
                "&payment_url_success_id={success}&payment_url_pending_id={pending}&payment_url_fail_id={fail}"
            )),
            ReturnTargets::Hashed { success, pending, fail } => url.push_str(&format!(
                "&success_url={}&pending_url={}&fail_url={}",
                enc(success),
                enc(pending),
                enc(fail)
            )),
        }
        if let Some(f) = fragment {
            url.push('#');
            url.push_str(f);
        }
        url
    }
}

/// The payment window's names of the return parameters, in the order kept.
pub const RETURN_PARAMS: [&str; 6] = [
    "payment_url_success_id",
    "payment_url_pending_id",
    "payment_url_fail_id",
    "success_url",
    "pending_url",
    "fail_url",
];

/// What is wrong with a payment-window link, in the shopper's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginParamError {
    Lang,
    LabelMissing,
    LabelTooLong,
    Currency,
    WalletType,
    TransactionIdMissing,
    TransactionIdTooLong,
    AmountMissing,
    AmountNotWhole,
    /// A `payment_url_*_id` that is not a positive whole number.
    ReturnId(&'static str),
    /// A `*_url` that is empty or longer than 2048 characters.
    ReturnUrl(&'static str),
}

impl PluginParamError {
    pub fn message(&self, lang: Lang) -> String {
        let hi = lang == Lang::Hi;
        let t = |en: &str, hin: &str| if hi { hin.to_owned() } else { en.to_owned() };
        match self {
            PluginParamError::Lang => "The language (lang) must be en or hi.".to_owned(),
            PluginParamError::LabelMissing => {
                t("The label (your user ID) is missing.", "लेबल (आपकी यूज़र आईडी) नहीं दिया गया है।")
            }
            PluginParamError::LabelTooLong => t("The label is longer than 190 characters.", "लेबल 190 अक्षरों से लंबा है।"),
            PluginParamError::Currency => {
                t("The currency (currency_code) must be INR.", "मुद्रा (currency_code) INR होनी चाहिए।")
            }
            PluginParamError::WalletType => {
                t("The wallet type (wallet_type) must be upi_s.", "वॉलेट प्रकार (wallet_type) upi_s होना चाहिए।")
            }
            PluginParamError::TransactionIdMissing => t(
                "The transaction ID (custom_transaction_id) is missing.",
                "लेन-देन आईडी (custom_transaction_id) नहीं दी गई है।",
            ),
            PluginParamError::TransactionIdTooLong => {
                t("The transaction ID is longer than 190 characters.", "लेन-देन आईडी 190 अक्षरों से लंबी है।")
            }
            PluginParamError::AmountMissing => {
                t("The amount (fixed_amount) is missing.", "राशि (fixed_amount) नहीं दी गई है।")
            }
            PluginParamError::AmountNotWhole => t(
                "The amount (fixed_amount) must be a whole number of rupees.",
                "राशि (fixed_amount) रुपयों की पूर्ण संख्या होनी चाहिए।",
            ),
            PluginParamError::ReturnId(name) => {
                if hi {
                    format!("{name} एक धनात्मक पूर्ण संख्या होनी चाहिए।")
                } else {
                    format!("{name} must be a positive whole number.")
                }
            }
            PluginParamError::ReturnUrl(name) => {
                if hi {
                    format!("{name} खाली या बहुत लंबा नहीं हो सकता।")
                } else {
                    format!("{name} must not be empty or longer than 2048 characters.")
                }
            }
        }
    }
}

/// A payment-window link read back: the inverse of [`PluginLink::to_url`].
/// Every parameter is checked and every problem listed (the window shows
/// them all); what could be read is kept beside the errors, so the caller
/// can add its own checks (the amount range) to the same list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginQuery {
    pub lang: Lang,
    pub label: Option<String>,
    pub custom_transaction_id: Option<String>,
    pub fixed_amount_rupees: Option<i64>,
    /// The return parameters as given, re-encoded as a query string.
    pub return_targets: String,
    pub errors: Vec<PluginParamError>,
}

impl PluginQuery {
    /// Reads a query string (without `?`); the first value of each parameter counts.
    pub fn parse(query: &str) -> PluginQuery {
        let mut p: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            p.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        let mut q = PluginQuery::default();
        q.lang = match p.get("lang").map(String::as_str) {
            None | Some("") | Some("en") => Lang::En,
            Some("hi") => Lang::Hi,
            Some(_) => {
                q.errors.push(PluginParamError::Lang);
                Lang::En
            }
        };
        let get = |k: &str| p.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let id =
            |name: &str, missing: PluginParamError, too_long: PluginParamError, errors: &mut Vec<_>| match get(name) {
                None => {
                    errors.push(missing);
                    None
                }
                Some(v) if v.chars().count() > MAX_ID_LEN => {
                    errors.push(too_long);
                    None
                }
                Some(v) => Some(v.to_owned()),
            };
        q.label = id("label", PluginParamError::LabelMissing, PluginParamError::LabelTooLong, &mut q.errors);
        if get("currency_code") != Some("INR") {
            q.errors.push(PluginParamError::Currency);
        }
        if get("wallet_type") != Some("upi_s") {
            q.errors.push(PluginParamError::WalletType);
        }
        q.custom_transaction_id = id(
            "custom_transaction_id",
            PluginParamError::TransactionIdMissing,
            PluginParamError::TransactionIdTooLong,
            &mut q.errors,
        );
        q.fixed_amount_rupees = match get("fixed_amount") {
            None => {
                q.errors.push(PluginParamError::AmountMissing);
                None
            }
            Some(a) => match a
                .parse::<i64>()
                .ok()
                .filter(|_| a.bytes().all(|b| b.is_ascii_digit()))
                .filter(|r| r.checked_mul(100).is_some())
            {
                None => {
                    q.errors.push(PluginParamError::AmountNotWhole);
                    None
                }
                Some(r) => Some(r),
            },
        };
        let mut returns: Vec<(&str, &str)> = Vec::new();
        for name in RETURN_PARAMS {
            let Some(v) = p.get(name) else { continue };
            let v = v.trim();
            if name.ends_with("_id") {
                if v.is_empty()
                    || v.len() > 9
                    || !v.bytes().all(|b| b.is_ascii_digit())
                    || v.parse::<u32>().ok() == Some(0)
                {
                    q.errors.push(PluginParamError::ReturnId(name));
                    continue;
                }
            } else if v.is_empty() || v.len() > 2048 {
                q.errors.push(PluginParamError::ReturnUrl(name));
                continue;
            }
            returns.push((name, v));
        }
        q.return_targets = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(returns).finish();
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_as_it_was_built() {
        let link = PluginLink {
            base_url: "https://plugin.example.com/".into(),
            label: "user 42/ä".into(),
            custom_transaction_id: "dep_abc&x=1".into(),
            fixed_amount_rupees: 500,
            lang: Lang::Hi,
            return_targets: ReturnTargets::Ids { success: 2, pending: 3, fail: 1 },
        };
        let url = link.to_url();
        let q = PluginQuery::parse(url.split_once('?').unwrap().1);
        assert_eq!(q.errors, vec![]);
        assert_eq!(q.lang, Lang::Hi);
        assert_eq!(q.label.as_deref(), Some("user 42/ä"));
        assert_eq!(q.custom_transaction_id.as_deref(), Some("dep_abc&x=1"));
        assert_eq!(q.fixed_amount_rupees, Some(500));
        assert_eq!(q.return_targets, "payment_url_success_id=2&payment_url_pending_id=3&payment_url_fail_id=1");
    }

    #[test]
    fn every_problem_of_a_link_is_listed() {
        let q = PluginQuery::parse("lang=fr&currency_code=USD&fixed_amount=1.5&payment_url_fail_id=0&fail_url=");
        assert_eq!(
            q.errors,
            vec![
                PluginParamError::Lang,
                PluginParamError::LabelMissing,
                PluginParamError::Currency,
                PluginParamError::WalletType,
                PluginParamError::TransactionIdMissing,
                PluginParamError::AmountNotWhole,
                PluginParamError::ReturnId("payment_url_fail_id"),
                PluginParamError::ReturnUrl("fail_url"),
            ]
        );
        let long = "x".repeat(191);
        let q = PluginQuery::parse(&format!(
            "label={long}&custom_transaction_id={long}&currency_code=INR&wallet_type=upi_s"
        ));
        assert_eq!(
            q.errors,
            vec![
                PluginParamError::LabelTooLong,
                PluginParamError::TransactionIdTooLong,
                PluginParamError::AmountMissing
            ]
        );
        assert_eq!(PluginParamError::AmountMissing.message(Lang::Hi), "राशि (fixed_amount) नहीं दी गई है।");
        assert_eq!(PluginParamError::ReturnId("x_id").message(Lang::En), "x_id must be a positive whole number.");
    }

    fn link() -> PluginLink {
        PluginLink {
            base_url: "https://plugin.example.com/".into(),
            label: "user-42".into(),
            custom_transaction_id: "dep_0001".into(),
            fixed_amount_rupees: 500,
            lang: Lang::En,
            return_targets: ReturnTargets::None,
        }
    }

    #[test]
    fn basic_url() {
        assert_eq!(
            link().to_url(),
            "https://plugin.example.com/?label=user-42&currency_code=INR&lang=en&wallet_type=upi_s&custom_transaction_id=dep_0001&fixed_amount=500"
        );
        assert_eq!(link().validate(), Ok(()));
    }

    #[test]
    fn ids_and_hindi() {
        let mut l = link();
        l.lang = Lang::Hi;
        l.return_targets = ReturnTargets::Ids { success: 2, pending: 3, fail: 1 };
        assert_eq!(
            l.to_url(),
            "https://plugin.example.com/?label=user-42&currency_code=INR&lang=hi&wallet_type=upi_s&custom_transaction_id=dep_0001&fixed_amount=500&payment_url_success_id=2&payment_url_pending_id=3&payment_url_fail_id=1"
        );
    }

    #[test]
    fn hashed_targets_are_opaque_and_encoded() {
        let mut l = link();
        l.return_targets =
            ReturnTargets::Hashed { success: "abc+/=".into(), pending: "p q".into(), fail: "f&x=1".into() };
        assert!(
            l.to_url().ends_with("&fixed_amount=500&success_url=abc%2B%2F%3D&pending_url=p%20q&fail_url=f%26x%3D1")
        );
        l.return_targets = ReturnTargets::Hashed { success: String::new(), pending: "p".into(), fail: "f".into() };
        assert_eq!(l.validate(), Err(PluginLinkError::Empty("success_url")));
    }

    #[test]
    fn encodes_values() {
        let mut l = link();
        l.label = "a b&c=d?e#f/g~h.i_j-k".into();
        l.custom_transaction_id = "सीता 1%".into();
        let url = l.to_url();
        assert!(url.contains("label=a%20b%26c%3Dd%3Fe%23f%2Fg~h.i_j-k&"), "{url}");
        assert!(url.contains("custom_transaction_id=%E0%A4%B8%E0%A5%80%E0%A4%A4%E0%A4%BE%201%25&"), "{url}");
        // The URL itself has no raw space, non-ASCII or extra '#'.
        assert!(url.is_ascii() && !url.contains(' ') && !url.contains('#'));
    }

    #[test]
    fn base_with_existing_query_and_fragment() {
        let mut l = link();
        l.base_url = "https://plugin.example.com/?v=2".into();
        assert!(l.to_url().starts_with("https://plugin.example.com/?v=2&label=user-42&"));
        l.base_url = "https://plugin.example.com/?v=2&".into();
        assert!(l.to_url().starts_with("https://plugin.example.com/?v=2&label=user-42&"));
        l.base_url = "https://plugin.example.com/?".into();
        assert!(l.to_url().starts_with("https://plugin.example.com/?label=user-42&"));
        l.base_url = "https://plugin.example.com/#top".into();
        let u = l.to_url();
        assert!(u.starts_with("https://plugin.example.com/?label=") && u.ends_with("&fixed_amount=500#top"), "{u}");
    }

    #[test]
    fn validation() {
        let mut l = link();
        l.fixed_amount_rupees = 0;
        assert_eq!(l.validate(), Err(PluginLinkError::BadAmount));
        l = link();
        l.label = String::new();
        assert_eq!(l.validate(), Err(PluginLinkError::Empty("label")));
        l = link();
        l.custom_transaction_id = "x".repeat(191);
        assert_eq!(l.validate(), Err(PluginLinkError::TooLong("custom_transaction_id")));
        l.custom_transaction_id = "स".repeat(190);
        assert_eq!(l.validate(), Ok(()));
        l.base_url = "javascript:alert(1)".into();
        assert_eq!(l.validate(), Err(PluginLinkError::BadBaseUrl));
    }
}
