//! Every string the policy schema checks (ranges, patterns, methods, ids, claims, path prefixes, actions, the
//! impersonation setting, the forwarding header, preset names), wrong in its value and in its type, alone under a
//! key and as an element of a list: the message, JSON path, line and column of the error. One reader reads all of
//! them (`src/schema.rs`, `StrValue`), so each kind is here once at least. Then the errors of the compiler and of
//! the reader about the text as a whole.

use sendcloud_gate::Policy;

/// (policy, path, line, column, message)
const CASES: &[(&str, &str, u32, u32, &str)] = &[
    ("{\"trusted_proxies\": {\"ranges\": [\"10.0.0.0/33\"]}}", "trusted_proxies.ranges[0]", 1, 33, "\"10.0.0.0/33\" is not an IP range"),
    ("{\"trusted_proxies\": {\"ranges\": [10]}}", "trusted_proxies.ranges[0]", 1, 33, "invalid type: integer `10`, expected an IP range (a string)"),
    ("{\"trusted_proxies\": {\"ranges\": \"10.0.0.0/8\"}}", "trusted_proxies.ranges", 1, 32, "invalid type: string \"10.0.0.0/8\", expected an array of strings"),
    ("{\"trusted_proxies\": {\"presets\": [\"nope\"]}}", "trusted_proxies.presets[0]", 1, 34, "\"nope\" is not a trusted-proxy preset (one of: cloudflare, loopback, private)"),
    ("{\"trusted_proxies\": {\"presets\": [true]}}", "trusted_proxies.presets[0]", 1, 34, "invalid type: boolean `true`, expected a trusted-proxy preset (a string)"),
    ("{\"trusted_proxies\": {\"presets\": [\"private\"], \"header\": \"X-Nope\"}}", "trusted_proxies.header", 1, 56, "\"X-Nope\" is not a supported header (one of: x-forwarded-for, forwarded, x-real-ip, cf-connecting-ip, true-client-ip)"),
    ("{\"trusted_proxies\": {\"presets\": [\"private\"], \"header\": 1}}", "trusted_proxies.header", 1, 56, "invalid type: integer `1`, expected a header name (a string)"),
    ("{\"impersonation\": \"maybe\"}", "impersonation", 1, 19, "\"maybe\" is not \"log\" or \"deny\""),
    ("{\"impersonation\": null}", "impersonation", 1, 19, "invalid type: null, expected \"log\" or \"deny\""),
    ("{\"partners\": [{\"preset\": \"nope\"}]}", "partners[0].preset", 1, 26, "\"nope\" is not a partner preset (one of: sendcloud)"),
    ("{\"partners\": [{\"preset\": 7}]}", "partners[0].preset", 1, 26, "invalid type: integer `7`, expected a partner preset (a string)"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"add_ip\": [\"1.2.3.4\", \"x\"]}]}", "partners[0].add_ip[1]", 1, 61, "\"x\" is not an IP range"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"add_methods\": [\"GET\", \"BAD METHOD\"]}]}", "partners[0].add_methods[1]", 1, 62, "\"BAD METHOD\" is not an HTTP method (a token of 1 to 32 characters)"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"add_methods\": [null]}]}", "partners[0].add_methods[0]", 1, 55, "invalid type: null, expected an HTTP method (a string)"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"add_user_agents\": [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}]}", "partners[0].add_user_agents[0]", 1, 59, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not a User-Agent pattern: it is longer than 256 bytes"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"add_user_agents\": [[\"a\"]]}]}", "partners[0].add_user_agents[0]", 1, 59, "invalid type: an array, expected a User-Agent pattern (a string)"),
    ("{\"partners\": [{\"id\": \"\", \"ip\": [\"1.2.3.4\"]}]}", "partners[0].id", 1, 22, "\"\" is not a valid id (1 to 128 bytes, no control characters)"),
    ("{\"partners\": [{\"id\": 5, \"ip\": [\"1.2.3.4\"]}]}", "partners[0].id", 1, 22, "invalid type: integer `5`, expected an id (a string)"),
    ("{\"partners\": [{\"id\": \"x\", \"ip\": [\"1.2.3.4\"], \"claims\": [\"\"]}]}", "partners[0].claims[0]", 1, 57, "\"\" is not a claim (1 to 64 bytes)"),
    ("{\"partners\": [{\"id\": \"x\", \"ip\": [\"1.2.3.4\"], \"claims\": [{}]}]}", "partners[0].claims[0]", 1, 57, "invalid type: an object, expected a claim (a string)"),
    ("{\"partners\": [{\"id\": \"x\",\n  \"ip\": [\"1.2.3.4\",\n    \"1.2.3\"]}]}", "partners[0].ip[1]", 3, 5, "\"1.2.3\" is not an IP range"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"maybe\", \"ip\": [\"1.2.3.4\"]}]}", "rules[0].action", 1, 34, "\"maybe\" is not an action (allow, deny or pass)"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": 1, \"ip\": [\"1.2.3.4\"]}]}", "rules[0].action", 1, 34, "invalid type: integer `1`, expected an action (\"allow\", \"deny\" or \"pass\")"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"deny\", \"paths\": [\"wp-login.php\"]}]}", "rules[0].paths[0]", 1, 52, "\"wp-login.php\" does not start with \"/\""),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"deny\", \"paths\": [\"/a%zz\"]}]}", "rules[0].paths[0]", 1, 52, "\"/a%zz\" has broken percent-encoding"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"deny\", \"paths\": [1.5]}]}", "rules[0].paths[0]", 1, 52, "invalid type: floating point `1.5`, expected a path prefix (a string)"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"deny\", \"methods\": \"GET\"}]}", "rules[0].methods", 1, 53, "invalid type: string \"GET\", expected an array of strings"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"deny\", \"user_agents\": [\"a\", 5]}]}", "rules[0].user_agents[1]", 1, 63, "invalid type: integer `5`, expected a User-Agent pattern (a string)"),
];

