//! A small, strict JSON parser and a PHP-compatible encoder.
//!
//! Paykassma signs `md5(json_encode($additional_data, JSON_UNESCAPED_SLASHES |
//! JSON_UNESCAPED_UNICODE))`. To recompute that we must keep what a generic JSON
//! library throws away: the exact lexeme of every number, the order of object
//! keys, and the difference between an empty object `{}` and an empty array
//! `[]`. [`parse`] keeps all of that; [`php_encode`] writes it back the way
//! PHP 8 does.
//!
//! The parser follows RFC 8259 strictly: no comments, no trailing commas, no
//! single quotes, no leading `+` or zeros, no raw control characters inside
//! strings, UTF-16 surrogate escapes must form valid pairs, nothing but
//! whitespace after the value, and at most [`MAX_DEPTH`] nested containers.

use std::fmt;

/// Deepest nesting of arrays/objects [`parse`] accepts.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value that keeps what PHP's signature needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// The exact lexeme as received, e.g. `"12.5"`, `"1.0e+25"`, `"-0"`.
    Number(String),
    /// The decoded string.
    String(String),
    Array(Vec<JsonValue>),
    /// Keys in received order; duplicates are kept.
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// The value of the first member named `key`, if this is an object.
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// How many members of this object are named `key` (0 if not an object).
    pub fn count_key(&self, key: &str) -> usize {
        match self {
            JsonValue::Object(pairs) => pairs.iter().filter(|(k, _)| k == key).count(),
            _ => 0,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[JsonValue]> {
        match self {
            JsonValue::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, JsonValue)]> {
        match self {
            JsonValue::Object(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The number's lexeme, if this is a number.
    pub fn as_number_lexeme(&self) -> Option<&str> {
        match self {
            JsonValue::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            JsonValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, JsonValue::Null)
    }
}

/// Why [`parse`] rejected its input. `offset` is the byte offset in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub message: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for JsonError {}

/// Parses one complete JSON text.
pub fn parse(input: &str) -> Result<JsonValue, JsonError> {
    let mut p = Parser { s: input.as_bytes(), pos: 0 };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err(p.err("unexpected data after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, message: &'static str) -> JsonError {
        JsonError { offset: self.pos, message }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &'static str, v: JsonValue) -> Result<JsonValue, JsonError> {
        let end = self.pos + word.len();
        if self.s.get(self.pos..end) == Some(word.as_bytes()) {
            self.pos = end;
            Ok(v)
        } else {
            Err(self.err("unknown literal (expected true, false or null)"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input, expected a value")),
            Some(b'n') => self.literal("null", JsonValue::Null),
            Some(b't') => self.literal("true", JsonValue::Bool(true)),
            Some(b'f') => self.literal("false", JsonValue::Bool(false)),
            Some(b'"') => Ok(JsonValue::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.array(depth + 1),
            Some(b'{') => self.object(depth + 1),
            Some(_) => Err(self.err("unexpected character, expected a value")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 64 levels"));
        }
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(JsonValue::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonValue::Array(items));
                }
                None => return Err(self.err("unexpected end of input inside an array")),
                Some(_) => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 64 levels"));
        }
        self.pos += 1; // '{'
        let mut pairs = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(JsonValue::Object(pairs));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.err("unexpected end of input inside an object")),
                Some(_) => return Err(self.err("expected a string key in an object")),
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':' after an object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let v = self.value(depth)?;
            pairs.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JsonValue::Object(pairs));
                }
                None => return Err(self.err("unexpected end of input inside an object")),
                Some(_) => return Err(self.err("expected ',' or '}' in an object")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<JsonValue, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err("leading zeros are not allowed in numbers"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("expected a digit in a number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("expected a digit in the exponent"));
            }
        }
        let lexeme = self.s.get(start..self.pos).unwrap_or_default();
        // Only ASCII bytes were consumed, so this cannot fail.
        match std::str::from_utf8(lexeme) {
            Ok(s) => Ok(JsonValue::Number(s.to_owned())),
            Err(_) => Err(self.err("invalid number")),
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("expected four hex digits after \\u")),
            };
            v = (v << 4) | u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the longest run of plain bytes at once. The input is a &str,
            // and runs end only at ASCII bytes, so each run is valid UTF-8.
            let run_start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            if self.pos > run_start {
                let run = self.s.get(run_start..self.pos).unwrap_or_default();
                match std::str::from_utf8(run) {
                    Ok(s) => out.push_str(s),
                    Err(_) => return Err(self.err("invalid UTF-8 in a string")),
                }
            }
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek();
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let esc_start = self.pos - 1;
                            self.pos += 1;
                            let ch = self.unicode_escape(esc_start)?;
                            out.push(ch);
                            continue;
                        }
                        None => return Err(self.err("unterminated string")),
                        Some(_) => return Err(self.err("invalid escape sequence")),
                    }
                    self.pos += 1;
                }
                Some(_) => {
                    return Err(self.err("raw control character in a string (must be escaped)"));
                }
            }
        }
    }

    /// After `\u` has been consumed: reads the code unit and, for a high
    /// surrogate, the mandatory `\uDC00-\uDFFF` that must follow.
    fn unicode_escape(&mut self, esc_start: usize) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(JsonError {
                        offset: esc_start,
                        message: "high surrogate escape not followed by a low surrogate",
                    });
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(JsonError {
                        offset: esc_start,
                        message: "high surrogate escape not followed by a low surrogate",
                    });
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                return Err(JsonError { offset: esc_start, message: "lone low surrogate escape" });
            }
            c => c,
        };
        char::from_u32(code).ok_or(JsonError { offset: esc_start, message: "invalid unicode escape" })
    }
}

