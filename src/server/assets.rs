//! The built site's static files (LEPTOS_SITE_ROOT: `pkg/` with the JS, WASM
//! and CSS, and what `public/` holds), read once at start-up and served from
//! memory under content-hashed names (`/pkg/portal.3f2a9c1d0b7e.wasm`) that
//! browsers may keep for a year, plus their plain names (`/pkg/portal.wasm`,
//! revalidated on every use) for anything that still asks for those.
//!
//! Text-like files (JS, WASM, CSS, SVG) go out compressed with Brotli or gzip,
//! as the request's Accept-Encoding allows. Each variant is compressed once per
//! process and kept: on first request in a debug build (the test suites start
//! the server hundreds of times and most never ask for an asset), in the
//! background at start-up in a release build.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// `Cache-Control` of a hashed name: its bytes never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of a plain name: the bytes behind it change with each build.
pub const REVALIDATE: &str = "no-cache";

/// Every file of the site, by both of its URLs.
#[derive(Default)]
pub struct Assets {
    files: Vec<Asset>,
    /// URL path -> (index into `files`, whether the URL is the hashed one).
    by_path: HashMap<String, (usize, bool)>,
}

struct Asset {
    /// `/pkg/portal.wasm`
    path: String,
    /// `/pkg/portal.3f2a9c1d0b7e.wasm`
    hashed: String,
    hash: String,
    content_type: &'static str,
    bytes: Bytes,
    compressible: bool,
    /// `None` once computed means "not smaller than the file itself".
    br: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

impl Assets {
    /// Reads every file under `site_root` (none if it does not exist: the
    /// shell then names the plain URLs). Dot files are skipped.
    pub fn load(site_root: &str) -> Assets {
        let mut assets = Assets::default();
        let root = Path::new(site_root);
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    let Ok(rel) = path.strip_prefix(root) else { continue };
                    let Some(rel) = rel.to_str() else { continue };
                    let Ok(bytes) = std::fs::read(&path) else { continue };
                    assets.insert(&format!("/{}", rel.replace('\\', "/")), bytes);
                }
            }
        }
        assets
    }

    fn insert(&mut self, path: &str, bytes: Vec<u8>) {
        let digest = Sha256::digest(&bytes);
        let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let hashed = hashed_name(path, &hash);
        let (content_type, compressible) = content_type(path);
        let index = self.files.len();
        self.by_path.insert(path.to_string(), (index, false));
        self.by_path.insert(hashed.clone(), (index, true));
        self.files.push(Asset {
            path: path.to_string(),
            hashed,
            hash,
            content_type,
            bytes: bytes.into(),
            compressible,
            br: OnceLock::new(),
            gzip: OnceLock::new(),
        });
    }

    /// The hashed URL of the file at `path` (`/pkg/portal.css`), or `path`
    /// itself when the site holds no such file.
    pub fn url(&self, path: &str) -> String {
        match self.by_path.get(path) {
            Some(&(i, _)) => self.files[i].hashed.clone(),
            None => path.to_string(),
        }
    }

    /// The file at `path` as text (the stylesheet the shell inlines), if the
    /// site holds it and it is UTF-8.
    pub fn text(&self, path: &str) -> Option<&str> {
        let &(i, _) = self.by_path.get(path)?;
        std::str::from_utf8(&self.files[i].bytes).ok()
    }

    /// Compresses every variant now (a release server does it in the
    /// background at start-up, so no visitor waits for it).
    pub fn precompress(&self) {
        for a in &self.files {
            a.variant(Encoding::Br);
            a.variant(Encoding::Gzip);
        }
    }

    /// The answer for a GET or HEAD of one of the site's files, or `None`
    /// when the path names none (the router goes on to its 404 page).
    pub async fn respond(self: &Arc<Self>, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let &(index, immutable) = self.by_path.get(path)?;
        let asset = &self.files[index];
        let wanted = if asset.compressible { preferred(headers) } else { vec![Encoding::Identity] };
        let mut chosen = (Encoding::Identity, asset.bytes.clone());
        for encoding in wanted {
            if encoding == Encoding::Identity {
                break;
            }
            // Compressing a WASM bundle with Brotli takes a moment: off the
            // async workers, once (a second request waits for the first).
            let this = self.clone();
            let body = tokio::task::spawn_blocking(move || this.files[index].variant(encoding)).await.ok().flatten();
            if let Some(body) = body {
                chosen = (encoding, body);
                break;
            }
        }
        let (encoding, body) = chosen;
        let etag = match encoding {
            Encoding::Br => format!("\"{}-br\"", asset.hash),
            Encoding::Gzip => format!("\"{}-gz\"", asset.hash),
            Encoding::Identity => format!("\"{}\"", asset.hash),
        };
        let not_modified = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let mut response = Response::builder()
            .header(header::CONTENT_TYPE, asset.content_type)
            .header(header::CACHE_CONTROL, if immutable { IMMUTABLE } else { REVALIDATE })
            .header(header::ETAG, etag);
        if asset.compressible {
            response = response.header(header::VARY, "accept-encoding");
        }
        match encoding {
            Encoding::Br => response = response.header(header::CONTENT_ENCODING, "br"),
            Encoding::Gzip => response = response.header(header::CONTENT_ENCODING, "gzip"),
            Encoding::Identity => {}
        }
        let response = if not_modified {
            response.status(StatusCode::NOT_MODIFIED).body(Body::empty())
        } else if method == Method::HEAD {
            response.header(header::CONTENT_LENGTH, body.len()).body(Body::empty())
        } else {
            response.body(Body::from(body))
        };
        response.ok()
    }
}

