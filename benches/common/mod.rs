//! The inputs of the decision benchmarks, shared by `decide.rs` (criterion) and `icount.rs` (instruction counts).

use sendcloud_gate::Request;

pub const SC_UA: &[u8] = b"SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)";
pub const BROWSER_UA: &[u8] =
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/// 10,000 disjoint IPv4 /24s and 20 rules with ip, user_agents, methods and paths conditions, none of which
/// match the benchmark requests, so every rule is evaluated before the partner decides.
pub fn large_policy_json() -> String {
    let cidrs: Vec<String> = (0..10_000u32)
        .map(|i| {
            format!(
                "\"{}.{}.{}.0/24\"",
                11 + i / 65536,
                (i / 256) % 256,
                i % 256
            )
        })
        .collect();
    let mut rules = Vec::new();
    for r in 0..20 {
        let ip = if r == 0 {
            cidrs.join(",")
        } else {
            format!("\"192.0.{r}.0/24\"")
        };
        rules.push(format!(
            r#"{{"id":"rule-{r}","action":"deny","ip":[{ip}],"user_agents":["BadBot-{r}/*"],"methods":["GET","POST"],"paths":["/wp-admin"]}}"#
        ));
    }
    format!(
        r#"{{"trusted_proxies":{{"presets":["cloudflare"]}},"rules":[{}]}}"#,
        rules.join(",")
    )
}

/// Sendcloud calling the WooCommerce API (`allow`).
pub fn sendcloud() -> Request<'static> {
    Request::new(b"94.232.247.10", b"PATCH", b"/wp-json/wc/v3/orders/12")
        .header(b"User-Agent", SC_UA)
}

/// A browser on a shop page (`no_match`, after the partner-claims search of its User-Agent).
pub fn browser() -> Request<'static> {
    Request::new(b"198.51.100.23", b"GET", b"/shop/").header(b"User-Agent", BROWSER_UA)
}
