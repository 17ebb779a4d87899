// What a transferred resource is, by its URL, MIME type and the DevTools
// protocol's resource type: the page-weight test (tests/weight.spec.ts) and
// the page benchmark (bench/pages.mjs) count bytes by these kinds.
function kindOf(url, mime, cdpType) {
  const p = new URL(url).pathname;
  if (cdpType === "Document") return "html";
  if (p.endsWith(".wasm") || mime === "application/wasm") return "wasm";
  if (p.endsWith(".css") || mime === "text/css") return "css";
  if (p.endsWith(".js") || mime.includes("javascript")) return "js";
  if (p.endsWith(".woff2") || mime.startsWith("font/")) return "font";
  return "other";
}

module.exports = { kindOf };
