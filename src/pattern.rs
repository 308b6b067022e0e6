//! User-Agent patterns.
//!
//! A pattern matches the whole trimmed User-Agent, ASCII case-insensitively. `*` matches any run of bytes
//! (including none), `{shop}` matches 1 to 32 bytes of `A-Z a-z 0-9 . _ -`, every other byte is literal.
//!
//! # Matching in linear time
//!
//! A naive glob matcher backtracks and is quadratic on inputs like `a*a*a*b` against `aaaa…`; a User-Agent is
//! attacker-controlled, so that is not acceptable. A pattern is compiled to a list of *elements* and matched by
//! simulating the corresponding NFA over a bit set of positions: `O(len(ua) × elements)` with the element count
//! bounded by [`MAX_PATTERN_LEN`]. `{shop}` becomes one required element and 31 optional ones.
//!
//! Most User-Agents are rejected long before that: the literal prefix and suffix of the pattern are compared
//! first, so `Mozilla/5.0 …` against `SendCloud/1.0 (…` fails on the first byte, and the preset's
//! `SendCloud/1.0 ({shop}; https://www.sendcloud.sc)` reduces to a check that the middle is a valid shop name.

use alloc::string::String;
use alloc::vec::Vec;

/// Longest pattern accepted in a policy, in bytes. Keeps matching cost bounded per input byte.
pub const MAX_PATTERN_LEN: usize = 256;
/// Most `{shop}` placeholders in one pattern (each expands to 32 elements).
pub const MAX_SHOPS: usize = 4;

const SHOP_MAX: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Element {
    Byte(u8), // lower-cased
    Star,
    ShopRequired,
    ShopOptional,
}

/// A compiled User-Agent pattern (`*` any run, `{shop}` a shop name, the rest literal, ASCII case-insensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    /// Literal bytes that must start the value.
    prefix: Literal,
    /// Literal bytes that must end the value.
    suffix: Literal,
    /// What lies between prefix and suffix; empty for a purely literal pattern.
    middle: Vec<Element>,
    /// The middle is exactly one `{shop}`: checked without the NFA.
    middle_is_shop: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    TooLong,
    TooManyShops,
}

impl core::fmt::Display for PatternError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PatternError::TooLong => write!(f, "is longer than {MAX_PATTERN_LEN} bytes"),
            PatternError::TooManyShops => {
                write!(f, "has more than {MAX_SHOPS} {{shop}} placeholders")
            }
        }
    }
}

const SHOP_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
        b += 1;
    }
    table
};

fn is_shop_byte(b: u8) -> bool {
    SHOP_BYTE[usize::from(b)]
}

/// A literal run of a pattern, compared ASCII case-insensitively eight bytes at a time. `fold` has 0x20 where
/// `lower` has a letter: OR-ing it into the value maps exactly `A-Z` onto `a-z` at those places (and nothing else
/// onto a letter), so a word costs one OR and one compare instead of a full lower-casing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Literal {
    lower: Vec<u8>,
    fold: Vec<u8>,
}

impl Literal {
    fn new(lower: Vec<u8>) -> Literal {
        let fold = lower
            .iter()
            .map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 })
            .collect();
        Literal { lower, fold }
    }

    /// Is `value` (of the literal's length) the literal, ignoring ASCII case?
    fn matches(&self, value: &[u8]) -> bool {
        let n = value.len();
        if n != self.lower.len() {
            return false;
        }
        if n < 8 {
            return value
                .iter()
                .zip(&self.fold)
                .zip(&self.lower)
                .all(|((&v, &f), &l)| v | f == l);
        }
        all_words(n, |i| {
            word(value, i) | word(&self.fold, i) == word(&self.lower, i)
        })
    }
}

/// Literal tokens of a pattern before prefix/suffix extraction.
#[derive(Clone, Copy, PartialEq)]
enum Token {
    Byte(u8),
    Star,
    Shop,
}

