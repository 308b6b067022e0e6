//! Reads the preset files (`src/presets/*.json`) once, at build time, and writes them as Rust data
//! (`OUT_DIR/presets.rs`, included by `src/presets.rs`). A broken or incomplete preset file fails the build, naming
//! the file and the problem; at run time the compiler takes a preset's facts from static data instead of parsing
//! JSON on every compile (a PHP host would otherwise load serde_json's reading of them to compile `{}`).

use std::fmt::Write as _;
use std::path::PathBuf;

/// The preset files, by name: the names `src/presets.rs` lists.
const PRESETS: [&str; 4] = ["sendcloud", "cloudflare", "loopback", "private"];

/// A preset file. Other keys (`kind`) are for people and the tester page.
#[derive(serde::Deserialize)]
struct PresetFile {
    preset: String,
    #[serde(default)]
    title: String,
    source: String,
    #[serde(default)]
    verified: bool,
    reviewed: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    ip: Vec<String>,
    #[serde(default)]
    ranges: Vec<String>,
    #[serde(default)]
    user_agents: Vec<String>,
    #[serde(default)]
    claims: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("&[{}]", quoted.join(", "))
}

fn main() {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let mut out = String::new();
    for name in PRESETS {
        let path = dir.join("src/presets").join(format!("{name}.json"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file: PresetFile = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a preset file: {e}", path.display()));
        assert_eq!(
            file.preset,
            name,
            "{}: \"preset\" must be the file's name",
            path.display()
        );
        let mut ranges = file.ip;
        ranges.extend(file.ranges);
        let _ = writeln!(
            out,
            "/// `src/presets/{name}.json`.\nstatic {upper}: PresetData = PresetData {{ preset: {preset:?}, \
             title: {title:?}, source: {source:?}, verified: {verified}, reviewed: {reviewed:?}, note: {note:?}, \
             ranges: {ranges}, user_agents: {uas}, claims: {claims}, methods: {methods} }};",
            upper = name.to_ascii_uppercase() + "_DATA",
            preset = file.preset,
            title = file.title,
            source = file.source,
            verified = file.verified,
            reviewed = file.reviewed,
            note = file.note,
            ranges = list(&ranges),
            uas = list(&file.user_agents),
            claims = list(&file.claims),
            methods = list(&file.methods),
        );
    }
    let target =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("presets.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
    println!("cargo:rerun-if-changed=build.rs");
}