/// PHP 8 `json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)`.
pub fn php_encode(v: &JsonValue) -> String {
    let mut out = String::new();
    encode(v, &mut out, false);
    out
}

/// PHP 8 `json_encode($v)` with default flags: `/` escaped as `\/`, every
/// non-ASCII character as `\uXXXX` (lowercase, surrogate pairs beyond the BMP).
/// Used only by the historic `transactions` signature variant.
pub fn php_encode_default(v: &JsonValue) -> String {
    let mut out = String::new();
    encode(v, &mut out, true);
    out
}

fn encode(v: &JsonValue, out: &mut String, default_flags: bool) {
    match v {
        JsonValue::Null => out.push_str("null"),
        JsonValue::Bool(true) => out.push_str("true"),
        JsonValue::Bool(false) => out.push_str("false"),
        JsonValue::Number(n) => out.push_str(n),
        JsonValue::String(s) => encode_str(s, out, default_flags),
        JsonValue::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(item, out, default_flags);
            }
            out.push(']');
        }
        JsonValue::Object(pairs) => {
            out.push('{');
            for (i, (k, val)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_str(k, out, default_flags);
                out.push(':');
                encode(val, out, default_flags);
            }
            out.push('}');
        }
    }
}

fn push_u_escape(unit: u32, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12u32, 8, 4, 0] {
        let nibble = ((unit >> shift) & 0xF) as usize;
        out.push(char::from(HEX.get(nibble).copied().unwrap_or(b'0')));
    }
}