impl Pattern {
    /// Compiles a pattern as written in a policy.
    pub fn parse(source: &str) -> Result<Pattern, PatternError> {
        let bytes = source.as_bytes();
        if bytes.len() > MAX_PATTERN_LEN {
            return Err(PatternError::TooLong);
        }
        let mut tokens = Vec::with_capacity(bytes.len());
        let mut i = 0;
        let mut shops = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"{shop}") {
                tokens.push(Token::Shop);
                shops += 1;
                i += 6;
            } else if bytes[i] == b'*' {
                // `**` means the same as `*`; keeping one keeps the NFA small.
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
                i += 1;
            } else {
                tokens.push(Token::Byte(bytes[i].to_ascii_lowercase()));
                i += 1;
            }
        }
        if shops > MAX_SHOPS {
            return Err(PatternError::TooManyShops);
        }
        let literal = |t: &Token| match *t {
            Token::Byte(b) => Some(b),
            _ => None,
        };
        let prefix: Vec<u8> = tokens.iter().map_while(literal).collect();
        let rest = &tokens[prefix.len()..];
        let mut suffix: Vec<u8> = rest.iter().rev().map_while(literal).collect();
        suffix.reverse();
        let middle_tokens = &rest[..rest.len() - suffix.len()];
        let mut middle = Vec::new();
        for t in middle_tokens {
            match *t {
                Token::Byte(b) => middle.push(Element::Byte(b)),
                Token::Star => middle.push(Element::Star),
                Token::Shop => {
                    middle.push(Element::ShopRequired);
                    middle.extend(core::iter::repeat_n(Element::ShopOptional, SHOP_MAX - 1));
                }
            }
        }
        let middle_is_shop = middle_tokens == [Token::Shop];
        Ok(Pattern {
            source: String::from(source),
            prefix: Literal::new(prefix),
            suffix: Literal::new(suffix),
            middle,
            middle_is_shop,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Does the pattern match the whole of `value` (already trimmed)?
    pub fn matches(&self, value: &[u8]) -> bool {
        let (p, s) = (self.prefix.lower.len(), self.suffix.lower.len());
        // Lengths first: a literal pattern has exactly one length, a `{shop}` middle a range of 32.
        if self.middle.is_empty() && value.len() != p + s {
            return false;
        }
        if self.middle_is_shop && !(p + s + 1..=p + s + SHOP_MAX).contains(&value.len()) {
            return false;
        }
        if value.len() < p + s
            || !self.prefix.matches(&value[..p])
            || !self.suffix.matches(&value[value.len() - s..])
        {
            return false;
        }
        let middle = &value[p..value.len() - s];
        if self.middle.is_empty() {
            return middle.is_empty();
        }
        if self.middle_is_shop {
            return (1..=SHOP_MAX).contains(&middle.len())
                && middle.iter().all(|&b| is_shop_byte(b));
        }
        self.run_nfa(middle)
    }

    fn run_nfa(&self, input: &[u8]) -> bool {
        let n = self.middle.len();
        // Position i means "element i is next"; position n means "all matched".
        let mut current = alloc::vec![false; n + 1];
        let mut next = alloc::vec![false; n + 1];
        current[0] = true;
        self.close(&mut current);
        for &raw in input {
            let b = raw.to_ascii_lowercase();
            next.iter_mut().for_each(|x| *x = false);
            let mut any = false;
            for (i, (&live, element)) in current.iter().zip(&self.middle).enumerate() {
                if !live {
                    continue;
                }
                let target = match *element {
                    Element::Byte(c) if c == b => i + 1,
                    Element::Star => i,
                    Element::ShopRequired | Element::ShopOptional if is_shop_byte(b) => i + 1,
                    _ => continue,
                };
                next[target] = true;
                any = true;
            }
            if !any {
                return false;
            }
            self.close(&mut next);
            core::mem::swap(&mut current, &mut next);
        }
        current[n]
    }

    /// Epsilon closure: a star or an optional shop byte may match nothing, so the position after it is reachable
    /// too. One forward sweep suffices because epsilon edges only go forward.
    fn close(&self, set: &mut [bool]) {
        for i in 0..self.middle.len() {
            if set[i] && matches!(self.middle[i], Element::Star | Element::ShopOptional) {
                set[i + 1] = true;
            }
        }
    }
}

/// `value` equals `lower` (already lower-case) ASCII case-insensitively. Eight bytes at a time: this comparison
/// is most of the cost of a decision, since every request's User-Agent meets every partner's patterns.
pub(crate) fn eq_lower(value: &[u8], lower: &[u8]) -> bool {
    let n = value.len();
    if n != lower.len() {
        return false;
    }
    if n < 8 {
        return value
            .iter()
            .zip(lower)
            .all(|(&a, &b)| a.to_ascii_lowercase() == b);
    }
    all_words(n, |i| lower8(word(value, i)) == word(lower, i))
}

/// The first `Some` that `at_word` gives over the eight-byte words of `n >= 8` bytes: the words at 0, 8, 16, … and,
/// for the tail, one word ending at `n` that overlaps bytes already seen (cheaper than a byte loop).
fn first_word<T>(n: usize, at_word: impl Fn(usize) -> Option<T>) -> Option<T> {
    let mut i = 0;
    while i + 8 <= n {
        if let Some(found) = at_word(i) {
            return Some(found);
        }
        i += 8;
    }
    if i == n {
        None
    } else {
        at_word(n - 8)
    }
}

/// Whether `word_ok` holds at every eight-byte word of `n >= 8` bytes (as [`first_word`] walks them).
fn all_words(n: usize, word_ok: impl Fn(usize) -> bool) -> bool {
    first_word(n, |i| (!word_ok(i)).then_some(())).is_none()
}

fn word(bytes: &[u8], at: usize) -> u64 {
    let w = &bytes[at..at + 8];
    u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
}

/// One in every byte of a word: times a byte, that byte in every place.
const ONES: u64 = 0x0101_0101_0101_0101;

/// ASCII-lower-cases eight bytes at once; bytes outside `A-Z` (including every byte >= 0x80) are unchanged.
fn lower8(x: u64) -> u64 {
    let seven_bits = x & (0x7f * ONES);
    // High bit of each byte set iff that byte (ignoring its own high bit) is >= 'A', resp. > 'Z'; no carries
    // cross bytes because 0x7f + 0x3f < 0x100.
    let at_least_a = seven_bits + (0x80 - u64::from(b'A')) * ONES;
    let above_z = seven_bits + (0x80 - u64::from(b'Z') - 1) * ONES;
    let upper = at_least_a & !above_z & !x & (0x80 * ONES);
    x | (upper >> 2)
}

/// ASCII case-insensitive substring search; `needle` is already lower-case and non-empty. Candidate positions
/// are found eight bytes at a time (a byte equal to the needle's first byte, in either case), so a User-Agent
/// that mentions no partner costs about one instruction per byte.
pub fn contains_lower(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    if haystack.len() < needle.len() {
        return false;
    }
    const LOW7: u64 = 0x7f * ONES;
    // Start positions 0..starts; words are read wherever eight bytes remain, which for a needle of eight bytes or
    // more covers every start, and candidates past the last start are masked off.
    let starts = haystack.len() - needle.len() + 1;
    let matches_at = |i: usize| eq_lower(&haystack[i..i + needle.len()], needle);
    // As in `Literal`: OR-ing 0x20 into a byte gives `first` exactly when the byte is `first` in either case, if
    // `first` is a letter; any other first byte is compared as it is.
    let fold = if first.is_ascii_lowercase() {
        0x20 * ONES
    } else {
        0
    };
    let firsts = u64::from(first) * ONES;
    // The high bit of each byte of the result is set exactly where the word has the needle's first byte.
    let candidates = |w: u64| {
        let diff = (w | fold) ^ firsts;
        !(((diff & LOW7) + LOW7) | diff | LOW7)
    };
    let check = |base: usize, mut zeros: u64| {
        while zeros != 0 {
            if matches_at(base + zeros.trailing_zeros() as usize / 8) {
                return true;
            }
            zeros &= zeros - 1;
        }
        false
    };
    // Whole words of starts: no masking, no bounds checks in the loop.
    let whole = starts / 8 * 8;
    for (k, chunk) in haystack[..whole].chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        if check(8 * k, candidates(w)) {
            return true;
        }
    }
    // The last starts (fewer than eight): one more word if eight bytes remain, masked to those starts.
    let rest = starts - whole;
    if rest == 0 {
        return false;
    }
    if whole + 8 <= haystack.len() {
        return check(
            whole,
            candidates(word(haystack, whole)) & ((1u64 << (8 * rest)) - 1),
        );
    }
    (whole..starts).any(|i| (haystack[i] | fold as u8) == first && matches_at(i))
}

