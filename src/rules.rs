//! A policy's site rules, in order, and a filter that tells a decision which of them its client can meet.
//!
//! Nearly every rule a request meets fails on its `ip` condition, and in a policy with many rules asking each one
//! in turn (is it enabled, its ranges searched) is most of a decision. So the rules keep, for the first
//! [`INDEXED`] of them, the span of each enabled rule's IPv4 and IPv6 ranges (lowest start, highest end) in one
//! flat list, and a mask of the enabled rules without an `ip` condition. [`Rules::candidates`] is then one pass
//! over those spans: a bit for every rule whose span holds the client, which the decision still checks in full (the
//! span says only that the client *may* be in the ranges). Rules past the first [`INDEXED`] are tried one by one,
//! after the indexed ones, so the order of the rules is kept.
//!
//! The filter is built from the rules wherever they come from (JSON or compiled bytes) and never stored: the compiled
//! form is unchanged, and nothing a loader is given can make it skip a rule.

use alloc::vec::Vec;
use core::ops::Deref;

use crate::addr::Ip;
use crate::policy::Rule;

/// How many rules, from the first, the filter covers: one bit each in a `u64`.
pub const INDEXED: usize = 64;

/// The rules, in order, and the filter over the first [`INDEXED`] of them. Reads as a slice of rules.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Rules {
    list: Vec<Rule>,
    /// Enabled rules (bits) without an `ip` condition: any client may meet them.
    any_client: u64,
    /// (lowest start, highest end, bit) of the IPv4 ranges of each enabled rule that has any.
    v4: Vec<(u32, u32, u64)>,
    /// The same for IPv6 ranges.
    v6: Vec<(u128, u128, u64)>,
}

impl Rules {
    /// The rules, in evaluation order, with their filter.
    pub fn new(list: Vec<Rule>) -> Rules {
        let mut rules = Rules {
            list,
            ..Rules::default()
        };
        for (i, rule) in rules.list.iter().take(INDEXED).enumerate() {
            if !rule.enabled {
                continue;
            }
            let bit = 1u64 << i;
            let Some(ranges) = &rule.ip else {
                rules.any_client |= bit;
                continue;
            };
            if let (Some(first), Some(last)) = (ranges.v4().first(), ranges.v4().last()) {
                rules.v4.push((first.0, last.1, bit));
            }
            if let (Some(first), Some(last)) = (ranges.v6().first(), ranges.v6().last()) {
                rules.v6.push((first.0, last.1, bit));
            }
        }
        rules
    }

    /// The enabled rules among the first [`INDEXED`] (bit i for rule i) that `client` may meet: those without an
    /// `ip` condition, and those whose ranges' span holds the client. Without a client, only the former.
    #[inline(always)]
    pub fn candidates(&self, client: Option<&Ip>) -> u64 {
        let mut bits = self.any_client;
        match client {
            Some(&Ip::V4(x)) => {
                for &(start, end, bit) in &self.v4 {
                    if start <= x && x <= end {
                        bits |= bit;
                    }
                }
            }
            Some(&Ip::V6(x)) => {
                for &(start, end, bit) in &self.v6 {
                    if start <= x && x <= end {
                        bits |= bit;
                    }
                }
            }
            None => {}
        }
        bits
    }

    /// How many rules, from the first, [`Rules::candidates`] covers.
    #[inline(always)]
    pub fn indexed(&self) -> usize {
        self.list.len().min(INDEXED)
    }

    /// The rules for changing in a test (the filter is built again when they are given back).
    #[cfg(test)]
    pub fn into_vec(self) -> Vec<Rule> {
        self.list
    }
}

impl Deref for Rules {
    type Target = [Rule];

    fn deref(&self) -> &[Rule] {
        &self.list
    }
}

impl core::fmt::Debug for Rules {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.list.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    fn ip(text: &str) -> Ip {
        crate::addr::parse_addr_noting_form(text.as_bytes())
            .unwrap()
            .0
    }

    #[test]
    fn candidates_are_the_rules_a_client_may_meet() {
        let policy = Policy::from_json(
            br#"{"rules":[
                {"id":"a","action":"deny","ip":["10.0.0.0/8","12.0.0.0/8"]},
                {"id":"b","action":"deny","methods":["GET"]},
                {"id":"c","action":"deny","ip":["10.1.0.0/16"],"enabled":false},
                {"id":"d","action":"deny","ip":["2001:db8::/32","::ffff:11.0.0.0/104"]},
                {"id":"e","action":"deny","ip":["11.0.0.1/32"]}
            ]}"#,
        )
        .unwrap();
        let rules = &policy.rules;
        assert_eq!(rules.indexed(), 5);
        assert_eq!(rules.candidates(None), 0b10);
        // The span of a's ranges holds 11.x, which its ranges do not: a candidate all the same.
        assert_eq!(rules.candidates(Some(&ip("11.0.0.1"))), 0b11011);
        assert_eq!(rules.candidates(Some(&ip("10.1.2.3"))), 0b00011);
        assert_eq!(rules.candidates(Some(&ip("9.255.255.255"))), 0b00010);
        assert_eq!(rules.candidates(Some(&ip("2001:db8::1"))), 0b01010);
        assert_eq!(rules.candidates(Some(&ip("2001:db9::1"))), 0b00010);
    }

    #[test]
    fn only_the_first_rules_are_indexed() {
        let list: alloc::vec::Vec<alloc::string::String> = (0..70)
            .map(|i| alloc::format!(r#"{{"id":"r{i}","action":"deny","ip":["10.0.0.{i}/32"]}}"#))
            .collect();
        let json = alloc::format!(r#"{{"rules":[{}]}}"#, list.join(","));
        let policy = Policy::from_json(json.as_bytes()).unwrap();
        assert_eq!(policy.rules.indexed(), INDEXED);
        assert_eq!(policy.rules.candidates(Some(&ip("10.0.0.63"))), 1 << 63);
        assert_eq!(policy.rules.candidates(Some(&ip("10.0.0.64"))), 0);
        // The rule past the index still decides.
        let d = policy.decide(&crate::Request::new(b"10.0.0.69", b"GET", b"/"));
        assert_eq!(d.rule, Some("r69"));
    }
}
