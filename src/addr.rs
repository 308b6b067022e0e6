//! IP addresses as the contract sees them, and sets of address ranges.
//!
//! [`Ip`] is either an IPv4 address as a `u32` or an IPv6 address as a `u128`. An IPv4-mapped IPv6 address
//! (`::ffff:a.b.c.d`) is *always* turned into the IPv4 address when it is parsed, in requests, headers and policy
//! lists alike, so no comparison anywhere can be fooled by the two spellings of one address.
//!
//! Parsing is strict on purpose: an address that a firewall and the engine could read differently (`010.1.1.1`,
//! which some libraries read as octal) is malformed, and malformed input never gets `allow`.
//!
//! [`RangeSet`] holds ranges as merged, sorted, disjoint `[start, end]` intervals, IPv4 and IPv6 apart, searched by
//! binary search: 8 bytes per IPv4 range, 32 per IPv6 range, `O(log n)` per lookup however the ranges were written.

use alloc::vec::Vec;
use core::fmt;

use crate::pattern::has_byte;

/// An address after parsing and un-mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ip {
    /// An IPv4 address (also what an IPv4-mapped IPv6 address is).
    V4(u32),
    /// An IPv6 address.
    V6(u128),
}

const MAPPED_PREFIX: u128 = 0xffff_0000_0000;
const MAPPED_START: u128 = MAPPED_PREFIX;
const MAPPED_END: u128 = MAPPED_PREFIX | 0xffff_ffff;

/// `::ffff:a.b.c.d`: an IPv4 address written as IPv6.
fn is_mapped(v: u128) -> bool {
    (MAPPED_START..=MAPPED_END).contains(&v)
}

impl Ip {
    fn from_v6(v: u128) -> Ip {
        if is_mapped(v) {
            Ip::V4(v as u32)
        } else {
            Ip::V6(v)
        }
    }
}

