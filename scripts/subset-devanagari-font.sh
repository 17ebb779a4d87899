#!/usr/bin/env bash
# Regenerates public/fonts/noto-sans-devanagari.woff2: Noto Sans Devanagari
# Regular (npm @fontsource/noto-sans-devanagari, SIL Open Font License 1.1)
# cut down to the Devanagari block, the joiners and dotted circle its shaping
# needs, the rupee sign, and the digits and punctuation the pages write, with
# every OpenType layout feature kept (conjuncts, half forms, reph, matra
# positioning need them). Hinting and glyph names are dropped.
#
# Not run by the build or CI: the output is committed. Run it by hand after
# changing the font version or the character set; it needs node/npm and
# python3, and installs fonttools and brotli from PyPI into a temporary venv.
set -euo pipefail
cd "$(dirname "$0")/.."
FONTSOURCE_VERSION=5.3.0
FONTTOOLS_VERSION=4.68.0
BROTLI_VERSION=1.2.1
out=public/fonts/noto-sans-devanagari.woff2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> npm pack @fontsource/noto-sans-devanagari@$FONTSOURCE_VERSION"
(cd "$work" && npm pack --silent "@fontsource/noto-sans-devanagari@$FONTSOURCE_VERSION" >/dev/null && tar xzf ./*.tgz)
source_font="$work/package/files/noto-sans-devanagari-devanagari-400-normal.woff2"
[ -f "$source_font" ] || { echo "not in the package: $source_font" >&2; exit 1; }

echo "==> fonttools $FONTTOOLS_VERSION, brotli $BROTLI_VERSION (temporary venv)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "fonttools==$FONTTOOLS_VERSION" "brotli==$BROTLI_VERSION"

# The letters, signs, digits and dandas of Hindi (U+0900-0954, U+0958-0970;
# not the extensions for Sindhi, Marwari and other languages), ZWNJ/ZWJ,
# U+25CC dotted circle (a lone mark), U+20B9 rupee sign. No Latin glyphs: the
# shell's @font-face unicode-range sends only Devanagari to this face, so
# digits, spaces and punctuation between Devanagari words come from the
# page's own font.
#
# Every layout feature stays: 37.7 KB. FEATURES=no-pres leaves out the
# pre-base conjunct ligatures (29.8 KB, under the 30 KB aim): conjuncts then
# show half forms, or a visible virama after a consonant without one
# (द्व in द्वारा), which Hindi readers notice; so the default keeps them.
unicodes="U+0900-0954,U+0958-0970,U+200C-200D,U+25CC,U+20B9"
features='*'
if [ "${FEATURES:-all}" = no-pres ]; then
  features='abvm,abvs,akhn,blwf,blwm,blws,cjct,half,haln,nukt,psts,rkrf,rphf,vatu,locl,ccmp,mark,mkmk,dist'
fi
echo "==> pyftsubset -> $out"
"$work/venv/bin/pyftsubset" "$source_font" \
  --unicodes="$unicodes" \
  --layout-features="$features" \
  --no-hinting \
  --drop-tables+=DSIG \
  --flavor=woff2 \
  --output-file="$out"
cp "$work/package/LICENSE" public/fonts/noto-sans-devanagari.LICENSE.txt
echo "    $(stat -c %s "$out") bytes"
