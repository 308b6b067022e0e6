//! The compiled form's size: at most 8 bytes per IPv4 range and 32 per IPv6 range (plus a fixed overhead).

use sendcloud_gate::Policy;

fn rule_with(ranges: &[String]) -> Policy {
    let list: Vec<String> = ranges.iter().map(|r| format!("\"{r}\"")).collect();
    Policy::from_json(
        format!(
            r#"{{"partners":[],"rules":[{{"id":"r","action":"allow","ip":[{}]}}]}}"#,
            list.join(",")
        )
        .as_bytes(),
    )
    .unwrap()
}

#[test]
fn ipv4_ranges_cost_8_bytes_each() {
    // Non-adjacent /32s, so no two merge.
    let ranges: Vec<String> = (0..10_000u32)
        .map(|i| std::net::Ipv4Addr::from(0x0b00_0000 + 2 * i).to_string())
        .collect();
    let empty = rule_with(&[]).to_bytes().len();
    let full = rule_with(&ranges).to_bytes().len();
    let per_range = (full - empty) as f64 / ranges.len() as f64;
    println!(
        "IPv4: {per_range} bytes per range ({full} bytes for {} ranges)",
        ranges.len()
    );
    assert!(per_range <= 8.0, "{per_range} bytes per IPv4 range");
}

#[test]
fn ipv6_ranges_cost_32_bytes_each() {
    let ranges: Vec<String> = (0..10_000u128)
        .map(|i| {
            format!(
                "{}/64",
                std::net::Ipv6Addr::from((0x2001_0db8u128 << 96) | (2 * i) << 64)
            )
        })
        .collect();
    let empty = rule_with(&[]).to_bytes().len();
    let full = rule_with(&ranges).to_bytes().len();
    let per_range = (full - empty) as f64 / ranges.len() as f64;
    println!(
        "IPv6: {per_range} bytes per range ({full} bytes for {} ranges)",
        ranges.len()
    );
    assert!(per_range <= 32.0, "{per_range} bytes per IPv6 range");
}

#[test]
fn overlapping_ranges_merge_before_they_are_stored() {
    let ranges: Vec<String> = (0..256)
        .map(|i| format!("10.0.{i}.0/24"))
        .chain(["10.0.0.0/16".to_string()])
        .collect();
    let merged = rule_with(&["10.0.0.0/16".to_string()]).to_bytes().len();
    assert_eq!(rule_with(&ranges).to_bytes().len(), merged);
}
