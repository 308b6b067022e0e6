//! Policy ranges through `ipnet`: parsing what a person wrote, merging a list into a [`RangeSet`], and writing a
//! set back as the fewest CIDRs (`policy show`, the server-rule export).
//!
//! Only the compiler and the display use this module; the decision path reads the merged intervals of a
//! [`RangeSet`] ([`crate::addr`]), which is also what the compiled bytes store, so neither the compiled form nor the
//! decision-only wasm module depends on `ipnet`.
//!
//! Parsing is as strict as the engine's address parser: the address goes through `core::net` (which refuses
//! `010.0.0.1`, zones and brackets), the prefix must be plain decimal digits (no `/08`), and `ipnet` checks the
//! prefix length and clears the host bits. An IPv4-mapped range (`::ffff:10.0.0.0/104`) becomes the IPv4 range, as
//! an IPv4-mapped address becomes its IPv4 address everywhere in the engine.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv4Subnets, Ipv6Net, Ipv6Subnets};

use crate::addr::{Ip, RangeSet};

/// The IPv4-mapped block, `::ffff:0:0/96`.
const MAPPED: Ipv6Net = match Ipv6Net::new(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96) {
    Ok(n) => n,
    Err(_) => panic!("a /96 is a valid prefix"),
};

/// One range as written in a policy, before merging: an `ipnet` network with its host bits cleared, an
/// IPv4-mapped IPv6 network of /96 or longer as the IPv4 network.
///
/// It is the network itself (18 bytes, byte-aligned), not an address and a prefix: the compiler moves one per range
/// through each layer of serde's readers, which a PHP host does byte by byte, and [`RangeSet::from_cidrs`] hands
/// them to `ipnet` as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr(IpNet);

impl Cidr {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `ipv6/n`. Host bits are cleared (`10.1.2.3/8` is
    /// `10.0.0.0/8`), as firewalls do. An IPv4-mapped range (`::ffff:10.0.0.0/104`) becomes the IPv4 range.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr_text, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(plain_decimal(p)?)),
            None => (text, None),
        };
        // IPv4 first, apart from IPv6 (`IpAddr`'s parser tries the two in the same order, and a text that starts
        // with a dotted IPv4 address is no IPv6 address): a PHP host, which loads a function on its first call,
        // then compiles no IPv6 code for a list of IPv4 ranges.
        match addr_text.parse::<Ipv4Addr>() {
            Ok(addr) => Some(Cidr(IpNet::V4(
                Ipv4Net::new(addr, prefix.unwrap_or(32)).ok()?.trunc(),
            ))),
            Err(_) => Cidr::parse_v6(addr_text, prefix),
        }
    }

    #[inline(never)]
    fn parse_v6(addr_text: &str, prefix: Option<u8>) -> Option<Cidr> {
        let addr: Ipv6Addr = addr_text.parse().ok()?;
        let net = Ipv6Net::new(addr, prefix.unwrap_or(128)).ok()?.trunc();
        Some(Cidr::from_net(IpNet::V6(net)))
    }

    /// A truncated network as a CIDR, un-mapping an IPv4-mapped IPv6 network of /96 or longer.
    fn from_net(net: IpNet) -> Cidr {
        match net {
            IpNet::V6(n) if n.prefix_len() >= 96 && MAPPED.contains(&n.network()) => {
                let v4 = Ipv4Addr::from(u128::from(n.network()) as u32);
                // A prefix of 96 to 128 leaves 0 to 32 bits: always an IPv4 prefix.
                Ipv4Net::new(v4, n.prefix_len() - 96).map_or(Cidr(net), |n| Cidr(IpNet::V4(n)))
            }
            _ => Cidr(net),
        }
    }

    /// The first address of the range.
    pub fn addr(&self) -> Ip {
        match self.0 {
            IpNet::V4(n) => Ip::V4(u32::from(n.network())),
            IpNet::V6(n) => Ip::V6(u128::from(n.network())),
        }
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.0.prefix_len()
    }

    /// Whether the range is too wide to hand to a partner, a trusted proxy or an `allow` rule: wider than `/8`
    /// (IPv4) or `/16` (IPv6), or an IPv6 range covering the whole IPv4-mapped block (`::/16` holds every IPv4
    /// address, since a mapped address *is* its IPv4 address). Such a range would let (nearly) everyone in.
    pub fn is_too_wide(&self) -> bool {
        match self.0 {
            IpNet::V4(n) => n.prefix_len() < 8,
            IpNet::V6(n) => n.prefix_len() < 16 || n.contains(&MAPPED),
        }
    }
}