/// Whether `bytes` contains `b`: `<[u8]>::contains`, which is memchr; in the core wasm module (built with
/// `--cfg scg_small_code`, .ci/build-wasm.sh) [`find_byte_words`], which is 100 bytes of code where memchr is 400
/// (and several kilobytes of its PHP translation). Not in the JS package, which is built for speed (opt-level 3).
#[inline]
pub(crate) fn has_byte(bytes: &[u8], b: u8) -> bool {
    if cfg!(scg_small_code) {
        find_byte_words(bytes, b).is_some()
    } else {
        bytes.contains(&b)
    }
}

/// The position of the first `b` in `bytes`. Natively memchr first ([`has_byte`]), so that the common case — not
/// there — is one fast scan; in the core module [`find_byte_words`].
#[inline]
pub(crate) fn find_byte(bytes: &[u8], b: u8) -> Option<usize> {
    if cfg!(scg_small_code) {
        find_byte_words(bytes, b)
    } else if has_byte(bytes, b) {
        bytes.iter().position(|&c| c == b)
    } else {
        None
    }
}

/// The position of the first `b` in `bytes`, eight bytes per step: the request target is scanned for `?` and its
/// query for `%` or `m` on every decision, and a PHP host runs each step of a byte loop as several statements.
#[inline(always)]
pub(crate) fn find_byte_words(bytes: &[u8], b: u8) -> Option<usize> {
    found(bytes, find_byte_at(bytes, b))
}

