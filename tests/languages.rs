//! English and Hindi: how the language is chosen and remembered, and that
//! every user page, message and island string comes in the chosen one.

mod common;
use common::TestApp;

const HINDI: &str = "hi-IN,hi;q=0.9,en;q=0.8";

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, http_parts::Parts, String) {
    let mut req = app.http.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("GET");
    let parts = http_parts::Parts::of(&resp);
    let status = resp.status().as_u16();
    (status, parts, resp.text().await.unwrap_or_default())
}

mod http_parts {
    pub struct Parts {
        pub set_cookies: Vec<String>,
        pub vary: String,
    }
    impl Parts {
        pub fn of(resp: &reqwest::Response) -> Parts {
            let all = |name: &str| -> Vec<String> {
                resp.headers().get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
            };
            Parts { set_cookies: all("set-cookie"), vary: all("vary").join(", ") }
        }
    }
}

async fn english_by_default_hindi_from_the_browser_language(app: TestApp) {
    let (status, parts, html) = get(&app, "/", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<html lang="en""#), "{}", &html[..300.min(html.len())]);
    assert!(html.contains("Top up by UPI in seconds"));
    assert!(parts.vary.contains("Accept-Language") && parts.vary.contains("Cookie"), "vary: {}", parts.vary);
    assert!(parts.set_cookies.iter().all(|c| !c.starts_with("lang=")), "nothing asked, nothing remembered");

    let (_, _, html) = get(&app, "/", &[("accept-language", HINDI)]).await;
    assert!(html.contains(r#"<html lang="hi""#));
    assert!(html.contains("UPI से सेकंडों में टॉप अप करें"), "home in Hindi");
    assert!(html.contains("टेस्ट मोड"), "the test-mode banner in Hindi");
    assert!(!html.contains("Top up by UPI in seconds"));
    // a language we do not speak falls back to English
    let (_, _, html) = get(&app, "/signin", &[("accept-language", "ta-IN,ta;q=0.9")]).await;
    assert!(html.contains(r#"<html lang="en""#) && html.contains("Sign in"));
    app.stop().await;
}

async fn the_switch_is_remembered_in_a_cookie_over_the_browser_language(app: TestApp) {
    let (_, parts, html) = get(&app, "/signin?lang=hi", &[("accept-language", "en-IN")]).await;
    assert!(html.contains(r#"<html lang="hi""#) && html.contains("साइन इन करें"));
    let cookie = parts.set_cookies.iter().find(|c| c.starts_with("lang=")).expect("lang cookie set").clone();
    assert!(cookie.starts_with("lang=hi;") && cookie.contains("Path=/") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Max-Age=31536000"), "remembered for a year: {cookie}");

    // the cookie wins over the browser's language, on every page
    let (_, parts, html) = get(&app, "/signup", &[("accept-language", "en-IN"), ("cookie", "lang=hi")]).await;
    assert!(html.contains("अपना खाता बनाएँ"));
    assert!(parts.set_cookies.iter().all(|c| !c.starts_with("lang=")), "already remembered");
    // and ?lang= wins over the cookie, and is remembered in its place
    let (_, parts, html) = get(&app, "/signup?lang=en", &[("cookie", "lang=hi")]).await;
    assert!(html.contains("Create your account"));
    assert!(parts.set_cookies.iter().any(|c| c.starts_with("lang=en;")));
    // nonsense is ignored, never echoed or remembered
    for bad in ["xx", "<script>", "hi%0d%0aSet-Cookie:x=1", ""] {
        let (status, parts, html) = get(&app, &format!("/signin?lang={bad}"), &[("cookie", "lang=zz")]).await;
        assert_eq!(status, 200, "{bad}");
        assert!(html.contains(r#"<html lang="en""#), "{bad}");
        assert!(parts.set_cookies.iter().all(|c| !c.starts_with("lang=")), "{bad}: {:?}", parts.set_cookies);
    }
    // the header offers the other language as a link to the same page
    let (_, _, html) = get(&app, "/signin", &[]).await;
    assert!(html.contains(r#"href="?lang=hi""#) && html.contains("हिन्दी"));
    app.stop().await;
}

async fn signed_in_pages_messages_and_islands_speak_hindi(app: TestApp) {
    let session = app.sign_up("sita", "pw-123456").await;
    let cookie = format!("{session}; lang=hi");

    // a refused amount comes back with its message in Hindi
    let loc = app.start_deposit(&session, "abc", "qr").await.unwrap_err();
    let (_, html) = app.get_html(&loc, Some(&cookie)).await;
    assert!(html.contains("राशि रुपये में लिखें, जैसे 250 या 250.50।"), "{loc}");
    // the amount island is handed its words in Hindi
    assert!(html.contains("राशि (रुपये में)") && html.contains("₹100.00 से ₹1,00,000.00 तक"));
    assert!(html.contains("भुगतान पर आगे बढ़ें"));

    // the payment page: amount in Indian grouping, the QR's text alternative
    // and the live status (an island) in Hindi
    let dep = app.start_deposit(&session, "100000", "qr").await.unwrap();
    let (status, html) = app.get_html(&format!("/deposits/{dep}"), Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(html.contains("₹1,00,000.00"), "Indian grouping");
    assert!(html.contains("को ₹1,00,000.00 का भुगतान करें"), "the QR's alternative text in Hindi");
    assert!(html.contains("भुगतान का इंतज़ार"), "live status in Hindi");
    assert!(html.contains("किसी भी UPI ऐप से स्कैन करें"));
    assert!(html.contains(r#"data-testid="upi-id""#), "the payee's UPI id is written out");

    // the payment window opens in the visitor's language
    let win = app.start_deposit(&session, "200", "window").await.unwrap();
    let (_, html) = app.get_html(&format!("/deposits/{win}"), Some(&cookie)).await;
    assert!(html.contains("lang=hi"), "the provider's window is asked for Hindi");

    // the balance page in Hindi, with the pending deposits
    let (_, html) = app.get_html("/balance", Some(&cookie)).await;
    assert!(html.contains("निकालने के लिए उपलब्ध") && html.contains("बाकी जमा"));
    assert!(html.contains("भुगतान का इंतज़ार"), "status badges in Hindi");

    // the withdraw form, checked on the server: every message in Hindi
    let resp = app
        .post_form(
            "/withdraw?lang=hi",
            Some(&session),
            &[("amount", "100.50"), ("account_number", "12ab"), ("account_name", "Sita-Devi"), ("ifsc", "hdfc1")],
        )
        .await;
    let html = resp.text().await.unwrap_or_default();
    for said in [
        "निकासी पूरे रुपयों में भेजी जाती है; पैसे हटा दें।",
        "खाता संख्या में सिर्फ़ अंक होने चाहिए।",
        "खाताधारक के नाम में सिर्फ़ अंग्रेज़ी अक्षर और स्पेस हो सकते हैं।",
        "IFSC कोड HDFC0001234 जैसा होना चाहिए",
    ] {
        assert!(html.contains(said), "missing: {said}");
    }
    // the same form in English says it in English
    let resp = app
        .post_form(
            "/withdraw",
            Some(&session),
            &[("amount", "100.50"), ("account_number", "12ab"), ("account_name", "Sita"), ("ifsc", "HDFC0001234")],
        )
        .await;
    let html = resp.text().await.unwrap_or_default();
    assert!(html.contains("The account number must contain digits only."));
    app.stop().await;
}

async fn a_throttled_sign_in_says_how_long_in_hindi(app: TestApp) {
    let (_, _, html) = get(&app, "/signin?error=too_many_attempts&wait=15", &[("accept-language", HINDI)]).await;
    assert!(html.contains("बहुत ज़्यादा कोशिशें हुईं; 15 मिनट बाद फिर कोशिश करें।"));
    let (_, _, html) = get(&app, "/signin?error=too_many_attempts&wait=1", &[]).await;
    assert!(html.contains("Too many attempts; try again in 1 minute."));
    app.stop().await;
}

on_both_backends!(
    english_by_default_hindi_from_the_browser_language,
    the_switch_is_remembered_in_a_cookie_over_the_browser_language,
    signed_in_pages_messages_and_islands_speak_hindi,
    a_throttled_sign_in_says_how_long_in_hindi,
);