/// A prefix length as written after the `/`: decimal digits only, no leading zero.
fn plain_decimal(p: &str) -> Option<u8> {
    let b = p.as_bytes();
    let plain = !b.is_empty() && b.len() <= 3 && b.iter().all(u8::is_ascii_digit);
    if !plain || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    p.parse().ok()
}

impl fmt::Display for Cidr {
    /// Single addresses without a prefix, everything else as `addr/prefix`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The engine's own address formatting (`Ip`), which the decision module has anyway.
        let (addr, prefix) = (self.addr(), self.prefix());
        if matches!((addr, prefix), (Ip::V4(_), 32) | (Ip::V6(_), 128)) {
            write!(f, "{addr}")
        } else {
            write!(f, "{addr}/{prefix}")
        }
    }
}

impl RangeSet {
    /// Builds the set from CIDRs in any order, overlapping or not: `ipnet` aggregates each family, and the
    /// aggregated networks that touch become one interval.
    ///
    /// An IPv6 range that covers part of the IPv4-mapped block (`::/0`, `::ffff:0:0/95`) also covers those IPv4
    /// addresses, because a mapped address *is* its IPv4 address everywhere in the engine.
    pub fn from_cidrs(cidrs: &[Cidr]) -> RangeSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in cidrs.iter().map(|c| c.0) {
            match net {
                IpNet::V4(n) => v4.push(n),
                IpNet::V6(n) => {
                    v6.push(n);
                    if n.contains(&MAPPED) {
                        v4.push(Ipv4Net::default()); // 0.0.0.0/0
                    } else if MAPPED.contains(&n) {
                        let bits = u128::from(n.network()) as u32;
                        v4.extend(Ipv4Net::new(Ipv4Addr::from(bits), n.prefix_len() - 96).ok());
                    }
                }
            }
        }
        // Each family merged by a function of its own, called only for a family the list has: a PHP host loads a
        // function on its first call, so a list of IPv4 ranges compiles no IPv6 merging, and opcache's block pass,
        // whose cost grows with the square of a function's size, meets two smaller functions rather than one.
        let v4 = if v4.is_empty() {
            Vec::new()
        } else {
            v4_intervals(v4)
        };
        let v6 = if v6.is_empty() {
            Vec::new()
        } else {
            v6_intervals(v6)
        };
        // Aggregated and joined, the intervals are sorted, disjoint and apart: what `from_intervals` checks.
        RangeSet::from_intervals(v4, v6).unwrap_or_default()
    }

    /// The set written back as the fewest CIDRs, IPv4 first, for display.
    pub fn to_cidrs(&self) -> Vec<Cidr> {
        let v4 = self.v4().iter().flat_map(|&(s, e)| {
            Ipv4Subnets::new(Ipv4Addr::from(s), Ipv4Addr::from(e), 0).map(IpNet::V4)
        });
        let v6 = self.v6().iter().flat_map(|&(s, e)| {
            Ipv6Subnets::new(Ipv6Addr::from(s), Ipv6Addr::from(e), 0).map(IpNet::V6)
        });
        v4.chain(v6).map(Cidr::from_net).collect()
    }
}

/// IPv4 networks merged by `ipnet`, as the intervals of a [`RangeSet`].
#[inline(never)]
fn v4_intervals(nets: Vec<Ipv4Net>) -> Vec<(u32, u32)> {
    intervals(
        Ipv4Net::aggregate(&in_interval_order(nets))
            .iter()
            .map(|n| (u32::from(n.network()), u32::from(n.broadcast()))),
    )
}

/// IPv6 networks merged by `ipnet`, as the intervals of a [`RangeSet`].
#[inline(never)]
fn v6_intervals(nets: Vec<Ipv6Net>) -> Vec<(u128, u128)> {
    intervals(
        Ipv6Net::aggregate(&nets)
            .iter()
            .map(|n| (u128::from(n.network()), u128::from(n.broadcast()))),
    )
}

/// The networks in the order `Ipv4Net::aggregate` sorts their intervals into (first address, then last), so that
/// its `sort_unstable` finds one run and returns. Above 20 elements that sort is a quicksort, 56 KB of PHP for these
/// pairs, the largest function a PHP host would compile for a policy with many ranges (a tenth of what a cold opcache
/// compiles to load 1,000 ranges, and opcache's block pass is quadratic in a function's size); [`radix_sorted`] is
/// a small function and runs fewer PHP statements than either (`plugin-shim/php/README.md`). Up to 20 elements
/// `sort_unstable` sorts by insertion, which is small: those are left to it, and a policy with few ranges (the
/// default) loads no other sort.
fn in_interval_order(nets: Vec<Ipv4Net>) -> Vec<Ipv4Net> {
    if nets.len() <= 20 {
        nets
    } else {
        radix_sorted(nets)
    }
}

