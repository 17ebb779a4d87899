//! English and Hindi. Pages are translated on the server while they render
//! (Fluent messages in `locales/{en,hi}/portal.ftl`); an island gets the few
//! strings it shows as a prop (`Texts`), so no locale file or formatting
//! machinery reaches the WASM bundle and a language switch is a page load.
//!
//! The visitor's language: `?lang=en|hi` (remembered in the `lang` cookie),
//! else the cookie, else the browser's `Accept-Language`, else English.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Hi,
}

/// The cookie that remembers a visitor's choice.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Hi];

    /// The BCP 47 tag: `<html lang>`, `?lang=`, the cookie.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }

    /// The language's own name, as a switch shows it.
    pub const fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Hi => "हिन्दी",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "hi" => Some(Lang::Hi),
            _ => None,
        }
    }

    /// The first of the browser's languages (by `q`, then by order) that the
    /// portal speaks: `hi-IN,hi;q=0.9,en;q=0.8` is Hindi. Malformed parts are
    /// skipped; `None` when none fits.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::parse(primary) else { continue };
            let mut q = 1000u16;
            for param in pieces {
                if let Some(v) = param.trim().strip_prefix("q=") {
                    q = parse_q(v).unwrap_or(0);
                }
            }
            if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// A quality value (`0`, `0.8`, `1.000`) in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let v = v.trim();
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    let q = whole * 1000 + frac;
    (q <= 1000).then_some(q)
}

/// Strings an island shows, translated on the server: `(key, text)` pairs.
/// A text may hold `{name}` placeholders that the island fills in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Texts(pub Vec<(String, String)>);

impl Texts {
    /// The text for `key` (the key itself if it was not handed over, which a
    /// unit test rules out for every island).
    pub fn get(&self, key: &str) -> String {
        self.0.iter().find(|(k, _)| k == key).map(|(_, t)| t.clone()).unwrap_or_else(|| key.to_string())
    }

    /// The text for `key` with its `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key);
        for (name, value) in values {
            let placeholder = format!("{{{name}}}");
            let mut filled = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some((before, after)) = split_around(rest, &placeholder) {
                filled.push_str(before);
                filled.push_str(value);
                rest = after;
            }
            filled.push_str(rest);
            text = filled;
        }
        text
    }
}

/// `text` around the first `pattern`: `str::replace` and `split_once` with a
/// plain byte search, because the islands' WASM then needs none of core's
/// substring search (two-way searcher), which only they used.
pub fn split_around<'a>(text: &'a str, pattern: &str) -> Option<(&'a str, &'a str)> {
    if pattern.is_empty() {
        return None;
    }
    // A match of a whole UTF-8 string starts and ends on character boundaries.
    let at = text.as_bytes().windows(pattern.len()).position(|w| w == pattern.as_bytes())?;
    Some((text.get(..at)?, text.get(at + pattern.len()..)?))
}

/// An island's [`Texts`], kept where its closures can reach them (`Copy`).
/// Every lookup goes through these two functions, so the bundle holds one
/// copy of the lookup code instead of one per call site.
#[derive(Clone, Copy)]
pub struct IslandTexts(leptos::prelude::StoredValue<Texts>);

impl IslandTexts {
    pub fn new(texts: Texts) -> IslandTexts {
        IslandTexts(leptos::prelude::StoredValue::new(texts))
    }

    /// [`Texts::get`].
    pub fn get(self, key: &str) -> String {
        use leptos::prelude::WithValue;
        self.0.with_value(|t| t.get(key))
    }

    /// [`Texts::fill`].
    pub fn fill(self, key: &str, values: &[(&str, &str)]) -> String {
        use leptos::prelude::WithValue;
        self.0.with_value(|t| t.fill(key, values))
    }
}

#[cfg(feature = "ssr")]
pub use self::ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::{Lang, Texts};
    use fluent_bundle::concurrent::FluentBundle;
    use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
    use std::sync::OnceLock;

    const SOURCES: [(Lang, &str); 2] =
        [(Lang::En, include_str!("../locales/en/portal.ftl")), (Lang::Hi, include_str!("../locales/hi/portal.ftl"))];

    fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
        static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
        BUNDLES.get_or_init(|| {
            SOURCES.map(|(lang, source)| {
                let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // No Unicode isolation marks around values: amounts and ids
                // are left-to-right in both languages, and marks would leak
                // into copied text and tests.
                bundle.set_use_isolating(false);
                // The files are part of the source; a unit test proves they parse.
                let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
                let _ = bundle.add_resource(resource);
                bundle
            })
        })
    }

    fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
        &bundles()[match lang {
            Lang::En => 0,
            Lang::Hi => 1,
        }]
    }

    /// `key` in `lang` with its arguments; a key Hindi lacks falls back to
    /// English (admin pages are English only), an unknown key shows itself.
    pub fn tr_in(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let fluent_args = (!args.is_empty()).then(|| {
            let mut a = FluentArgs::new();
            for (name, value) in args {
                a.set(*name, FluentValue::from(*value));
            }
            a
        });
        for l in [lang, Lang::En] {
            let b = bundle(l);
            if let Some(pattern) = b.get_message(key).and_then(|m| m.value()) {
                let mut errors = vec![];
                return b.format_pattern(pattern, fluent_args.as_ref(), &mut errors).into_owned();
            }
        }
        key.to_string()
    }

    /// Whether `lang`'s own file has `key` (tests: every user-facing key is translated).
    pub fn has_key(lang: Lang, key: &str) -> bool {
        bundle(lang).get_message(key).and_then(|m| m.value()).is_some()
    }

    /// Every message id of a language's file (a line `id = ...`).
    pub fn keys(lang: Lang) -> Vec<String> {
        let source = SOURCES.iter().find(|(l, _)| *l == lang).map(|(_, s)| *s).unwrap_or("");
        source
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(id, _)| id))
            .filter(|id| {
                id.starts_with(|c: char| c.is_ascii_alphabetic())
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .map(str::to_string)
            .collect()
    }

    /// The language of the page or server function being rendered (provided
    /// by the router from the request), English outside a request.
    pub fn current() -> Lang {
        leptos::prelude::use_context::<Lang>()
            .or_else(|| {
                leptos::prelude::use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<Lang>().copied())
            })
            .unwrap_or_default()
    }

    /// `key` in the current language.
    pub fn t(key: &str) -> String {
        tr_in(current(), key, &[])
    }

    /// `key` in the current language, with arguments (`{ $name }` in the file).
    pub fn t_with(key: &str, args: &[(&str, &str)]) -> String {
        tr_in(current(), key, args)
    }

    /// The strings an island needs, in the current language. Placeholders
    /// the island fills are passed through as `{name}`.
    pub fn texts(keys: &[&str], placeholders: &[&str]) -> Texts {
        let lang = current();
        let args: Vec<(&str, String)> = placeholders.iter().map(|p| (*p, format!("{{{p}}}"))).collect();
        let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        Texts(keys.iter().map(|k| (k.to_string(), tr_in(lang, k, &args))).collect())
    }
}