/// A position from the `*_at` searches below as an `Option`. They return a plain number (the length when nothing
/// is found) because a call returns that as one value, where an `Option<usize>` comes back through memory in wasm.
#[inline(always)]
fn found(bytes: &[u8], at: usize) -> Option<usize> {
    (at < bytes.len()).then_some(at)
}

fn find_byte_at(bytes: &[u8], b: u8) -> usize {
    let pattern = ONES * u64::from(b);
    find_words(bytes, |w| zero_bytes(w ^ pattern), |c| c == b)
}

/// The position of the first `a` or `b` in `bytes`: [`find_byte`] for two bytes in one pass, eight bytes per step
/// natively too (a byte loop costs twice the instructions on a request target).
#[inline]
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    find_either_words(bytes, a, b)
}

#[inline(always)]
fn find_either_words(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    found(bytes, find_either_at(bytes, a, b))
}

fn find_either_at(bytes: &[u8], a: u8, b: u8) -> usize {
    let (pa, pb) = (ONES * u64::from(a), ONES * u64::from(b));
    find_words(
        bytes,
        |w| zero_bytes(w ^ pa) | zero_bytes(w ^ pb),
        |c| c == a || c == b,
    )
}

/// A byte of `word ^ pattern` is zero where the word has the pattern's byte; `(x - 0x01..) & !x & 0x80..` flags
/// every zero byte, and falsely only bytes above a true one, so the lowest flag is the first match — also of the
/// union of two such masks.
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & (0x80 * ONES)
}

/// The first byte flagged by `flags` (the word form of `is`), a word at a time; the length of `bytes` if none is.
/// The tail word [`first_word`] reads from `n - 8` overlaps bytes already searched, which do not match, so its
/// lowest flag is still the first match.
#[inline(always)]
fn find_words(bytes: &[u8], flags: impl Fn(u64) -> u64, is: impl Fn(u8) -> bool) -> usize {
    let n = bytes.len();
    if n < 8 {
        return bytes.iter().position(|&c| is(c)).unwrap_or(n);
    }
    first_word(n, |at| {
        let found = flags(word(bytes, at));
        (found != 0).then(|| at + found.trailing_zeros() as usize / 8)
    })
    .unwrap_or(n)
}

