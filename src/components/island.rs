//! Islands without serde in the browser.
//!
//! `#[island]` reads an island's props with `serde_json::from_str`, which
//! brings serde_json's parser, one deserializer per prop type and, through
//! serde's error messages, the whole of core's float formatting into the
//! WASM: about a fifth of the bundle for four small islands. So our islands
//! are plain components wrapped the way `#[island]` wraps them (the same
//! `<leptos-island data-component data-props>` HTML, the same owners and
//! children), and each has a small hand-written `#[wasm_bindgen]` entry that
//! reads its props with the browser's own `JSON.parse` ([`JsProps`]). The
//! server still writes the props with serde_json.

use leptos::prelude::*;
use leptos::reactive::owner::Owner;
use leptos::tachys::html::islands::{Island, IslandChildren};
use leptos::tachys::reactive_graph::OwnedView;
use leptos::tachys::view::any_view::{AnyView, IntoAny};

/// An island named `name` (its entry point's name in the WASM module) around
/// `body`, with its props as JSON (only rendered on the server).
pub fn island<V: IntoView + 'static>(
    name: &'static str,
    props_json: impl FnOnce() -> String,
    body: impl FnOnce() -> V + 'static,
) -> impl IntoView {
    let view = Owner::new().with(|| Owner::with_hydration(move || OwnedView::new(body())));
    let island = Island::new(name, view);
    #[cfg(feature = "ssr")]
    let island = island.with_props(props_json());
    #[cfg(not(feature = "ssr"))]
    let _ = props_json;
    island
}

/// An island's children on the server, as `#[island]` wraps them: rendered
/// inside `<leptos-children>` under an owner of their own (a nested island
/// would hydrate under it). Call it inside the island's body.
pub fn island_children(children: Children) -> AnyView {
    let sc = Owner::current_shared_context();
    let prev = sc.as_ref().map(|sc| sc.get_is_hydrating());
    let owner = Owner::new();
    let value = owner.clone().with(|| {
        Owner::with_no_hydration(move || {
            OwnedView::new(IslandChildren::new_with_on_hydrate(children(), move || owner.set())).into_any()
        })
    });
    if let (Some(sc), Some(prev)) = (sc, prev) {
        sc.set_is_hydrating(prev);
    }
    value
}

/// The same children in the browser: server-rendered HTML that hydration
/// skips, so nothing to build (and no `AnyView` code in the bundle). Call it
/// inside the island's body.
#[cfg(feature = "hydrate")]
pub fn hydrated_children() -> IslandChildren<()> {
    let owner = Owner::new();
    IslandChildren::new_with_on_hydrate((), move || owner.set())
}

/// Runs `f` once, right after the island wakes up (in the browser only):
/// what a one-off `Effect` does here, without linking the effect machinery
/// (a spawned future per effect) into the WASM.
pub fn after_hydration(f: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::leptos_dom::helpers::queue_microtask(f);
    #[cfg(not(feature = "hydrate"))]
    let _ = f;
}

/// Hydrates an island's view in its `<leptos-island>` element (what
/// `#[island]`'s entry point does) and keeps it alive for the page's life.
#[cfg(feature = "hydrate")]
pub fn hydrate_island(el: &web_sys::HtmlElement, view: impl IntoView) {
    let state = view.hydrate_from_position::<true>(el, leptos::tachys::view::Position::Current);
    std::mem::forget(state);
}

/// A JSON value read with the browser's `JSON.parse`: island props, and the
/// live status the server pushes. Missing or mistyped fields read as empty.
#[cfg(feature = "hydrate")]
pub struct JsProps(wasm_bindgen::JsValue);

#[cfg(feature = "hydrate")]
impl JsProps {
    /// The props of an island element (`data-props`).
    pub fn of(el: &web_sys::HtmlElement) -> JsProps {
        el.dataset().get("props").and_then(|json| JsProps::parse(&json)).unwrap_or(JsProps(wasm_bindgen::JsValue::NULL))
    }

    pub fn parse(json: &str) -> Option<JsProps> {
        js_sys::JSON::parse(json).ok().map(JsProps)
    }

    pub fn field(&self, key: &str) -> JsProps {
        if !self.0.is_object() {
            return JsProps(wasm_bindgen::JsValue::UNDEFINED);
        }
        JsProps(js_sys::Reflect::get(&self.0, &wasm_bindgen::JsValue::from_str(key)).unwrap_or_default())
    }

    pub fn opt_string(&self, key: &str) -> Option<String> {
        self.field(key).0.as_string()
    }

    pub fn string(&self, key: &str) -> String {
        self.opt_string(key).unwrap_or_default()
    }

    /// Amounts in paise: integers far below 2^53, exact in a JS number.
    pub fn opt_i64(&self, key: &str) -> Option<i64> {
        self.field(key).0.as_f64().map(|n| n as i64)
    }

    pub fn i64(&self, key: &str) -> i64 {
        self.opt_i64(key).unwrap_or(0)
    }

    /// [`crate::i18n::Texts`] as the server writes them: `[[key, text], ...]`.
    pub fn texts(&self, key: &str) -> crate::i18n::Texts {
        let pairs = self.field(key).0;
        let pairs: js_sys::Array = if js_sys::Array::is_array(&pairs) { pairs.into() } else { js_sys::Array::new() };
        crate::i18n::Texts(
            pairs
                .iter()
                .filter_map(|pair| {
                    let pair = js_sys::Array::from(&pair);
                    Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
                })
                .collect(),
        )
    }
}