impl Asset {
    fn variant(&self, encoding: Encoding) -> Option<Bytes> {
        let cell = match encoding {
            Encoding::Br => &self.br,
            Encoding::Gzip => &self.gzip,
            Encoding::Identity => return Some(self.bytes.clone()),
        };
        cell.get_or_init(|| {
            if !self.compressible {
                return None;
            }
            let started = std::time::Instant::now();
            let out = match encoding {
                Encoding::Br => brotli_compress(&self.bytes),
                _ => gzip_compress(&self.bytes),
            };
            tracing::debug!(asset = %self.path, ?encoding, from = self.bytes.len(), to = out.len(),
                ms = started.elapsed().as_millis() as u64, "asset compressed");
            (out.len() < self.bytes.len()).then(|| out.into())
        })
        .clone()
    }
}

fn brotli_compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 3);
    {
        // quality 11 (the best), a 4 MiB window: these bytes are compressed once
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        let _ = writer.write_all(input);
    }
    out
}

fn gzip_compress(input: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(input.len() / 3), flate2::Compression::best());
    let _ = encoder.write_all(input);
    encoder.finish().unwrap_or_default()
}

/// The encodings the request accepts, best first (Brotli, gzip, then none).
fn preferred(headers: &HeaderMap) -> Vec<Encoding> {
    let mut br = false;
    let mut gzip = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match name.as_str() {
                "br" => br = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => {
                    br = true;
                    gzip = true;
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    if br {
        out.push(Encoding::Br);
    }
    if gzip {
        out.push(Encoding::Gzip);
    }
    out.push(Encoding::Identity);
    out
}

/// `/pkg/portal.wasm` -> `/pkg/portal.<hash>.wasm`; a name without an
/// extension gets the hash at its end.
fn hashed_name(path: &str, hash: &str) -> String {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}/{stem}.{hash}.{ext}"),
        _ => format!("{dir}/{file}.{hash}"),
    }
}

/// The Content-Type of a file by its extension, and whether compressing it pays.
fn content_type(path: &str) -> (&'static str, bool) {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "js" | "mjs" => ("text/javascript; charset=utf-8", true),
        "wasm" => ("application/wasm", true),
        "css" => ("text/css; charset=utf-8", true),
        "svg" => ("image/svg+xml", true),
        "json" | "map" => ("application/json", true),
        "webmanifest" => ("application/manifest+json", true),
        "txt" => ("text/plain; charset=utf-8", true),
        "html" => ("text/html; charset=utf-8", true),
        "ico" => ("image/x-icon", true),
        "woff2" => ("font/woff2", false),
        "woff" => ("font/woff", false),
        "png" => ("image/png", false),
        "jpg" | "jpeg" => ("image/jpeg", false),
        "webp" => ("image/webp", false),
        _ => ("application/octet-stream", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn site() -> (tempfile::TempDir, Arc<Assets>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        let js = "export function hydrate() {}\n".repeat(200);
        std::fs::write(dir.path().join("pkg/portal.js"), js).unwrap();
        std::fs::write(dir.path().join("pkg/portal.woff2"), [7u8; 64]).unwrap();
        std::fs::write(dir.path().join(".stamp"), "x").unwrap();
        let assets = Arc::new(Assets::load(dir.path().to_str().unwrap()));
        (dir, assets)
    }

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn hashed_names_keep_the_extension_last() {
        assert_eq!(hashed_name("/pkg/portal.wasm", "ab12"), "/pkg/portal.ab12.wasm");
        assert_eq!(hashed_name("/fonts/noto.sub.woff2", "ab12"), "/fonts/noto.sub.ab12.woff2");
        assert_eq!(hashed_name("/LICENSE", "ab12"), "/LICENSE.ab12");
    }

    #[test]
    fn accept_encoding_is_read_with_its_q_values() {
        assert_eq!(preferred(&accept("gzip, deflate, br")), vec![Encoding::Br, Encoding::Gzip, Encoding::Identity]);
        assert_eq!(preferred(&accept("br;q=0, gzip;q=0.5")), vec![Encoding::Gzip, Encoding::Identity]);
        assert_eq!(preferred(&HeaderMap::new()), vec![Encoding::Identity]);
    }

    #[tokio::test]
    async fn hashed_names_are_immutable_and_compressed_as_asked() {
        let (_dir, assets) = site();
        let url = assets.url("/pkg/portal.js");
        assert!(url.starts_with("/pkg/portal.") && url.ends_with(".js") && url != "/pkg/portal.js");
        assert_eq!(assets.url("/pkg/nothing.js"), "/pkg/nothing.js");
        assert!(assets.respond(&Method::GET, "/.stamp", &HeaderMap::new()).await.is_none());

        let r = assets.respond(&Method::GET, &url, &accept("gzip, br")).await.unwrap();
        assert_eq!(r.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(r.headers()[header::VARY], "accept-encoding");
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));

        let r = assets.respond(&Method::GET, "/pkg/portal.js", &accept("gzip")).await.unwrap();
        assert_eq!(r.headers()[header::CACHE_CONTROL], REVALIDATE);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        let etag = r.headers()[header::ETAG].clone();
        let mut again = accept("gzip");
        again.insert(header::IF_NONE_MATCH, etag);
        let r = assets.respond(&Method::GET, "/pkg/portal.js", &again).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

        let r = assets.respond(&Method::GET, "/pkg/portal.js", &HeaderMap::new()).await.unwrap();
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());

        // a font is compressed already
        let r = assets.respond(&Method::GET, &assets.url("/pkg/portal.woff2"), &accept("br")).await.unwrap();
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(r.headers()[header::CONTENT_TYPE], "font/woff2");
    }
}
