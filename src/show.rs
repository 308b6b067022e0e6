//! The effective policy as JSON, for `policy show`, the tester page and the plugin's settings screen.
//!
//! Presets are expanded (their ranges, patterns and methods written out, with `add_*` merged in) and keep their
//! provenance beside them, so a reader sees exactly what decides and where it comes from. Ranges are shown as
//! the fewest CIDRs covering the merged set, which is what is searched. Apart from `provenance`, `preset` and
//! the `trusted_proxies.presets` list (already expanded into `ranges`), the output is itself a valid policy.

use alloc::string::String;
use alloc::vec::Vec;

use crate::addr::RangeSet;
use crate::decision::write_provenance;
use crate::json_out::write_str;
use crate::method::{Method, MethodSet};
use crate::pattern::Pattern;
use crate::policy::Policy;
use crate::ranges::cidrs_to_strings;

impl Policy {
    /// The effective policy, pretty-printed JSON with a trailing newline.
    pub fn show_json(&self) -> String {
        let mut o = String::new();
        o.push_str("{\n  \"version\": 1,\n  \"impersonation\": ");
        write_str(&mut o, self.impersonation.as_str());
        o.push_str(",\n  \"trusted_proxies\": {\n    \"header\": ");
        write_str(&mut o, self.proxy_header.name());
        o.push_str(",\n    \"presets\": ");
        strings(&mut o, self.proxy_presets.iter().map(String::as_str));
        o.push_str(",\n    \"ranges\": ");
        ranges(&mut o, &self.trusted_proxies);
        o.push_str("\n  },\n  \"partners\": [");
        for (i, p) in self.partners.iter().enumerate() {
            o.push_str(if i == 0 { "\n    {" } else { ",\n    {" });
            o.push_str("\n      \"id\": ");
            write_str(&mut o, &p.id);
            if let Some(pr) = &p.provenance {
                o.push_str(",\n      \"preset\": ");
                write_str(&mut o, &pr.preset);
            }
            o.push_str(if p.enabled {
                ",\n      \"enabled\": true"
            } else {
                ",\n      \"enabled\": false"
            });
            o.push_str(",\n      \"ip\": ");
            ranges(&mut o, &p.ranges);
            o.push_str(",\n      \"user_agents\": ");
            patterns(&mut o, &p.user_agents);
            o.push_str(",\n      \"claims\": ");
            strings(&mut o, p.claims.iter().map(|c| c.as_str()));
            o.push_str(",\n      \"methods\": ");
            methods(&mut o, &p.methods);
            if let Some(pr) = &p.provenance {
                o.push_str(",\n      \"provenance\": ");
                write_provenance(&mut o, pr);
            }
            o.push_str("\n    }");
        }
        o.push_str(if self.partners.is_empty() {
            "],\n  \"rules\": ["
        } else {
            "\n  ],\n  \"rules\": ["
        });
        for (i, r) in self.rules.iter().enumerate() {
            o.push_str(if i == 0 { "\n    {" } else { ",\n    {" });
            o.push_str("\n      \"id\": ");
            write_str(&mut o, &r.id);
            o.push_str(",\n      \"action\": ");
            write_str(&mut o, r.action.as_str());
            o.push_str(if r.enabled {
                ",\n      \"enabled\": true"
            } else {
                ",\n      \"enabled\": false"
            });
            if let Some(ip) = &r.ip {
                o.push_str(",\n      \"ip\": ");
                ranges(&mut o, ip);
            }
            if let Some(u) = &r.user_agents {
                o.push_str(",\n      \"user_agents\": ");
                patterns(&mut o, u);
            }
            if let Some(m) = &r.methods {
                o.push_str(",\n      \"methods\": ");
                methods(&mut o, m);
            }
            if let Some(p) = &r.paths {
                o.push_str(",\n      \"paths\": ");
                strings(&mut o, p.iter().map(|prefix| prefix.as_str()));
            }
            o.push_str("\n    }");
        }
        o.push_str(if self.rules.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        });
        o
    }
}

fn strings<'a>(o: &mut String, items: impl Iterator<Item = &'a str>) {
    o.push('[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            o.push_str(", ");
        }
        write_str(o, s);
    }
    o.push(']');
}

fn ranges(o: &mut String, set: &RangeSet) {
    let list: Vec<String> = cidrs_to_strings(set);
    strings(o, list.iter().map(String::as_str));
}

fn patterns(o: &mut String, list: &[Pattern]) {
    strings(o, list.iter().map(Pattern::as_str));
}

fn methods(o: &mut String, set: &MethodSet) {
    strings(o, set.iter().map(Method::as_str));
}
