#![recursion_limit = "512"]
//! UPI deposit portal: Paykassma UPI S deposits, IMPS withdrawals, and a
//! built-in provider sandbox. One crate: `ssr` for the server, `hydrate` for
//! the browser islands.

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod i18n;
pub mod pages;
pub mod views;

#[cfg(feature = "ssr")]
pub mod paykassma;
#[cfg(feature = "sandbox")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