impl fmt::Display for Ip {
    /// IPv4 as a dotted quad, IPv6 in the RFC 5952 form (lower case, longest run of zero groups compressed), as
    /// the standard library prints them. Written out rather than borrowed from `core::net` because the core wasm
    /// module has a size budget and `core::net`'s formatting and parsing cost about 6 KiB of it; the unit and
    /// property tests compare both directions with `std::net`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 40];
        let n = self.write_ascii(&mut buf);
        // Only ASCII digits, hex letters, dots and colons were written.
        f.write_str(core::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

impl Ip {
    /// Writes the address as [`Display`](fmt::Display) does, in ASCII at the start of `out`; returns the length.
    /// For the decision's JSON, which is written without `core::fmt` (the decision module has no formatting code).
    pub fn write_ascii(&self, out: &mut [u8; 40]) -> usize {
        match *self {
            Ip::V4(v) => write_v4(out, v),
            Ip::V6(v) => write_v6(out, v),
        }
    }
}

/// Writes `a.b.c.d` at the start of `out` (at least 15 bytes); returns the length.
fn write_v4(out: &mut [u8], v: u32) -> usize {
    let mut n = 0;
    for (i, octet) in v.to_be_bytes().into_iter().enumerate() {
        if i > 0 {
            out[n] = b'.';
            n += 1;
        }
        let (h, t, o) = (octet / 100, octet / 10 % 10, octet % 10);
        if h > 0 {
            out[n] = b'0' + h;
            n += 1;
        }
        if h > 0 || t > 0 {
            out[n] = b'0' + t;
            n += 1;
        }
        out[n] = b'0' + o;
        n += 1;
    }
    n
}

/// Writes the RFC 5952 text of an IPv6 address at the start of `out` (at least 39 bytes); returns the length. The
/// first longest run of two or more zero groups becomes `::`; an IPv4-mapped address is `::ffff:a.b.c.d`.
fn write_v6(out: &mut [u8], v: u128) -> usize {
    if is_mapped(v) {
        out[..7].copy_from_slice(b"::ffff:");
        return 7 + write_v4(&mut out[7..], v as u32);
    }
    let groups: [u16; 8] = core::array::from_fn(|i| (v >> (112 - 16 * i)) as u16);
    let (mut best, mut best_len, mut run) = (0usize, 0usize, 0usize);
    for (i, &g) in groups.iter().enumerate() {
        run = if g == 0 { run + 1 } else { 0 };
        if run > best_len {
            (best, best_len) = (i + 1 - run, run);
        }
    }
    if best_len < 2 {
        best_len = 0;
        best = 8;
    }
    let mut n = 0;
    let mut i = 0;
    while i < 8 {
        if i == best {
            out[n..n + 2].copy_from_slice(b"::");
            n += 2;
            i += best_len;
            continue;
        }
        if i > 0 && i != best + best_len {
            out[n] = b':';
            n += 1;
        }
        let g = groups[i];
        let digits = (16 - g.leading_zeros() as usize).div_ceil(4).max(1);
        for d in (0..digits).rev() {
            out[n] = b"0123456789abcdef"[usize::from(g >> (4 * d) & 15)];
            n += 1;
        }
        i += 1;
    }
    n
}

/// An IPv6 address as the standard library's `Ipv6Addr::from_str` reads it (hand-written for the size budget, see
/// [`Ip`]'s `Display`): up to eight groups of one to four hex digits, one `::` standing for at least one zero
/// group, and an optional dotted-quad tail in place of the last two groups.
fn parse_v6(text: &[u8]) -> Option<u128> {
    let mut head = [0u16; 8];
    let (head_len, end, head_v4) = v6_groups(text, &mut head);
    if head_len == 8 {
        return (end == text.len()).then(|| join_groups(head));
    }
    if head_v4 || text.get(end..end + 2) != Some(b"::") {
        return None;
    }
    let rest = &text[end + 2..];
    let mut tail = [0u16; 7];
    let (tail_len, tail_end, _) = v6_groups(rest, &mut tail[..7 - head_len]);
    if tail_end != rest.len() {
        return None;
    }
    head[8 - tail_len..].copy_from_slice(&tail[..tail_len]);
    Some(join_groups(head))
}

/// Reads `:`-separated groups from the start of `text` into `groups` until one does not parse; returns how many were
/// read, where reading stopped, and whether the last two were a dotted quad (which must end the text).
fn v6_groups(text: &[u8], groups: &mut [u16]) -> (usize, usize, bool) {
    let limit = groups.len();
    let mut pos = 0;
    for i in 0..limit {
        let start = if i == 0 {
            0
        } else if text.get(pos) == Some(&b':') {
            pos + 1
        } else {
            return (i, pos, false);
        };
        // A dotted quad can only be the last thing in the text: nothing after it can consume its dots.
        if i + 1 < limit {
            if let Some(v4) = parse_v4(&text[start..]) {
                groups[i] = (v4 >> 16) as u16;
                groups[i + 1] = v4 as u16;
                return (i + 2, text.len(), true);
            }
        }
        let digits = text[start..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if !(1..=4).contains(&digits) {
            return (i, pos, false);
        }
        groups[i] = text[start..start + digits]
            .iter()
            .fold(0u16, |g, &b| g << 4 | u16::from(hex_value(b)));
        pos = start + digits;
    }
    (limit, pos, false)
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        _ => (b | 0x20) - b'a' + 10,
    }
}

fn join_groups(groups: [u16; 8]) -> u128 {
    groups.iter().fold(0u128, |v, &g| v << 16 | u128::from(g))
}

/// Longest address text worth looking at: a full IPv6 address with an embedded IPv4 tail, brackets and a zone.
const MAX_ADDR_TEXT: usize = 96;

/// Parses a peer address: a dotted-quad IPv4 address (no leading zeros), or an IPv6 address with an optional zone
/// (`%eth0`, dropped) and optional surrounding brackets. No port, no surrounding spaces.
pub fn parse_addr(text: &[u8]) -> Option<Ip> {
    parse_addr_noting_form(text).map(|(ip, _)| ip)
}

/// [`parse_addr`], and whether `text` is exactly what [`Ip::write_ascii`] writes for the address: true for every
/// dotted quad (the parser takes no other IPv4 spelling), false for IPv6 forms (which may differ in case, zeros
/// or brackets, and may be IPv4-mapped). A host that gets the address back as text can then skip writing it.
pub(crate) fn parse_addr_noting_form(text: &[u8]) -> Option<(Ip, bool)> {
    if text.len() > MAX_ADDR_TEXT {
        return None;
    }
    let inner = match text {
        [b'[', inner @ .., b']'] => return parse_v6_with_zone(inner).map(|ip| (ip, false)),
        _ => text,
    };
    // IPv4 first: it is the common case and fails fast on anything else.
    match parse_v4(inner) {
        Some(v4) => Some((Ip::V4(v4), true)),
        None if has_byte(inner, b':') => parse_v6_with_zone(inner).map(|ip| (ip, false)),
        None => None,
    }
}

/// A dotted quad: four decimal octets of 1 to 3 digits, no leading zeros, each at most 255. Written out (rather
/// than `core::net::Ipv4Addr::from_str`) because it runs on every request and this is several times faster; the unit
/// tests below and the property tests compare it with the standard library's parser.
///
/// One pass, a few operations per byte (a PHP host runs each as a statement); inlined into its callers so that the
/// result stays out of memory (a call returns an `Option<u32>` through memory in wasm). Natively this costs about
/// 100 instructions more per address than a per-octet parser, which is well within the native budget. An octet cannot pass 3 digits: a fourth makes it 1000 or more, unless it started
/// with a zero, which may stand only alone.
#[inline(always)]
fn parse_v4(text: &[u8]) -> Option<u32> {
    if !(7..=15).contains(&text.len()) {
        return None;
    }
    let (mut value, mut octet, mut digits, mut dots) = (0u32, 0u32, 0u32, 0u32);
    for &b in text {
        if b == b'.' {
            if digits == 0 || dots == 3 {
                return None;
            }
            value = value << 8 | octet;
            (octet, digits, dots) = (0, 0, dots + 1);
            continue;
        }
        let d = b.wrapping_sub(b'0');
        if d > 9 || (digits > 0 && octet == 0) {
            return None;
        }
        octet = octet * 10 + u32::from(d);
        digits += 1;
        if octet > 255 {
            return None;
        }
    }
    (dots == 3 && digits > 0).then_some(value << 8 | octet)
}

fn parse_v6_with_zone(text: &[u8]) -> Option<Ip> {
    let addr = match text.iter().position(|&b| b == b'%') {
        Some(i) => {
            let zone = &text[i + 1..];
            if zone.is_empty()
                || !zone
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
            {
                return None;
            }
            &text[..i]
        }
        None => text,
    };
    parse_v6(addr).map(Ip::from_v6)
}

/// Parses one entry of a forwarding header (contract v2, one syntax for every header): a dotted quad, optionally
/// with a port (`203.0.113.9:443`); an IPv6 address, bare (no port: a port on IPv6 needs brackets) or in brackets,
/// optionally with a port (`[2001:db8::1]:443`). A port is 1 to 65535. No zone (zones are only dropped from
/// `remote_addr`), no bracketed IPv4. Surrounding spaces and tabs are trimmed.
pub fn parse_hop(text: &[u8]) -> Option<Ip> {
    let text = trim_ows(text);
    if has_byte(text, b'%') {
        return None;
    }
    if let Some(rest) = text.strip_prefix(b"[") {
        let close = rest.iter().position(|&b| b == b']')?;
        let after = &rest[close + 1..];
        if !after.is_empty() && !is_port_suffix(after) {
            return None;
        }
        let inner = &rest[..close];
        return has_byte(inner, b':').then(|| parse_v6(inner).map(Ip::from_v6))?;
    }
    let colons = text.iter().filter(|&&b| b == b':').count();
    if colons == 1 {
        // Only IPv4 can carry a port without brackets; a bare IPv6 address has at least two colons.
        let i = text.iter().position(|&b| b == b':')?;
        if !is_port_suffix(&text[i..]) {
            return None;
        }
        return parse_v4(&text[..i]).map(Ip::V4);
    }
    match parse_v4(text) {
        Some(v4) => Some(Ip::V4(v4)),
        None if colons > 1 => parse_v6(text).map(Ip::from_v6),
        None => None,
    }
}

/// `:` followed by a decimal port number from 1 to 65535.
fn is_port_suffix(s: &[u8]) -> bool {
    let Some(digits) = s.strip_prefix(b":") else {
        return false;
    };
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let port = digits
        .iter()
        .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    (1..=65535).contains(&port)
}

/// Trims HTTP optional white space (spaces and tabs) from both ends. Inlined: as a call, the slice would come back
/// through memory in wasm.
#[inline(always)]
pub fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A set of addresses stored as merged, sorted, disjoint inclusive intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl RangeSet {
    /// Rebuilds a set from stored intervals, checking that they are sorted, disjoint and non-adjacent exactly as
    /// `RangeSet::from_cidrs` (`crate::ranges`) leaves them. Used when loading a compiled policy, which is never
    /// trusted blindly.
    pub fn from_intervals(v4: Vec<(u32, u32)>, v6: Vec<(u128, u128)>) -> Option<RangeSet> {
        fn canonical<T: Copy + Ord + core::ops::Add<Output = T> + From<u8>>(v: &[(T, T)]) -> bool {
            v.iter().all(|&(s, e)| s <= e)
                && v.windows(2)
                    .all(|w| w[0].1 < w[1].0 && w[0].1 + T::from(1) < w[1].0)
        }
        (canonical(&v4) && canonical(&v6)).then_some(RangeSet { v4, v6 })
    }

    /// Whether `ip` is in one of the ranges.
    pub fn contains(&self, ip: &Ip) -> bool {
        match *ip {
            Ip::V4(x) => {
                let i = self.v4.partition_point(|&(start, _)| start <= x);
                i > 0 && x <= self.v4[i - 1].1
            }
            Ip::V6(x) => {
                let i = self.v6.partition_point(|&(start, _)| start <= x);
                i > 0 && x <= self.v6[i - 1].1
            }
        }
    }

    /// Whether the set has no range at all.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// The IPv4 ranges as sorted, disjoint, merged (first, last) pairs.
    pub fn v4(&self) -> &[(u32, u32)] {
        &self.v4
    }

    /// The IPv6 ranges as sorted, disjoint, merged (first, last) pairs.
    pub fn v6(&self) -> &[(u128, u128)] {
        &self.v6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use core::str::FromStr;

    /// The form flag is what lets the fields writer copy the peer's text: it must never be set for text that
    /// `write_ascii` would spell differently.
    #[test]
    fn noted_form_is_canonical_exactly_when_flagged() {
        for text in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "94.232.247.10",
            "::1",
            "::ffff:1.2.3.4",
            "[::ffff:1.2.3.4]",
            "0::ffff:1.2.3.4",
            "2001:db8::1",
            "2001:DB8::1",
            "[2001:db8::1]",
            "fe80::1%eth0",
            "::ffff:0102:0304",
        ] {
            let (ip, canonical) = parse_addr_noting_form(text.as_bytes()).unwrap();
            assert_eq!(Some(ip), parse_addr(text.as_bytes()), "{text}");
            let mut out = [0u8; 40];
            let n = ip.write_ascii(&mut out);
            if canonical {
                assert_eq!(&out[..n], text.as_bytes(), "{text}");
            }
            assert_eq!(
                canonical,
                matches!(ip, Ip::V4(_)) && !text.contains(':'),
                "{text}"
            );
        }
    }

    #[test]
    fn ipv6_parser_and_printer_agree_with_core() {
        let cases = [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::8",
            "1::2::3",
            ":1::",
            "1:::2",
            ":::",
            "::ffff:1.2.3.4",
            "::1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "1.2.3.4::",
            "::1.2.3.4:5",
            "::1.2.3",
            "::01.2.3.4",
            "::256.1.1.1",
            "12345::",
            "01234::",
            "0000:0::",
            "FFFF::aBcD",
            "g::",
            "1:2:3:4:5:6:7:8:",
            ":1:2:3:4:5:6:7:8",
            "1::1.2.3.4.5",
            "::1.2.3.4x",
            "::1:",
            "fe80::",
            "2001:db8::",
            "2001:db8:0:0:1:0:0:1",
            "2001:0:0:1::1",
            "::ffff:0:0",
            "64:ff9b::192.0.2.33",
            "1:0:0:2:0:0:0:3",
            "0:0:1:0:0:1:0:0",
            "1:2:3:4:5:6:7:0",
            "::1:2:3:4:5:6:7",
            "1:2:3:4:5:6::",
            "",
        ];
        for s in cases {
            let core = Ipv6Addr::from_str(s).ok().map(u128::from);
            assert_eq!(parse_v6(s.as_bytes()), core, "{s:?}");
            if let Some(v) = core {
                let mut buf = [0u8; 40];
                let n = write_v6(&mut buf, v);
                assert_eq!(&buf[..n], Ipv6Addr::from(v).to_string().as_bytes(), "{s:?}");
            }
        }
        for v in [
            0u32,
            1,
            0x0a00_0001,
            0x7f00_0001,
            0xffff_ffff,
            0x6464_6464,
            0x0102_0304,
            0xc0a8_00ff,
        ] {
            let mut buf = [0u8; 16];
            let n = write_v4(&mut buf, v);
            assert_eq!(&buf[..n], Ipv4Addr::from(v).to_string().as_bytes());
        }
        // Every octet value in every position, next to short and long neighbours.
        for o in 0..=255u32 {
            for shift in [0, 8, 16, 24] {
                for others in [0u32, 0x0909_0909, 0xffff_ffff] {
                    let v = (others & !(0xff << shift)) | o << shift;
                    let mut buf = [0xaau8; 16];
                    let n = write_v4(&mut buf, v);
                    assert_eq!(&buf[..n], Ipv4Addr::from(v).to_string().as_bytes());
                }
            }
        }
    }

    fn ip(s: &str) -> Ip {
        parse_addr(s.as_bytes()).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_and_formats_addresses() {
        for (input, canonical) in [
            ("94.232.247.10", "94.232.247.10"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            (
                "2001:0db8:0000:0000:0000:ff00:0042:8329",
                "2001:db8::ff00:42:8329",
            ),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("fe80::1%eth0", "fe80::1"),
            ("[fe80::1%eth0]", "fe80::1"),
            ("::ffff:94.232.247.10", "94.232.247.10"),
            ("::FFFF:5ee8:f70a", "94.232.247.10"),
            ("::", "::"),
            ("::1", "::1"),
        ] {
            assert_eq!(format!("{}", ip(input)), canonical, "{input}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "010.1.1.1",
            "1.2.3.256",
            "1.2.3",
            "1.2.3.4.5",
            " 1.2.3.4",
            "1.2.3.4 ",
            "1.2.3.4:80",
            "[1.2.3.4]",
            "example.com",
            "::g",
            "1:2:3:4:5:6:7:8:9",
            "fe80::1%",
            "fe80::1%eth 0",
            "1.2.3.4%eth0",
            "[::1]:443",
            "[::1",
            "::1]",
            "0x7f.0.0.1",
            "1.2.3.04",
            "١.٢.٣.٤",
        ] {
            assert_eq!(parse_addr(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(parse_addr(b"1.2.3.\xff"), None);
        assert_eq!(parse_addr(&[b'1'; 10_000]), None);
    }

    #[test]
    fn ipv4_parser_agrees_with_core() {
        let mut inputs: Vec<alloc::string::String> = alloc::vec::Vec::new();
        for a in [
            "0", "1", "9", "10", "01", "99", "100", "255", "256", "000", "1000", "", "a", "-1",
            "+1",
        ] {
            for shape in [
                "{}.2.3.4",
                "1.{}.3.4",
                "1.2.3.{}",
                "{}.{}.{}.{}",
                "{}.2.3",
                "1.2.3.4.{}",
            ] {
                inputs.push(shape.replace("{}", a));
            }
        }
        for s in &inputs {
            let ours = parse_v4(s.as_bytes());
            let core = Ipv4Addr::from_str(s).ok().map(u32::from);
            assert_eq!(ours, core, "{s:?}");
        }
    }

    #[test]
    fn parses_hops_with_ports() {
        assert_eq!(parse_hop(b" 203.0.113.9:443 "), Some(ip("203.0.113.9")));
        assert_eq!(parse_hop(b"[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop(b"[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop(b"2001:db8::1"), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop(b"\t1.2.3.4"), Some(ip("1.2.3.4")));
        for bad in [
            "1.2.3.4:",
            "1.2.3.4:65536",
            "1.2.3.4:x",
            "[2001:db8::1]:",
            "[2001:db8::1]x",
            "",
            "unknown",
            "1.2.3.4:0",
            "[2001:db8::1]:0",
            "[1.2.3.4]",
            "[1.2.3.4]:80",
            "fe80::1%eth0",
            "[fe80::1%eth0]",
            "[fe80::1%eth0]:80",
            "::ffff:010.1.1.1",
            "2001:db8::1:443:x",
        ] {
            assert_eq!(parse_hop(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(parse_hop(b"1.2.3.4:65535"), Some(ip("1.2.3.4")));
        assert_eq!(parse_hop(b"1.2.3.4:1"), Some(ip("1.2.3.4")));
        // A bare IPv6 address that ends like a port is that address (a port on IPv6 needs brackets).
        assert_eq!(parse_hop(b"2001:db8::1:443"), Some(ip("2001:db8::1:443")));
        assert_eq!(parse_hop(b"[::ffff:1.2.3.4]:80"), Some(ip("1.2.3.4")));
    }

    #[test]
    fn from_intervals_rejects_non_canonical_sets() {
        assert!(RangeSet::from_intervals(vec![(1, 2), (4, 5)], vec![]).is_some());
        assert!(
            RangeSet::from_intervals(vec![(1, 2), (3, 5)], vec![]).is_none(),
            "adjacent"
        );
        assert!(
            RangeSet::from_intervals(vec![(4, 5), (1, 2)], vec![]).is_none(),
            "unsorted"
        );
        assert!(
            RangeSet::from_intervals(vec![(5, 4)], vec![]).is_none(),
            "reversed"
        );
    }
}
