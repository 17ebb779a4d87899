//! UPI URIs (`qr_data`) and app-specific deep links.
//!
//! We never build a UPI URI ourselves: the provider's `qr_data` is used as
//! given. [`parse_upi_uri`] only checks it (before showing it to a user) and
//! extracts the amount so it can be compared with the deposit.

const PREFIX: &str = "upi://pay?";
const SCHEME: &str = "upi://";

/// The parameters of a `upi://pay?` URI, percent-decoded. `Debug` masks
/// the payee address (`pa`), so a UPI ID never reaches a log whole.
#[derive(Clone, PartialEq, Eq)]
pub struct UpiUri {
    /// Payee VPA, `something@handle`.
    pub pa: String,
    /// `am` in paise.
    pub amount_paise: i64,
    /// Payee name.
    pub pn: Option<String>,
    /// Transaction note.
    pub tn: Option<String>,
    /// Transaction reference.
    pub tr: Option<String>,
    /// Currency; `INR` when present.
    pub cu: Option<String>,
    /// Merchant category code.
    pub mc: Option<String>,
    /// Any other parameters, decoded, in order.
    pub other: Vec<(String, String)>,
}

impl std::fmt::Debug for UpiUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpiUri")
            .field("pa", &mask_vpa(&self.pa))
            .field("amount_paise", &self.amount_paise)
            .field("pn", &self.pn)
            .field("tn", &self.tn)
            .field("tr", &self.tr)
            .field("cu", &self.cu)
            .field("mc", &self.mc)
            .field("other", &self.other.len())
            .finish()
    }
}

