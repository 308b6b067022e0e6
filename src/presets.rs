//! The presets: Sendcloud's published facts and the trusted-proxy range lists, kept as data files beside this
//! module (`src/presets/*.json`) so that a reviewer reads and updates data, not code.
//!
//! Each file carries its provenance (`source`, `verified`, `reviewed`, `note`); every surface that shows a preset
//! shows that too. The files are read with serde_json when the crate is built (`build.rs`), which writes their facts
//! as static data: a broken preset file fails the build, and a compile takes the facts without parsing JSON. The
//! texts themselves are embedded as well, for `presets()` in the JS package and the tester page.

use alloc::string::String;
use alloc::vec::Vec;

const SENDCLOUD: &str = include_str!("presets/sendcloud.json");
const CLOUDFLARE: &str = include_str!("presets/cloudflare.json");
const LOOPBACK: &str = include_str!("presets/loopback.json");
const PRIVATE: &str = include_str!("presets/private.json");

/// Partner presets, by name, in the order they are listed to users.
pub const PARTNER_PRESETS: &[&str] = &["sendcloud"];
/// Trusted-proxy presets, by name.
pub const PROXY_PRESETS: &[&str] = &["cloudflare", "loopback", "private"];

/// Where a preset's data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// The preset's name (`sendcloud`, `cloudflare`).
    pub preset: String,
    /// What the data is, for people.
    pub title: String,
    /// Where it was taken from (a URL or a document).
    pub source: String,
    /// Whether the data was checked against its source.
    pub verified: bool,
    /// When it was last reviewed (a date).
    pub reviewed: String,
    /// Anything a user should know about it.
    pub note: String,
}

/// A preset as its file states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preset {
    pub provenance: Provenance,
    /// `ip` for partners, `ranges` for trusted proxies.
    pub ranges: Vec<String>,
    pub user_agents: Vec<String>,
    pub claims: Vec<String>,
    pub methods: Vec<String>,
}

fn text_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "sendcloud" => SENDCLOUD,
        "cloudflare" => CLOUDFLARE,
        "loopback" => LOOPBACK,
        "private" => PRIVATE,
        _ => return None,
    })
}

/// The raw JSON of a preset file, for `presets()` in the JS package and the tester page.
pub fn raw(name: &str) -> Option<&'static str> {
    text_of(name)
}

/// A preset's facts as `build.rs` wrote them from its file.
struct PresetData {
    preset: &'static str,
    title: &'static str,
    source: &'static str,
    verified: bool,
    reviewed: &'static str,
    note: &'static str,
    /// `ip` then `ranges`, as the file lists them.
    ranges: &'static [&'static str],
    user_agents: &'static [&'static str],
    claims: &'static [&'static str],
    methods: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/presets.rs"));

/// Loads a preset by name; `None` for an unknown name.
pub fn get(name: &str) -> Option<Preset> {
    let data = match name {
        "sendcloud" => &SENDCLOUD_DATA,
        "cloudflare" => &CLOUDFLARE_DATA,
        "loopback" => &LOOPBACK_DATA,
        "private" => &PRIVATE_DATA,
        _ => return None,
    };
    let owned = |items: &[&str]| items.iter().map(|s| String::from(*s)).collect::<Vec<_>>();
    Some(Preset {
        provenance: Provenance {
            preset: data.preset.into(),
            title: data.title.into(),
            source: data.source.into(),
            verified: data.verified,
            reviewed: data.reviewed.into(),
            note: data.note.into(),
        },
        ranges: owned(data.ranges),
        user_agents: owned(data.user_agents),
        claims: owned(data.claims),
        methods: owned(data.methods),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use crate::pattern::Pattern;
    use crate::ranges::Cidr;

    #[test]
    fn every_preset_file_is_complete_and_valid() {
        for name in PARTNER_PRESETS.iter().chain(PROXY_PRESETS) {
            let p = get(name).unwrap_or_else(|| panic!("preset {name} does not load"));
            assert_eq!(p.provenance.preset, *name);
            assert!(!p.provenance.source.is_empty() && !p.provenance.reviewed.is_empty());
            assert!(!p.ranges.is_empty(), "{name} has no ranges");
            for r in &p.ranges {
                assert!(Cidr::parse(r).is_some(), "{name}: {r}");
            }
            for ua in &p.user_agents {
                assert!(Pattern::parse(ua).is_ok(), "{name}: {ua}");
            }
            for m in &p.methods {
                assert!(Method::parse(m.as_bytes()).is_some(), "{name}: {m}");
            }
        }
    }

    #[test]
    fn sendcloud_preset_matches_the_contract() {
        let p = get("sendcloud").unwrap();
        assert_eq!(
            p.ranges,
            ["94.232.247.0/24", "185.66.200.0/24", "52.58.233.101"]
        );
        assert_eq!(
            p.user_agents,
            [
                "Sendcloud/1.0.0",
                "SendCloud/1.0 ({shop}; https://www.sendcloud.sc)"
            ]
        );
        assert_eq!(p.claims, ["sendcloud"]);
        assert_eq!(p.methods, ["GET", "POST", "OPTIONS", "PATCH", "DELETE"]);
        assert!(!p.provenance.verified);
        assert!(p
            .provenance
            .source
            .starts_with("https://support.sendcloud.com/"));
    }
}