/// `nets` sorted by first address, then last: each network as one integer, its first address and then its host
/// bits' count (a wider network ends later), 40 bits sorted a byte at a time, the least significant first (each
/// pass stable, so the earlier bytes' order holds among equal later ones). A pass whose byte is the same in every
/// key is skipped: in a list of /24s the host bits' byte. Written here rather than taken from `alloc` because the
/// standard sorts are what this replaces: `sort_unstable` compiles to 56 KB of PHP, and `BinaryHeap`'s heap sort,
/// used before, ran about 106 PHP statements more per range (compiling 1,000 ranges: 1,724,387 statements then,
/// 1,618,610 with this). A function of its own, so that a PHP host loads it only for a list that needs it.
#[inline(never)]
fn radix_sorted(nets: Vec<Ipv4Net>) -> Vec<Ipv4Net> {
    let mut keys: Vec<u64> = nets
        .iter()
        .map(|n| (u64::from(u32::from(n.network())) << 8) | u64::from(32 - n.prefix_len()))
        .collect();
    let mut spare = alloc::vec![0u64; keys.len()];
    for shift in (0..40).step_by(8) {
        let digit = |k: u64| usize::from((k >> shift) as u8);
        // Counted, then turned into where each digit's keys start.
        let mut start = [0u32; 256];
        for &k in &keys {
            start[digit(k)] += 1;
        }
        if keys
            .first()
            .is_none_or(|&k| start[digit(k)] as usize == keys.len())
        {
            continue;
        }
        let mut next = 0;
        for slot in start.iter_mut() {
            (*slot, next) = (next, next + *slot);
        }
        for &k in &keys {
            let at = &mut start[digit(k)];
            spare[*at as usize] = k;
            *at += 1;
        }
        core::mem::swap(&mut keys, &mut spare);
    }
    keys.into_iter()
        .filter_map(|k| Ipv4Net::new(Ipv4Addr::from((k >> 8) as u32), 32 - (k & 0xff) as u8).ok())
        .collect()
}

/// Sorted, non-overlapping networks (what `aggregate` returns) as intervals, the adjacent ones joined: two
/// aggregated networks can touch without making one CIDR (`10.0.0.0/24` and `10.0.1.0/23`).
fn intervals<T: Copy + PartialEq + IncrementOf>(nets: impl Iterator<Item = (T, T)>) -> Vec<(T, T)> {
    let mut out: Vec<(T, T)> = Vec::new();
    for (s, e) in nets {
        match out.last_mut() {
            Some(last) if last.1.next() == Some(s) => last.1 = e,
            _ => out.push((s, e)),
        }
    }
    out
}

/// The next address, `None` after the last.
trait IncrementOf: Sized {
    fn next(self) -> Option<Self>;
}
impl IncrementOf for u32 {
    fn next(self) -> Option<u32> {
        self.checked_add(1)
    }
}
impl IncrementOf for u128 {
    fn next(self) -> Option<u128> {
        self.checked_add(1)
    }
}

