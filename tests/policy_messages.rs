//! Every string the policy schema checks (ranges, patterns, methods, ids, claims, path prefixes, actions, the
//! impersonation setting, the forwarding header, preset names), wrong in its value and in its type, alone under a
//! key and as an element of a list: the message, JSON path, line and column of the error. One reader reads all of
//! them (`src/schema.rs`, `StrValue`), so each kind is here once at least.

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
    for &(policy, path, line, column, message) in CASES {
        let e = Policy::from_json(policy.as_bytes()).expect_err(policy);
        assert_eq!(
            (e.path.as_str(), e.line, e.column, e.message.as_str()),
            (path, line, column, message),
            "{policy}"
        );
    }
}