/// In the browser build pages are never rendered (islands only), so these
/// exist just to compile; islands take their words from `Texts`.
#[cfg(not(feature = "ssr"))]
pub fn t(key: &str) -> String {
    key.to_string()
}

#[cfg(not(feature = "ssr"))]
pub fn t_with(key: &str, _args: &[(&str, &str)]) -> String {
    key.to_string()
}

#[cfg(not(feature = "ssr"))]
pub fn current() -> Lang {
    Lang::En
}

#[cfg(not(feature = "ssr"))]
pub fn texts(_keys: &[&str], _placeholders: &[&str]) -> Texts {
    Texts::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        assert_eq!(Lang::from_accept_language("hi-IN,hi;q=0.9,en;q=0.8"), Some(Lang::Hi));
        assert_eq!(Lang::from_accept_language("en-IN,en;q=0.9,hi;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("ta-IN,ta;q=0.9,hi;q=0.7,en;q=0.5"), Some(Lang::Hi));
        assert_eq!(Lang::from_accept_language("en;q=0.2, hi;q=0.3"), Some(Lang::Hi));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("hi;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language(";;;,,q=,hi;q=abc"), None);
        assert_eq!(Lang::from_accept_language("HI"), Some(Lang::Hi));
    }

    #[test]
    fn lang_codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
        assert_eq!(Lang::parse("ta"), None);
    }

    #[test]
    fn texts_fill_placeholders() {
        let t = Texts(vec![("range".into(), "From {min} to {max}".into())]);
        assert_eq!(t.fill("range", &[("min", "₹100.00"), ("max", "₹1,00,000.00")]), "From ₹100.00 to ₹1,00,000.00");
        assert_eq!(t.get("missing"), "missing");
        let t = Texts(vec![("twice".into(), "{x}, {x} and {y}".into())]);
        assert_eq!(t.fill("twice", &[("x", "{y}"), ("y", "₹5")]), "₹5, ₹5 and ₹5");
        assert_eq!(t.fill("twice", &[("x", "{x}")]), "{x}, {x} and {y}");
    }

    #[test]
    fn split_around_finds_the_first_match() {
        assert_eq!(split_around("Expires in {time}.", "{time}"), Some(("Expires in ", ".")));
        assert_eq!(split_around("{time}", "{time}"), Some(("", "")));
        assert_eq!(split_around("समय {time} में", "{time}"), Some(("समय ", " में")));
        assert_eq!(split_around("no placeholder", "{time}"), None);
        assert_eq!(split_around("abc", ""), None);
        assert_eq!(split_around("", "{time}"), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn locale_files_parse_and_hindi_covers_every_user_key() {
        for (lang, source) in
            [(Lang::En, include_str!("../locales/en/portal.ftl")), (Lang::Hi, include_str!("../locales/hi/portal.ftl"))]
        {
            if let Err((_, errors)) = fluent_bundle::FluentResource::try_new(source.to_string()) {
                panic!("{lang:?}: {errors:?}");
            }
        }
        let hindi = keys(Lang::Hi);
        for key in keys(Lang::En) {
            // admin-only messages may stay English (the admin console is English)
            if key.starts_with("admin-") {
                continue;
            }
            assert!(hindi.contains(&key), "Hindi lacks {key}");
        }
        for key in hindi {
            assert!(has_key(Lang::En, &key), "English lacks {key} (Hindi has it)");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn arguments_are_filled_and_unknown_keys_show_themselves() {
        assert_eq!(
            tr_in(Lang::En, "amount-range", &[("min", "₹100.00"), ("max", "₹500.00")]),
            "From ₹100.00 to ₹500.00"
        );
        assert!(tr_in(Lang::Hi, "amount-range", &[("min", "₹100.00"), ("max", "₹500.00")]).contains("₹500.00"));
        assert_eq!(tr_in(Lang::Hi, "no-such-key", &[]), "no-such-key");
    }
}