#[test]
fn each_checked_string_names_what_is_wrong_and_where() {
    assert_errors(CASES);
}

/// Each policy is refused with that path, line, column and message.
fn assert_errors(cases: &[(&str, &str, u32, u32, &str)]) {
    for &(policy, path, line, column, message) in cases {
        let e = Policy::from_json(policy.as_bytes()).expect_err(policy);
        assert_eq!(
            (e.path.as_str(), e.line, e.column, e.message.as_str()),
            (path, line, column, message),
            "{policy}"
        );
    }
}

/// What the compiler checks across values (ids, ranges that let traffic in, the keys of each kind of partner, a
/// condition on every `allow` rule, the Cloudflare header) and what the reader refuses about the text itself (JSON
/// syntax, trailing characters, a repeated key, the version, the wrong type for the whole policy or a list): the
/// message, JSON path, line and column, taken from the build before these errors were made apart from the code
/// of a valid policy (2026-12-04), which writes a path only for an error.
const COMPILER_CASES: &[(&str, &str, u32, u32, &str)] = &[
    ("{\"rules\": [{\"id\": \"a\", \"action\": \"deny\", \"ip\": [\"1.2.3.4\"]}, {\"id\": \"a\", \"action\": \"deny\", \"ip\": [\"1.2.3.4\"]}]}", "rules[1].id", 1, 69, "duplicate id \"a\" (already used by rules[0])"),
    ("{\"partners\": [{\"preset\": \"sendcloud\"}, {\"id\": \"sendcloud\", \"ip\": [\"1.2.3.0/24\"], \"user_agents\": [\"X/*\"], \"methods\": [\"GET\"]}]}", "partners[1].id", 1, 47, "duplicate id \"sendcloud\" (already used by partners[0].preset)"),
    ("{\"partners\": [{\"id\": \"x\", \"ip\": [\"1.2.3.0/24\"], \"user_agents\": [\"X/*\"], \"methods\": [\"GET\"]}], \"rules\": [{\"id\": \"x\", \"action\": \"pass\"}]}", "rules[0].id", 1, 112, "duplicate id \"x\" (already used by partners[0])"),
    ("{\"rules\": [{\"id\": \"sendcloud\", \"action\": \"deny\", \"ip\": [\"1.2.3.4\"]}]}", "rules[0].id", 1, 19, "duplicate id \"sendcloud\" (already used by partners)"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"id\": \"sc\"}, {\"preset\": \"sendcloud\"}, {\"preset\": \"sendcloud\", \"id\": \"sc\"}]}", "partners[2].id", 1, 107, "duplicate id \"sc\" (already used by partners[0])"),
    ("{\"partners\": [{\"id\": \"x\", \"ip\": [\"1.2.3.0/24\", \"0.0.0.0/0\"], \"user_agents\": [\"X/*\"], \"methods\": [\"GET\"]}]}", "partners[0].ip[1]", 1, 48, "\"0.0.0.0/0\" would let nearly everyone in: ranges here may be at most /8 (IPv4) or /16 (IPv6, and not covering ::ffff:0:0/96)"),
    ("{\"trusted_proxies\": {\"ranges\": [\"10.1.2.3/4\"]}}", "trusted_proxies.ranges[0]", 1, 33, "\"10.1.2.3/4\" would let nearly everyone in: ranges here may be at most /8 (IPv4) or /16 (IPv6, and not covering ::ffff:0:0/96)"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"add_ip\": [\"\\u003a:/0\"]}]}", "partners[0].add_ip[0]", 1, 50, "\"::/0\" would let nearly everyone in: ranges here may be at most /8 (IPv4) or /16 (IPv6, and not covering ::ffff:0:0/96)"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"allow\", \"ip\": [\"::ffff:0:0/95\"]}]}", "rules[0].ip[0]", 1, 50, "\"::ffff:0:0/95\" would let nearly everyone in: ranges here may be at most /8 (IPv4) or /16 (IPv6, and not covering ::ffff:0:0/96)"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"deny\", \"ip\": [\"0.0.0.0/0\"]}, {\"id\": \"s\", \"action\": \"allow\", \"ip\": [\"1.0.0.0/7\"]}]}", "rules[1].ip[0]", 1, 102, "\"1.0.0.0/7\" would let nearly everyone in: ranges here may be at most /8 (IPv4) or /16 (IPv6, and not covering ::ffff:0:0/96)"),
    ("{\"partners\": [{\"id\": \"x\", \"ip\": [\"1.2.3.0/24\"], \"methods\": [\"GET\"]}]}", "partners[0].user_agents", 1, 15, "is required for a custom partner (id, ip, user_agents and methods; or use \"preset\")"),
    ("{\"partners\": [{\"ip\": [\"1.2.3.0/24\"]}]}", "partners[0].id", 1, 15, "is required for a custom partner (id, ip, user_agents and methods; or use \"preset\")"),
    ("{\"partners\": [{\"id\": \"x\", \"user_agents\": [\"X/*\"], \"methods\": [\"GET\"]}]}", "partners[0].ip", 1, 15, "is required for a custom partner (id, ip, user_agents and methods; or use \"preset\")"),
    ("{\"partners\": [{\"preset\": \"sendcloud\", \"ip\": [\"1.2.3.0/24\"]}]}", "partners[0].ip", 1, 39, "unknown key \"ip\" in a preset partner (use add_ip, add_methods, add_user_agents) (expected one of: preset, id, enabled, add_ip, add_methods, add_user_agents)"),
    ("{\"partners\": [{\"id\": \"x\", \"add_ip\": [\"1.2.3.0/24\"]}]}", "partners[0].add_ip", 1, 27, "unknown key \"add_ip\" in a custom partner (expected one of: id, enabled, ip, user_agents, claims, methods)"),
    ("{\"partners\": [{\"id\": \"x\", \"ip\": [\"1.2.3.0/24\"], \"user_agents\": [\"X/*\"], \"methods\": [\"GET\"], \"zzz\": 1}]}", "partners[0].zzz", 1, 93, "unknown key \"zzz\" in a custom partner (expected one of: id, enabled, ip, user_agents, claims, methods)"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"allow\"}]}", "rules[0]", 1, 12, "an allow rule needs a condition (ip, user_agents, methods or paths): without one it lets everyone in"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"allow\", \"enabled\": false}]}", "rules[0]", 1, 12, "an allow rule needs a condition (ip, user_agents, methods or paths): without one it lets everyone in"),
    ("{\"trusted_proxies\": {\"presets\": [\"cloudflare\"], \"header\": \"forwarded\"}}", "trusted_proxies.header", 1, 59, "\"forwarded\" cannot be trusted from the cloudflare preset: anyone can set it through Cloudflare (use cf-connecting-ip or x-forwarded-for)"),
    ("{\"trusted_proxies\": {\"presets\": [\"cloudflare\", \"private\"], \"header\": \"x-real-ip\"}}", "trusted_proxies.header", 1, 70, "\"x-real-ip\" cannot be trusted from the cloudflare preset: anyone can set it through Cloudflare (use cf-connecting-ip or x-forwarded-for)"),
    ("{\"rules\": []} x", "", 1, 15, "invalid JSON at line 1, column 15: trailing characters"),
    ("{\"rules\": [}", "", 1, 12, "invalid JSON at line 1, column 12: expected value"),
    ("{\"rules\": [{\"id\": \"r\", \"action\": \"deny\", \"id\": \"s\"}]}", "rules[0].id", 1, 42, "duplicate field `id`"),
    ("{\"version\": 2}", "version", 1, 13, "2 is not a supported version (only 1)"),
    ("[]", "", 1, 1, "invalid type: an array, expected a policy (an object)"),
    ("{\"partners\": null}", "partners", 1, 14, "invalid type: null, expected an array of objects"),
];