/// `bytes.is_ascii()`, eight bytes at a time: User-Agents are short and almost always ASCII, and this is several
/// times fewer instructions than the standard library's version on them.
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n < 8 {
        return bytes.iter().all(u8::is_ascii);
    }
    all_words(n, |i| word(bytes, i) & 0x8080_8080_8080_8080 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        Pattern::parse(p).unwrap().matches(v.as_bytes())
    }

    const SHOP_UA: &str = "SendCloud/1.0 ({shop}; https://www.sendcloud.sc)";

    #[test]
    fn literal_patterns_match_whole_value_case_insensitively() {
        assert!(m("Sendcloud/1.0.0", "Sendcloud/1.0.0"));
        assert!(m("Sendcloud/1.0.0", "SENDCLOUD/1.0.0"));
        assert!(!m("Sendcloud/1.0.0", "Sendcloud/1.0.0 extra"));
        assert!(!m("Sendcloud/1.0.0", "xSendcloud/1.0.0"));
        assert!(!m("Sendcloud/1.0.0", "Sendcloud/1.0"));
        assert!(m("", ""));
    }

    #[test]
    fn shop_placeholder() {
        assert!(m(
            SHOP_UA,
            "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)"
        ));
        assert!(m(
            SHOP_UA,
            "sendcloud/1.0 (My.Shop_1-x; HTTPS://WWW.SENDCLOUD.SC)"
        ));
        assert!(m(
            SHOP_UA,
            &alloc::format!(
                "SendCloud/1.0 ({}; https://www.sendcloud.sc)",
                "a".repeat(32)
            )
        ));
        assert!(!m(
            SHOP_UA,
            &alloc::format!(
                "SendCloud/1.0 ({}; https://www.sendcloud.sc)",
                "a".repeat(33)
            )
        ));
        assert!(!m(SHOP_UA, "SendCloud/1.0 (; https://www.sendcloud.sc)"));
        assert!(!m(
            SHOP_UA,
            "SendCloud/1.0 (my shop; https://www.sendcloud.sc)"
        ));
        assert!(!m(SHOP_UA, "SendCloud/1.0 (a/b; https://www.sendcloud.sc)"));
        assert!(m("x{shop}y{shop}z", "xaaybz"));
        assert!(!m("x{shop}y{shop}z", "xaayz"));
        assert!(m("{shop}", "abc"));
        assert!(m("a{shop}{shop}", "abc"));
        assert!(!m("a{shop}{shop}", "ab"));
    }

    #[test]
    fn stars() {
        assert!(m("Acme-Sync/*", "Acme-Sync/"));
        assert!(m("Acme-Sync/*", "acme-sync/2.1 (linux)"));
        assert!(!m("Acme-Sync/*", "Acme-Sync"));
        assert!(m("*", ""));
        assert!(m("*bot*", "Googlebot/2.1"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("*{shop}*", "  x  "));
        assert!(!m("*{shop}*", "   "));
        assert!(m("a**b", "ab"));
    }

    #[test]
    fn braces_other_than_shop_are_literal() {
        assert!(m("x{foo}", "x{FOO}"));
        assert!(!m("x{foo}", "xfoo"));
        assert!(m("{shop", "{SHOP"));
    }

    #[test]
    fn adversarial_input_is_linear() {
        let p = Pattern::parse("*a*a*a*a*a*a*a*a*b").unwrap();
        let input = alloc::vec![b'a'; 100_000];
        assert!(!p.matches(&input));
    }

    #[test]
    fn limits() {
        assert_eq!(Pattern::parse(&"a".repeat(257)), Err(PatternError::TooLong));
        assert_eq!(
            Pattern::parse(&"{shop}".repeat(5)),
            Err(PatternError::TooManyShops)
        );
    }

    #[test]
    fn word_lowering_agrees_with_bytewise() {
        for start in 0..=255u8 {
            let bytes: [u8; 8] =
                core::array::from_fn(|i| start.wrapping_add((i as u8).wrapping_mul(37)));
            let lowered = lower8(u64::from_le_bytes(bytes)).to_le_bytes();
            assert_eq!(lowered, bytes.map(|b| b.to_ascii_lowercase()), "{bytes:?}");
        }
        assert!(eq_lower(
            b"SENDCLOUD/1.0 (WOOCOMMERCE",
            b"sendcloud/1.0 (woocommerce"
        ));
        assert!(!eq_lower(
            b"SENDCLOUD/1.0 (WOOCOMMERCf",
            b"sendcloud/1.0 (woocommerce"
        ));
        assert!(!eq_lower(b"\xc1ENDCLOUD", b"aendcloud"));
    }

    #[test]
    fn folded_literals_agree_with_ascii_case_folding_for_every_byte() {
        for text in [
            &b"sendcloud/1.0 (x"[..],
            b"; https://www.sendcloud.sc)",
            b"a-z{}[]@`_~1",
            b"ab",
        ] {
            let literal = Literal::new(text.to_vec());
            assert!(literal.matches(text));
            for at in 0..text.len() {
                for b in 0..=255u8 {
                    let mut value = text.to_vec();
                    value[at] = b;
                    assert_eq!(
                        literal.matches(&value),
                        value.eq_ignore_ascii_case(text),
                        "{text:?} with byte {b:#x} at {at}"
                    );
                    // The claims search takes the same shortcut for its first byte.
                    let hay = [b"xxxxxxxxxxxxxxx".as_slice(), &value, b"xxxxxxxxx"].concat();
                    let naive = hay
                        .windows(text.len())
                        .any(|w| w.eq_ignore_ascii_case(text));
                    assert_eq!(contains_lower(&hay, text), naive, "{hay:?}");
                }
            }
        }
    }

    #[test]
    fn word_wise_ascii_check_agrees_with_core() {
        for len in 0..40 {
            let clean = alloc::vec![b'a'; len];
            assert!(is_ascii(&clean));
            for at in 0..len {
                for b in [0x7f, 0x80, 0xc3, 0xff] {
                    let mut v = clean.clone();
                    v[at] = b;
                    assert_eq!(is_ascii(&v), v.is_ascii(), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn substring_claims() {
        assert!(contains_lower(b"Mozilla SENDCLOUD bot", b"sendcloud"));
        assert!(contains_lower(b"sendcloud", b"sendcloud"));
        assert!(!contains_lower(b"sendclou", b"sendcloud"));
        assert!(!contains_lower(b"send cloud", b"sendcloud"));
    }

    /// The word-at-a-time search against `position`, for every length up to 40, every match position, a second
    /// match, and neighbours that trip naive zero-byte tests (`b ^ 1`, `b ^ 0x80`, 0x00, 0xff).
    #[test]
    fn find_byte_words_finds_the_first_match() {
        for b in [0u8, 1, b'?', b'#', 0x7f, 0x80, 0xff] {
            for n in 0..40usize {
                for fill in [b ^ 1, b ^ 0x80, 0, 0xff, b'a'] {
                    if fill == b {
                        continue;
                    }
                    let base = alloc::vec![fill; n];
                    assert_eq!(find_byte_words(&base, b), None, "{b} {n} {fill}");
                    for at in 0..n {
                        let mut v = base.clone();
                        v[at] = b;
                        assert_eq!(find_byte_words(&v, b), Some(at), "{b} {n} {fill} {at}");
                        if at + 3 < n {
                            v[at + 3] = b;
                            assert_eq!(
                                find_byte_words(&v, b),
                                Some(at),
                                "{b} {n} {fill} {at} twice"
                            );
                        }
                    }
                }
            }
        }
    }

    /// Two needles: the first of either, whichever comes first, with the other needle (or bytes next to both,
    /// which a borrow from one byte's subtraction could flag) before or after it.
    #[test]
    fn find_either_words_finds_the_first_of_two() {
        let pairs = [
            (b'%', b'm'),
            (0u8, 1u8),
            (0x7f, 0x80),
            (0xff, 0),
            (b'a', b'b'),
        ];
        for (a, b) in pairs {
            let fills = [
                0u8,
                1,
                0xff,
                0x80,
                b'n',
                b'%' ^ 1,
                a.wrapping_add(1),
                b.wrapping_sub(1),
            ];
            for fill in fills.into_iter().filter(|f| *f != a && *f != b) {
                for n in 0..30usize {
                    let base = alloc::vec![fill; n];
                    assert_eq!(find_either_words(&base, a, b), None, "{a} {b} {n} {fill}");
                    for at in 0..n {
                        for (first, second) in [(a, b), (b, a)] {
                            let mut v = base.clone();
                            v[at] = first;
                            let want = v.iter().position(|&c| c == a || c == b);
                            assert_eq!(
                                find_either_words(&v, a, b),
                                want,
                                "{a} {b} {n} {fill} {at}"
                            );
                            for later in at + 1..n {
                                let mut w = v.clone();
                                w[later] = second;
                                assert_eq!(
                                    find_either_words(&w, a, b),
                                    Some(at),
                                    "{a} {b} {n} {fill} {at} {later}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
