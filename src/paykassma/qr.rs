//! QR codes rendered on our own server (no third-party chart service).

use base64::Engine;
use qrcode::bits::Bits;
use qrcode::types::QrError as EncodeError;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Quiet zone around the symbol, in modules (the QR standard asks for 4).
pub const QUIET_ZONE: usize = 4;
/// Largest `scale` [`qr_png_base64`] accepts (pixels per module).
pub const MAX_PNG_SCALE: u32 = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("could not build a QR code: {0}")]
    Encode(String),
    #[error("the PNG scale must be between 1 and 32 pixels per module")]
    BadScale,
    #[error("could not write the PNG image: {0}")]
    Png(String),
}

/// The QR code for `data` at error correction level M.
///
/// ASCII data goes through `QrCode::with_error_correction_level` (its segment
/// optimiser picks numeric/alphanumeric/byte). Non-ASCII data is written as a
/// single 8-bit byte segment in the smallest version that fits, because the
/// optimiser may otherwise pick *Kanji* mode for UTF-8 byte pairs that happen
/// to look like Shift JIS (e.g. many CJK characters), which phone scanners
/// would then decode as Japanese text.
fn build(data: &str) -> Result<QrCode, EncodeError> {
    if data.is_ascii() {
        return QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M);
    }
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        if bits.push_byte_data(data.as_bytes()).is_err() || bits.push_terminator(EcLevel::M).is_err() {
            continue;
        }
        return QrCode::with_bits(bits, EcLevel::M);
    }
    Err(EncodeError::DataTooLong)
}

/// Module grid (true = dark) including the quiet zone, and its side length.
fn modules(data: &str) -> Result<(Vec<bool>, usize), QrError> {
    let code = build(data).map_err(|e| QrError::Encode(e.to_string()))?;
    let w = code.width();
    let side = w + 2 * QUIET_ZONE;
    let mut grid = vec![false; side * side];
    for (i, c) in code.to_colors().into_iter().enumerate() {
        if c == Color::Dark {
            let (x, y) = (i % w + QUIET_ZONE, i / w + QUIET_ZONE);
            if let Some(cell) = grid.get_mut(y * side + x) {
                *cell = true;
            }
        }
    }
    Ok((grid, side))
}

/// An inline SVG of `data` (error correction M): a white background `rect`,
/// then one `path` of dark modules, in module units, quiet zone included.
/// No XML declaration and no fixed size: style it with CSS.
pub fn qr_svg(data: &str) -> Result<String, QrError> {
    let (grid, side) = modules(data)?;
    let mut d = String::new();
    for (y, row) in grid.chunks(side.max(1)).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row.get(x) == Some(&true) {
                let start = x;
                while row.get(x) == Some(&true) {
                    x += 1;
                }
                let len = x - start;
                d.push_str(&format!("M{start} {y}h{len}v1h-{len}z"));
            } else {
                x += 1;
            }
        }
    }
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s} {s}" role="img" aria-label="UPI payment QR code" shape-rendering="crispEdges">"#,
            r##"<rect width="{s}" height="{s}" fill="#ffffff"/>"##,
            r##"<path fill="#000000" d="{d}"/>"##,
            "</svg>"
        ),
        s = side,
        d = d
    ))
}

