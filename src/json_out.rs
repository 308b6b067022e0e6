//! The JSON writer of decisions, explanations, errors, warnings and the effective policy: string literals, from
//! text or from bytes that may not be UTF-8.
//!
//! Reading JSON is serde_json's (the policy compiler, [`crate::schema`]; requests, [`crate::Request::with_json`]).
//! Writing stays this small and float-free because it is the decision path's (a decision's and an explanation's JSON,
//! the error object): the output is only ever strings, literals and integers, and the decision-only wasm module must
//! hold no JSON library and no floating-point instruction.

use alloc::string::String;

/// Appends `s` as a JSON string literal.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    write_escaped(out, s);
    out.push('"');
}

fn write_escaped(out: &mut String, s: &str) {
    // Runs of bytes that need no escape are copied whole: a rule id or a trace step usually is one run.
    let mut run = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII, so `run..i` lies on character boundaries: `get` cannot fail. (Not `&s[..]`:
        // its panic path formats the string with `Debug`, whose Unicode tables the core wasm module cannot afford.)
        out.push_str(s.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        } else {
            out.push_str(escape);
        }
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
}

/// [`write_str`] for byte strings that may not be UTF-8: each invalid sequence is written as U+FFFD, as
/// `String::from_utf8_lossy` does, so the output is always valid JSON. (Not `from_utf8_lossy` itself: it costs the
/// size-budgeted core wasm module a kilobyte.)
pub fn write_bytes(out: &mut String, mut bytes: &[u8]) {
    out.push('"');
    loop {
        match core::str::from_utf8(bytes) {
            Ok(s) => break write_escaped(out, s),
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                write_escaped(out, core::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                bytes = &rest[e.error_len().unwrap_or(rest.len())..];
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_invalid_utf8_as_replacement_characters_like_from_utf8_lossy() {
        for bytes in [
            &b"plain"[..],
            b"a\xffb",
            b"\xf0\x9f\x98",
            b"\xf0\x9f\x98\x80\xe9x\xc3",
            b"\xed\xa0\x80\"\n",
            b"\xc0\xaf\xe0\x80\xbf\xf8",
            b"",
        ] {
            let mut ours = String::new();
            write_bytes(&mut ours, bytes);
            let mut reference = String::new();
            write_str(&mut reference, &String::from_utf8_lossy(bytes));
            assert_eq!(ours, reference, "{bytes:?}");
        }
    }

    #[test]
    fn writes_escaped_strings() {
        let mut s = String::new();
        write_str(&mut s, "a\"b\\c\u{1}");
        assert_eq!(s, r#""a\"b\\c\u0001""#);
    }

    /// Every ASCII character, alone and between multi-byte characters, is written so that the parser reads the
    /// same text back, and exactly the characters JSON requires are escaped.
    #[test]
    fn written_strings_parse_back_to_themselves() {
        for c in (0u8..0x80).map(char::from) {
            for text in [alloc::format!("{c}"), alloc::format!("é{c}€{c}{c}x😀")] {
                let mut out = String::new();
                write_str(&mut out, &text);
                let back: String =
                    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e:?}"));
                assert_eq!(back, text, "{out}");
                let escaped = out.len() - 2 - text.len();
                let expected = match c {
                    '"' | '\\' | '\n' | '\r' | '\t' => 1,
                    c if (c as u32) < 0x20 => 5,
                    _ => 0,
                } * text.matches(c).count();
                assert_eq!(escaped, expected, "{out}");
            }
        }
    }
}