fn encode_str(s: &str, out: &mut String, default_flags: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if default_flags => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => push_u_escape(c as u32, out),
            // PHP escapes the JS line terminators even with
            // JSON_UNESCAPED_UNICODE (unless JSON_UNESCAPED_LINE_TERMINATORS).
            '\u{2028}' | '\u{2029}' => push_u_escape(c as u32, out),
            c if default_flags && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(u32::from(*unit), out);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> JsonValue {
        JsonValue::String(v.to_owned())
    }

    #[test]
    fn parses_all_kinds_and_keeps_lexemes_and_order() {
        let v = parse(r#" {"b":1.0e+25,"a":[true,false,null,-0,12.5,"x"],"b":{}} "#).unwrap();
        let JsonValue::Object(pairs) = &v else { panic!() };
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[0], ("b".into(), JsonValue::Number("1.0e+25".into())));
        assert_eq!(pairs[2], ("b".into(), JsonValue::Object(vec![])));
        assert_eq!(v.count_key("b"), 2);
        assert_eq!(v.get("b"), Some(&JsonValue::Number("1.0e+25".into())));
        let arr = v.get("a").and_then(JsonValue::as_array).unwrap();
        assert_eq!(arr[3], JsonValue::Number("-0".into()));
        assert_eq!(arr[5].as_str(), Some("x"));
        assert_eq!(php_encode(&v), r#"{"b":1.0e+25,"a":[true,false,null,-0,12.5,"x"],"b":{}}"#);
    }

    #[test]
    fn empty_object_and_array_are_distinct() {
        assert_eq!(php_encode(&parse("{}").unwrap()), "{}");
        assert_eq!(php_encode(&parse("[ ]").unwrap()), "[]");
        assert_eq!(php_encode(&parse(r#"{"a":{},"b":[]}"#).unwrap()), r#"{"a":{},"b":[]}"#);
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let v = parse(r#""\u0938\u0940 \/ \"q\" \\ \b\f\n\r\t \ud83d\ude00 \u00e9""#).unwrap();
        assert_eq!(v.as_str(), Some("सी / \"q\" \\ \u{8}\u{c}\n\r\t 😀 é"));
    }

    #[test]
    fn rejects_bad_input_with_offsets() {
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("{} x", 3),
            ("[1,]", 3),
            ("{\"a\":1,}", 7),
            ("01", 1),
            ("1.", 2),
            ("1e", 2),
            ("+1", 0),
            (".5", 0),
            ("'a'", 0),
            ("\"a\\x\"", 3),
            ("\"\\ud800\"", 1),
            ("\"\\ud800\\u0041\"", 1),
            ("\"\\udc00\"", 1),
            ("\"\\u12\"", 5),
            ("\"a\nb\"", 2),
            ("\"abc", 4),
            ("tru", 0),
            ("nul", 0),
            ("{\"a\" 1}", 5),
            ("{1:2}", 1),
            ("[1 2]", 3),
        ];
        for (input, offset) in cases {
            let e = parse(input).expect_err(input);
            assert_eq!(e.offset, *offset, "{input:?}: {e}");
            assert!(e.to_string().starts_with("invalid JSON at byte "), "{e}");
        }
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse(&ok).is_ok());
        let too_deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let e = parse(&too_deep).unwrap_err();
        assert!(e.message.contains("64"));
        let objs = format!("{}1{}", "{\"a\":".repeat(65), "}".repeat(65));
        assert!(parse(&objs).is_err());
        // Very deep garbage fails cleanly instead of overflowing the stack.
        assert!(parse(&"[".repeat(100_000)).is_err());
    }

    #[test]
    fn php_encode_string_rules() {
        let v = s("a/b \"c\" \\ \u{1}\u{1f}\u{7f} \u{8}\u{c}\n\r\t हिन्दी \u{2028}\u{2029} 😀");
        assert_eq!(
            php_encode(&v),
            "\"a/b \\\"c\\\" \\\\ \\u0001\\u001f\u{7f} \\b\\f\\n\\r\\t हिन्दी \\u2028\\u2029 😀\""
        );
        assert_eq!(
            php_encode_default(&v),
            "\"a\\/b \\\"c\\\" \\\\ \\u0001\\u001f\u{7f} \\b\\f\\n\\r\\t \\u0939\\u093f\\u0928\\u094d\\u0926\\u0940 \\u2028\\u2029 \\ud83d\\ude00\""
        );
        assert_eq!(php_encode(&s("\u{1b}")), "\"\\u001b\"");
    }

    #[test]
    fn php_encode_matches_serde_json_on_plain_data() {
        // For ASCII data without '/', PHP's output equals compact serde_json
        // output (serde_json sorts keys, so the keys here are already sorted).
        let text = r#"[{"a":"x","b":[1,2,{"c":null}],"d":true}]"#;
        let ours = php_encode(&parse(text).unwrap());
        let theirs = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn pretty_printed_input_reencodes_compact() {
        let text = "[\n    {\n        \"a\": \"https:\\/\\/x.test\\/p\",\n        \"n\": 1.0e+25\n    }\n]";
        assert_eq!(php_encode(&parse(text).unwrap()), r#"[{"a":"https://x.test/p","n":1.0e+25}]"#);
        assert_eq!(php_encode_default(&parse(text).unwrap()), r#"[{"a":"https:\/\/x.test\/p","n":1.0e+25}]"#);
    }
}