/// Canonical text of a range set as CIDRs, for policy display and the export.
pub fn cidrs_to_strings(set: &RangeSet) -> Vec<String> {
    set.to_cidrs()
        .iter()
        .map(|c| alloc::format!("{c}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use alloc::format;
    use alloc::vec;

    fn ip(s: &str) -> Ip {
        crate::addr::parse_addr(s.as_bytes()).unwrap()
    }

    #[test]
    fn parses_cidrs() {
        let c = |s: &str| Cidr::parse(s).map(|c| format!("{c}"));
        assert_eq!(c("10.0.0.0/8").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(c("10.1.2.3/8").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(c("52.58.233.101").as_deref(), Some("52.58.233.101"));
        assert_eq!(c("2001:db8::/32").as_deref(), Some("2001:db8::/32"));
        assert_eq!(c("::ffff:10.0.0.0/104").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(c("::ffff:1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(c("0.0.0.0/0").as_deref(), Some("0.0.0.0/0"));
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/08",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "::/129",
            "010.0.0.0/8",
            "x",
            "",
            "[::1]",
            "fe80::1%eth0",
            "10.0.0.0/8/8",
        ] {
            assert_eq!(c(bad), None, "{bad:?}");
        }
    }

    /// What `parse` did when it read every address with `IpAddr`'s parser, before IPv4 was read apart.
    fn parse_through_ip_addr(text: &str) -> Option<Cidr> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: core::net::IpAddr = addr_text.parse().ok()?;
        let net = match prefix_text {
            None => IpNet::from(addr),
            Some(p) => IpNet::new(addr, plain_decimal(p)?).ok()?,
        };
        Some(Cidr::from_net(net.trunc()))
    }

    #[test]
    fn parses_as_through_ip_addr() {
        let mut cases: Vec<String> = [
            "1.2.3.4::",
            "1.2.3.4:80",
            "::1.2.3.4",
            "::ffff:1.2.3.4/120",
            "1.2.3.4/32",
            "1.2.3.4.5",
            "1:2:3:4:5:6:1.2.3.4",
            "ffff::1.2.3.4",
            "1.2.3",
            "::",
            "::/0",
        ]
        .iter()
        .map(|s| String::from(*s))
        .collect();
        // Strings over the characters addresses are made of, from a fixed seed (xorshift).
        let alphabet = b"0123456789af:./";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 20) as usize;
            let mut s = String::new();
            let mut y = x;
            for _ in 0..len {
                y = y
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[(y >> 33) as usize % alphabet.len()] as char);
            }
            cases.push(s);
            // And addresses of both families with a prefix, numbers and prefixes sometimes out of range.
            let n = |k: u32| (x >> k) % 300;
            cases.push(format!(
                "{}.{}.{}.{}/{}",
                n(3),
                n(11),
                n(19),
                n(27),
                n(35) % 40
            ));
            cases.push(format!(
                "{:x}::{:x}:{}.{}.{}.{}/{}",
                n(3),
                n(7),
                n(11),
                n(19),
                n(27),
                n(35),
                n(43) % 140
            ));
        }
        let mut valid = 0;
        for s in &cases {
            let want = parse_through_ip_addr(s);
            valid += usize::from(want.is_some());
            assert_eq!(Cidr::parse(s), want, "{s:?}");
        }
        assert!(valid > 5_000, "only {valid} valid ranges among the cases");
    }

    #[test]
    fn too_wide() {
        let wide = |s: &str| Cidr::parse(s).unwrap().is_too_wide();
        assert!(!wide("10.0.0.0/8") && wide("10.0.0.0/7"));
        assert!(!wide("2001:db8::/16") && wide("2000::/15"));
        assert!(wide("::/16") && wide("::ffff:0:0/96") && wide("::ffff:0.0.0.0/100"));
        assert!(wide("::ffff:0:0/97") && !wide("::ffff:0:0/104"));
        assert!(!wide("::1/128") && !wide("::/97"));
    }

    #[test]
    fn range_set_merges_and_searches() {
        let cidrs: Vec<Cidr> = [
            "10.0.0.0/9",
            "10.128.0.0/9",
            "192.0.2.7",
            "192.0.2.8",
            "2001:db8::/32",
            "2001:db8:1::/48",
        ]
        .iter()
        .map(|s| Cidr::parse(s).unwrap())
        .collect();
        let set = RangeSet::from_cidrs(&cidrs);
        assert_eq!(set.v4().len(), 2);
        assert_eq!(set.v6().len(), 1);
        assert!(set.contains(&ip("10.255.255.255")));
        assert!(!set.contains(&ip("11.0.0.0")));
        assert!(set.contains(&ip("192.0.2.8")));
        assert!(!set.contains(&ip("192.0.2.9")));
        assert!(set.contains(&ip("2001:db8:ffff::1")));
        assert!(!set.contains(&ip("2001:db9::")));
        assert_eq!(
            cidrs_to_strings(&set),
            vec!["10.0.0.0/8", "192.0.2.7", "192.0.2.8", "2001:db8::/32"]
        );
        // Touching networks that make no single CIDR are one interval, written back as the fewest CIDRs.
        let set = RangeSet::from_cidrs(&[
            Cidr::parse("10.0.1.0/24").unwrap(),
            Cidr::parse("10.0.2.0/23").unwrap(),
            Cidr::parse("255.255.255.255").unwrap(),
        ]);
        assert_eq!(set.v4(), [(0x0a00_0100, 0x0a00_03ff), (u32::MAX, u32::MAX)]);
        assert_eq!(
            cidrs_to_strings(&set),
            vec!["10.0.1.0/24", "10.0.2.0/23", "255.255.255.255"]
        );
    }

    #[test]
    fn networks_come_in_the_order_ipnet_sorts_their_intervals_into() {
        // Same first address with several prefixes, host bits set, duplicates, both ends of the address space, and
        // pseudo-random networks: the output is the input (host bits cleared) sorted by (first, last) address,
        // which is what `Ipv4Net::aggregate` sorts, so its sort finds one run; the radix sort alone does the same
        // for a short list, and for lists where some or all of its passes are skipped.
        let mut nets: Vec<Ipv4Net> = [
            "10.0.0.0/8",
            "10.0.0.0/24",
            "10.0.0.0/16",
            "10.0.0.7/24",
            "10.0.0.0/24",
            "0.0.0.0/0",
            "255.255.255.255/32",
            "0.0.0.0/32",
            "192.0.2.128/25",
            "192.0.2.0/25",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let mut x = 0x9e37_79b9u32;
        for _ in 0..500 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            nets.push(Ipv4Net::new(Ipv4Addr::from(x), (x % 33) as u8).unwrap());
        }
        let interval = |n: &Ipv4Net| (u32::from(n.network()), u32::from(n.broadcast()));
        let want_of = |nets: &[Ipv4Net]| {
            let mut want: Vec<Ipv4Net> = nets.iter().map(Ipv4Net::trunc).collect();
            want.sort_by_key(interval);
            want
        };
        let want = want_of(&nets);
        let got = in_interval_order(nets.clone());
        assert_eq!(got, want);
        assert_eq!(radix_sorted(nets[..10].to_vec()), want_of(&nets[..10]));
        // Up to 20, the list is left as it is, for `sort_unstable`'s insertion sort.
        assert_eq!(in_interval_order(nets[..20].to_vec()), nets[..20]);
        assert!(got.windows(2).all(|w| interval(&w[0]) <= interval(&w[1])));
        assert_eq!(Ipv4Net::aggregate(&got), Ipv4Net::aggregate(&nets));
        assert_eq!(in_interval_order(Vec::new()), Vec::new());
        assert_eq!(radix_sorted(Vec::new()), Vec::new());
        // Only /24s (the host bits' byte is skipped), one /16 among them (it is not), all the same network (every
        // pass skipped), and first addresses that differ only in their highest or lowest byte.
        let mut only_24s: Vec<Ipv4Net> = nets
            .iter()
            .map(|n| Ipv4Net::new(n.network(), 24).unwrap())
            .collect();
        assert_eq!(radix_sorted(only_24s.clone()), want_of(&only_24s));
        only_24s[7] = "10.0.0.0/16".parse().unwrap();
        assert_eq!(radix_sorted(only_24s.clone()), want_of(&only_24s));
        let same = vec![Ipv4Net::new(Ipv4Addr::new(192, 0, 2, 0), 24).unwrap(); 30];
        assert_eq!(radix_sorted(same.clone()), same);
        for shift in [0, 24] {
            let spread: Vec<Ipv4Net> = (0..40u32)
                .rev()
                .map(|i| Ipv4Net::new(Ipv4Addr::from((i * 5 + 1) << shift), 32).unwrap())
                .collect();
            assert_eq!(radix_sorted(spread.clone()), want_of(&spread));
        }
    }

    #[test]
    fn a_cidr_is_18_bytes_byte_aligned() {
        // What the type's documentation promises, and why it is an `ipnet` network (see there).
        assert_eq!(
            (core::mem::size_of::<Cidr>(), core::mem::align_of::<Cidr>()),
            (18, 1)
        );
    }

    #[test]
    fn v6_ranges_over_the_mapped_block_cover_ipv4() {
        let set = RangeSet::from_cidrs(&[Cidr::parse("::/0").unwrap()]);
        assert!(set.contains(&ip("1.2.3.4")));
        assert_eq!(cidrs_to_strings(&set), vec!["0.0.0.0/0", "::/0"]);
        // Not what `Cidr::parse` makes (it un-maps such a range), but what `from_cidrs` must still handle.
        let mapped = Cidr(IpNet::V6(
            Ipv6Net::new(Ipv6Addr::from(0xffff_0a00_0000u128), 104).unwrap(),
        ));
        let set = RangeSet::from_cidrs(&[mapped]);
        assert!(set.contains(&ip("10.1.2.3")) && !set.contains(&ip("11.0.0.0")));
    }
}