/// A grayscale 8-bit PNG of `data` (error correction M), `scale` pixels per
/// module, quiet zone included, as standard base64 (no `data:` prefix).
pub fn qr_png_base64(data: &str, scale: u32) -> Result<String, QrError> {
    if scale == 0 || scale > MAX_PNG_SCALE {
        return Err(QrError::BadScale);
    }
    let (grid, side) = modules(data)?;
    let scale = scale as usize;
    let px = side * scale;
    let px_u32 = u32::try_from(px).map_err(|_| QrError::BadScale)?;
    let mut pixels = Vec::with_capacity(px * px);
    for row in grid.chunks(side.max(1)) {
        let mut line = Vec::with_capacity(px);
        for &dark in row {
            let v = if dark { 0u8 } else { 255u8 };
            line.extend(std::iter::repeat_n(v, scale));
        }
        for _ in 0..scale {
            pixels.extend_from_slice(&line);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, px_u32, px_u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| QrError::Png(e.to_string()))?;
        w.write_image_data(&pixels).map_err(|e| QrError::Png(e.to_string()))?;
        w.finish().map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAY: &str = "upi://pay?pa=shop@okaxis&pn=Demo%20Shop&am=250.00&tn=dep_abc&tr=ABC123";
    const PAY_HINDI_ENCODED: &str = "upi://pay?pa=shop@okaxis&pn=%E0%A4%B8%E0%A5%80%E0%A4%A4%E0%A4%BE%20%E0%A4%B8%E0%A5%8D%E0%A4%9F%E0%A5%8B%E0%A4%B0&am=250.00&tn=dep_abc&tr=ABC123";
    const PAY_HINDI_RAW: &str = "upi://pay?pa=shop@okaxis&pn=सीता स्टोर&am=250.00&tn=dep_abc&tr=ABC123";

    fn attr<'a>(svg: &'a str, name: &str) -> &'a str {
        let key = format!(" {name}=\"");
        let start = svg.find(&key).unwrap() + key.len();
        let end = svg[start..].find('"').unwrap() + start;
        &svg[start..end]
    }

    /// Rasterises exactly the SVG that `qr_svg` emits: reads the viewBox and
    /// the path's `M{x} {y}h{len}v1h-{len}z` runs, at `ppm` pixels per module.
    fn rasterise(svg: &str, ppm: usize) -> (Vec<u8>, usize) {
        let vb: Vec<usize> = attr(svg, "viewBox").split(' ').map(|n| n.parse().unwrap()).collect();
        assert_eq!(&vb[..2], &[0, 0]);
        assert_eq!(vb[2], vb[3]);
        let side = vb[2];
        let mut modules = vec![false; side * side];
        let path_start = svg.find("<path").unwrap();
        let d = attr(&svg[path_start..], "d");
        for cmd in d.split('z').filter(|c| !c.is_empty()) {
            let rest = cmd.strip_prefix('M').unwrap();
            let (x, rest) = rest.split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (len, rest) = rest.split_once("v1h-").unwrap();
            assert_eq!(len, rest, "run closes on itself");
            let (x, y, len): (usize, usize, usize) = (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
            for xx in x..x + len {
                assert!(!modules[y * side + xx], "runs do not overlap");
                modules[y * side + xx] = true;
            }
        }
        let px = side * ppm;
        let mut img = vec![255u8; px * px];
        for y in 0..px {
            for x in 0..px {
                if modules[(y / ppm) * side + x / ppm] {
                    img[y * px + x] = 0;
                }
            }
        }
        (img, px)
    }

    fn decode_grey(img: &[u8], w: usize, h: usize) -> Vec<u8> {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img[y * w + x]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code found");
        let mut out = Vec::new();
        grids[0].decode_to(&mut out).unwrap();
        out
    }

    #[test]
    fn svg_roundtrip_through_rqrr() {
        for data in [PAY, PAY_HINDI_ENCODED, PAY_HINDI_RAW] {
            let svg = qr_svg(data).unwrap();
            assert!(svg.starts_with("<svg"));
            assert!(!svg.contains("<?xml"));
            assert!(svg.contains(r#"shape-rendering="crispEdges""#));
            assert!(svg.contains(r#"role="img""#));
            assert!(svg.contains(r#"aria-label="UPI payment QR code""#));
            assert_eq!(svg.matches("<path").count(), 1);
            assert!(svg.ends_with("</svg>"));
            let (img, px) = rasterise(&svg, 4);
            assert_eq!(decode_grey(&img, px, px), data.as_bytes(), "{data}");
        }
    }

    #[test]
    fn svg_has_quiet_zone() {
        let svg = qr_svg(PAY).unwrap();
        let (img, px) = rasterise(&svg, 1);
        for i in 0..px {
            for q in 0..QUIET_ZONE {
                assert_eq!(img[q * px + i], 255);
                assert_eq!(img[(px - 1 - q) * px + i], 255);
                assert_eq!(img[i * px + q], 255);
                assert_eq!(img[i * px + px - 1 - q], 255);
            }
        }
        // The finder pattern's corner module is dark right after the quiet zone.
        assert_eq!(img[QUIET_ZONE * px + QUIET_ZONE], 0);
    }

    #[test]
    fn png_roundtrip_through_rqrr() {
        for data in [PAY, PAY_HINDI_RAW] {
            let b64 = qr_png_base64(data, 4).unwrap();
            let bytes = base64::engine::general_purpose::STANDARD.decode(&b64).unwrap();
            let dec = png::Decoder::new(std::io::Cursor::new(bytes));
            let mut reader = dec.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!(info.color_type, png::ColorType::Grayscale);
            assert_eq!(info.bit_depth, png::BitDepth::Eight);
            assert_eq!(info.width, info.height);
            assert_eq!(info.width % 4, 0);
            let (w, h) = (info.width as usize, info.height as usize);
            assert_eq!(decode_grey(&buf[..w * h], w, h), data.as_bytes());
        }
    }

    #[test]
    fn non_ascii_never_uses_kanji_mode() {
        // The optimiser puts these UTF-8 bytes into a Kanji segment.
        let data = "upi://pay?pa=shop@okaxis&pn=偁偁偁偁偁偁偁偁&am=1.00";
        let kanji = qrcode::optimize::Parser::new(data.as_bytes())
            .optimize(Version::Normal(5))
            .any(|s| s.mode == qrcode::types::Mode::Kanji);
        assert!(kanji, "precondition: the optimiser would choose Kanji");
        let mut bits = Bits::new(build(data).unwrap().version());
        bits.push_byte_data(data.as_bytes()).unwrap();
        bits.push_terminator(EcLevel::M).unwrap();
        let byte_only = QrCode::with_bits(bits, EcLevel::M).unwrap();
        assert_eq!(build(data).unwrap().to_colors(), byte_only.to_colors());
        // And it still round-trips.
        let (img, px) = rasterise(&qr_svg(data).unwrap(), 4);
        assert_eq!(decode_grey(&img, px, px), data.as_bytes());
        // ASCII keeps the optimiser (same as the plain constructor).
        assert_eq!(
            build(PAY).unwrap().to_colors(),
            QrCode::with_error_correction_level(PAY, EcLevel::M).unwrap().to_colors()
        );
    }

    #[test]
    fn errors() {
        assert_eq!(qr_png_base64(PAY, 0), Err(QrError::BadScale));
        assert_eq!(qr_png_base64(PAY, 33), Err(QrError::BadScale));
        assert!(qr_png_base64(PAY, 1).is_ok());
        let too_long = "x".repeat(5000);
        assert!(matches!(qr_svg(&too_long), Err(QrError::Encode(_))));
        assert!(matches!(qr_png_base64(&too_long, 4), Err(QrError::Encode(_))));
        assert!(matches!(qr_svg(&"सी".repeat(1000)), Err(QrError::Encode(_))));
        // The largest non-ASCII payload that fits (2331 bytes at 40-M) works.
        assert!(qr_svg(&format!("é{}", "x".repeat(2329))).is_ok());
        assert!(qr_svg(&format!("é{}", "x".repeat(2330))).is_err());
        // Empty data is still a valid (tiny) code.
        assert!(qr_svg("").is_ok());
    }
}