/// `ra••••@okhdfcbank`: the first two characters of the name and the handle.
pub fn mask_vpa(vpa: &str) -> String {
    match vpa.split_once('@') {
        Some((user, handle)) => {
            let shown: String = user.chars().take(2).collect();
            format!("{shown}{}@{handle}", "•".repeat(user.chars().count().saturating_sub(2).max(1)))
        }
        None => "•".repeat(vpa.chars().count().min(8)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpiUriError {
    #[error("not a UPI payment URI (must start with upi://pay?)")]
    NotUpiPay,
    #[error("the UPI URI has a malformed percent-escape or is not UTF-8 after decoding")]
    BadEncoding,
    #[error("the UPI URI has no `{0}` parameter")]
    Missing(&'static str),
    #[error("the UPI URI repeats the `{0}` parameter")]
    Duplicate(&'static str),
    #[error("the payee address (pa) is not a valid VPA like name@bank")]
    BadVpa,
    #[error("the amount (am) is not a positive rupee amount with at most two decimals")]
    BadAmount,
    #[error("the currency (cu) is not INR")]
    BadCurrency,
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Strict percent-decoding: `%XY` must be two hex digits, result must be
/// UTF-8. `+` is kept as a literal plus (RFC 3986, not form encoding).
fn decode(s: &str) -> Result<String, UpiUriError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_val);
            let lo = bytes.get(i + 2).copied().and_then(hex_val);
            match (hi, lo) {
                (Some(h), Some(l)) => out.push((h << 4) | l),
                _ => return Err(UpiUriError::BadEncoding),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UpiUriError::BadEncoding)
}

fn valid_vpa(pa: &str) -> bool {
    let Some((user, handle)) = pa.split_once('@') else {
        return false;
    };
    let user_ok = !user.is_empty()
        && user.len() <= 255
        && user.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    let handle_ok = !handle.is_empty()
        && handle.len() <= 64
        && handle.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    user_ok && handle_ok
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) { s.get(prefix.len()..) } else { None }
}

fn set_once(slot: &mut Option<String>, name: &'static str, v: String) -> Result<(), UpiUriError> {
    if slot.is_some() {
        return Err(UpiUriError::Duplicate(name));
    }
    *slot = Some(v);
    Ok(())
}

/// Parses and checks a `upi://pay?...` URI. The `upi://pay` part is matched
/// case-insensitively; parameter names are case-sensitive. Every recognised
/// parameter (`pa am pn tn tr cu mc`) may appear once; empty `&&` segments
/// are skipped.
pub fn parse_upi_uri(s: &str) -> Result<UpiUri, UpiUriError> {
    let query = strip_prefix_ci(s, PREFIX).ok_or(UpiUriError::NotUpiPay)?;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let (mut pa, mut am, mut pn, mut tn, mut tr, mut cu, mut mc) = (None, None, None, None, None, None, None);
    let mut other = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = decode(k)?;
        let v = decode(v)?;
        match k.as_str() {
            "pa" => set_once(&mut pa, "pa", v)?,
            "am" => set_once(&mut am, "am", v)?,
            "pn" => set_once(&mut pn, "pn", v)?,
            "tn" => set_once(&mut tn, "tn", v)?,
            "tr" => set_once(&mut tr, "tr", v)?,
            "cu" => set_once(&mut cu, "cu", v)?,
            "mc" => set_once(&mut mc, "mc", v)?,
            _ => other.push((k, v)),
        }
    }
    let pa = pa.ok_or(UpiUriError::Missing("pa"))?;
    if !valid_vpa(&pa) {
        return Err(UpiUriError::BadVpa);
    }
    let amount_paise = crate::domain::Money::from_upi_am(&am.ok_or(UpiUriError::Missing("am"))?)
        .map_err(|_| UpiUriError::BadAmount)?
        .paise();
    if let Some(c) = &cu
        && c != "INR"
    {
        return Err(UpiUriError::BadCurrency);
    }
    Ok(UpiUri { pa, amount_paise, pn, tn, tr, cu, mc, other })
}

/// Links that open a UPI app with the provider's `qr_data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLinks {
    /// `qr_data` as given (Android opens the system app chooser).
    pub generic: String,
    pub paytm: String,
    pub phonepe: String,
    pub gpay: String,
}

/// Replaces the leading `upi://` (any case) of `qr_data` with each app's
/// scheme. Validate `qr_data` with [`parse_upi_uri`] first: if it does not
/// start with `upi://`, the whole string is appended.
pub fn app_links(qr_data: &str) -> AppLinks {
    let rest = strip_prefix_ci(qr_data, SCHEME).unwrap_or(qr_data);
    AppLinks {
        generic: qr_data.to_owned(),
        paytm: format!("paytmmp://{rest}"),
        phonepe: format!("phonepe://{rest}"),
        gpay: format!("tez://upi/{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "upi://pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987";

    #[test]
    fn seed_example() {
        let u = parse_upi_uri(SEED).unwrap();
        assert_eq!(u.pa, "test@bank");
        assert_eq!(u.amount_paise, 10_000);
        assert_eq!(u.pn.as_deref(), Some("Test test"));
        assert_eq!(u.tn.as_deref(), Some("IT32021661770570987"));
        assert_eq!(u.tr.as_deref(), Some("IT32021661770570987"));
        assert_eq!((u.cu, u.mc), (None, None));
        assert!(u.other.is_empty());
    }

    #[test]
    fn full_uri_with_hindi_and_extras() {
        let s = "UPI://Pay?pa=shop.name-1@okaxis&pn=%E0%A4%B8%E0%A5%80%E0%A4%A4%E0%A4%BE+x&am=250.05&cu=INR&mc=5411&tr=ABC123&mode=02&&";
        let u = parse_upi_uri(s).unwrap();
        assert_eq!(u.pa, "shop.name-1@okaxis");
        assert_eq!(u.pn.as_deref(), Some("सीता+x"));
        assert_eq!(u.amount_paise, 25_005);
        assert_eq!(u.cu.as_deref(), Some("INR"));
        assert_eq!(u.mc.as_deref(), Some("5411"));
        assert_eq!(u.other, vec![("mode".to_owned(), "02".to_owned())]);
    }

    #[test]
    fn upi_addresses_are_masked_in_debug() {
        let u = parse_upi_uri("upi://pay?pa=rahul.sharma@okhdfcbank&am=10").unwrap();
        let dbg = format!("{u:?}");
        assert!(dbg.contains("ra••••••••••@okhdfcbank"), "{dbg}");
        assert!(!dbg.contains("rahul"), "{dbg}");
        assert_eq!(mask_vpa("a@b"), "a•@b");
        assert_eq!(mask_vpa("nohandle"), "••••••••");
    }

    #[test]
    fn amounts() {
        let ok = [
            ("1", 100),
            ("0.01", 1),
            ("250.5", 25_050),
            ("250.50", 25_050),
            ("007", 700),
            ("10000000000", 1_000_000_000_000),
        ];
        for (am, paise) in ok {
            let u = parse_upi_uri(&format!("upi://pay?pa=a@b&am={am}")).unwrap();
            assert_eq!(u.amount_paise, paise, "{am}");
        }
        for am in [
            "",
            "92233720368547758.07",
            "10000000000.01",
            "0",
            "0.00",
            "-1",
            "+1",
            "1.",
            ".5",
            "1.234",
            "1e2",
            "1,5",
            " 1",
            "1 ",
            "abc",
            "92233720368547758.08",
            "99999999999999999999",
        ] {
            let r = parse_upi_uri(&format!("upi://pay?pa=a@b&am={am}"));
            assert_eq!(r, Err(UpiUriError::BadAmount), "{am:?}");
        }
        // An encoded amount is decoded first.
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&am=%31%30").unwrap().amount_paise, 1000);
    }

    #[test]
    fn rejections() {
        assert_eq!(parse_upi_uri("https://pay?pa=a@b&am=1"), Err(UpiUriError::NotUpiPay));
        assert_eq!(parse_upi_uri("upi://mandate?pa=a@b&am=1"), Err(UpiUriError::NotUpiPay));
        assert_eq!(parse_upi_uri("upi://pay"), Err(UpiUriError::NotUpiPay));
        assert_eq!(parse_upi_uri("upi:/"), Err(UpiUriError::NotUpiPay));
        assert_eq!(parse_upi_uri("सीसीसी"), Err(UpiUriError::NotUpiPay));
        assert_eq!(parse_upi_uri("upi://pay?am=1"), Err(UpiUriError::Missing("pa")));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b"), Err(UpiUriError::Missing("am")));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&pa=c@d&am=1"), Err(UpiUriError::Duplicate("pa")));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&am=1&am=1000"), Err(UpiUriError::Duplicate("am")));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&am=1&%61m=2"), Err(UpiUriError::Duplicate("am")));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&am=1&cu=USD"), Err(UpiUriError::BadCurrency));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&am=1&pn=%zz"), Err(UpiUriError::BadEncoding));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&am=1&pn=%E0%A4"), Err(UpiUriError::BadEncoding));
        assert_eq!(parse_upi_uri("upi://pay?pa=a@b&am=1&pn=%4"), Err(UpiUriError::BadEncoding));
        for pa in ["ab", "@b", "a@", "a@b@c", "a b@c", "a@b%20c", "<x>@b", "सी@b"] {
            assert_eq!(parse_upi_uri(&format!("upi://pay?pa={pa}&am=1")), Err(UpiUriError::BadVpa), "{pa}");
        }
    }

    #[test]
    fn links() {
        let l = app_links(SEED);
        let rest = "pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987";
        assert_eq!(l.generic, SEED);
        assert_eq!(l.paytm, format!("paytmmp://{rest}"));
        assert_eq!(l.phonepe, format!("phonepe://{rest}"));
        assert_eq!(l.gpay, format!("tez://upi/{rest}"));
        let l = app_links("UPI://pay?pa=a@b&am=1");
        assert_eq!(l.gpay, "tez://upi/pay?pa=a@b&am=1");
        assert_eq!(l.generic, "UPI://pay?pa=a@b&am=1");
        // Short or non-ASCII input never panics.
        assert_eq!(app_links("upi").paytm, "paytmmp://upi");
        assert_eq!(app_links("सी").phonepe, "phonepe://सी");
    }
}