#[test]
fn each_error_of_the_compiler_and_the_reader_names_what_is_wrong_and_where() {
    assert_errors(COMPILER_CASES);
}

/// A policy's ids are checked in a short list and, past 32 of them, in a map (`src/policy.rs`, `Ids`): a repeated id
/// is found whichever holds the first, and many distinct ids are no error.
#[test]
fn repeated_ids_are_found_past_the_short_list() {
    let policy = |ids: &[String]| {
        let rules: Vec<String> = ids
            .iter()
            .map(|id| format!("{{\"id\": \"{id}\", \"action\": \"deny\", \"ip\": [\"10.0.0.1\"]}}"))
            .collect();
        format!("{{\"rules\": [{}]}}", rules.join(", "))
    };
    let distinct: Vec<String> = (0..100).map(|i| format!("r{i}")).collect();
    assert!(Policy::from_json(policy(&distinct).as_bytes()).is_ok());
    // The default partner takes "sendcloud" first, so 31 rules fill the list and the 32nd moves it into the map.
    for (first, second) in [
        (3, 20),
        (3, 31),
        (3, 32),
        (3, 70),
        (31, 32),
        (40, 41),
        (40, 99),
    ] {
        let mut ids = distinct.clone();
        ids[second] = ids[first].clone();
        let e = Policy::from_json(policy(&ids).as_bytes()).expect_err("a repeated id");
        assert_eq!(e.path, format!("rules[{second}].id"));
        assert_eq!(
            e.message,
            format!("duplicate id \"r{first}\" (already used by rules[{first}])")
        );
    }
    let mut ids = distinct.clone();
    ids[50] = String::from("sendcloud");
    let e = Policy::from_json(policy(&ids).as_bytes()).expect_err("the default partner's id");
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        (
            "rules[50].id",
            "duplicate id \"sendcloud\" (already used by partners)"
        )
    );
}
