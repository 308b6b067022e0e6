#!/usr/bin/env python3
"""Generate the sendcloud-gate conformance corpus.

Every expectation below was written by hand from docs (decision-contract.md, v1);
nothing here runs or imports an implementation.  The script only removes
repetition (ids, request shapes, long header lists) and is deterministic:
running it twice gives byte-identical files.

    python3 tests/corpus/generate.py        # rewrites policies/, cases.jsonl,
                                            # bad-policies.jsonl, ambiguous.jsonl
"""

import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# Facts from the spec
# --------------------------------------------------------------------------
SC_UA = "Sendcloud/1.0.0"


def sc_ua(shop):
    return f"SendCloud/1.0 ({shop}; https://www.sendcloud.sc)"


WOO = sc_ua("woocommerce")
PRESTA = sc_ua("prestashop")
MAGENTO = sc_ua("magento2")
BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/120.0 Safari/537.36")

SC1 = "94.232.247.10"     # 94.232.247.0/24
SC2 = "185.66.200.20"     # 185.66.200.0/24
SC3 = "52.58.233.101"     # single address
OTHER = "198.51.100.5"    # not Sendcloud (TEST-NET-2)

SC_METHODS = ["GET", "POST", "OPTIONS", "PATCH", "DELETE"]

# --------------------------------------------------------------------------
# Policies (file stem -> JSON value, plus a one-line purpose for the README)
# --------------------------------------------------------------------------
POLICIES = {}
PURPOSE = {}


def policy(name, value, purpose):
    assert name not in POLICIES and name != "default"
    POLICIES[name] = value
    PURPOSE[name] = purpose


policy("trusted-xff", {
    "trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "x-forwarded-for"},
}, "10.0.0.0/8 trusted, client from X-Forwarded-For; default Sendcloud partner")

policy("trusted-forwarded", {
    "trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "forwarded"},
}, "10.0.0.0/8 trusted, client from RFC 7239 Forwarded")

policy("trusted-real-ip", {
    "trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "x-real-ip"},
}, "10.0.0.0/8 trusted, client from X-Real-IP (single address)")

policy("trusted-true-client-ip", {
    "trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "true-client-ip"},
}, "10.0.0.0/8 trusted, client from True-Client-IP (single address)")

policy("cloudflare", {
    "trusted_proxies": {"presets": ["cloudflare"], "header": "cf-connecting-ip"},
}, "Cloudflare preset trusted, client from CF-Connecting-IP")

policy("loopback-private", {
    "trusted_proxies": {"presets": ["loopback", "private"]},
}, "loopback + private (RFC 1918, RFC 4193) presets trusted; header left to its default (x-forwarded-for)")

policy("deny-impersonation", {
    "impersonation": "deny",
}, "impersonation: deny, otherwise default")

policy("rules", {
    "rules": [
        {"id": "off", "action": "deny", "enabled": False},
        {"id": "office", "action": "allow", "ip": ["192.0.2.10", "192.0.2.128/25"]},
        {"id": "bad-bots", "action": "deny", "user_agents": ["BadBot/*", "*scanner*"]},
        {"id": "no-trace", "action": "deny", "methods": ["TRACE", "TRACK"]},
        {"id": "sc-no-delete", "action": "deny", "ip": ["185.66.200.0/24"], "methods": ["DELETE"]},
        {"id": "monitor", "action": "pass", "ip": ["198.51.100.0/24"],
         "user_agents": ["Monitor/{shop}"], "methods": ["GET", "HEAD"]},
        {"id": "explicit-on", "action": "allow", "enabled": True, "ip": ["203.0.113.200"]},
    ],
}, "site rules: disabled catch-all, ip, user_agents, methods, combined conditions, all three actions; default partner")

policy("rules-order", {
    "rules": [
        {"id": "first", "action": "pass", "ip": ["203.0.113.0/24"], "user_agents": ["*"]},
        {"id": "second", "action": "deny", "ip": ["203.0.113.0/24"]},
        {"id": "third", "action": "allow", "ip": ["203.0.113.5"]},
    ],
}, "first matching rule wins; `*` pattern needs a User-Agent")

policy("rules-catchall", {
    "rules": [
        {"id": "sc-api", "action": "allow", "ip": ["94.232.247.0/24", "185.66.200.0/24", "52.58.233.101"],
         "paths": ["/wp-json/"]},
        {"id": "catch-all", "action": "deny"},
    ],
}, "rule with no conditions matches everything (even Sendcloud); ip+paths rule")

policy("rules-paths", {
    "rules": [
        {"id": "office", "action": "allow", "ip": ["192.0.2.10"]},
        {"id": "old-paths", "action": "deny", "enabled": False, "paths": ["/"]},
        {"id": "admin", "action": "deny", "paths": ["/wp-admin", "/wp-login.php"]},
        {"id": "api", "action": "pass", "paths": ["/wp-json/wc/"]},
        {"id": "tilde", "action": "deny", "paths": ["/~user/"]},
    ],
}, "paths conditions: normalisation, broken encodings only when evaluated, query ignored")

policy("custom-partner", {
    "partners": [
        {"id": "acme", "ip": ["203.0.113.0/24"], "user_agents": ["Acme-Sync/*"], "claims": ["acme"],
         "methods": ["GET", "POST"]},
        {"preset": "sendcloud", "add_ip": ["198.51.100.0/24"], "add_methods": ["PUT", "HEAD"],
         "add_user_agents": ["SendCloud/2.0 ({shop}; https://www.sendcloud.sc)", "Sendcloud-Hooks/*"]},
    ],
}, "custom partner `acme` first, then the Sendcloud preset with add_ip / add_methods / add_user_agents")

policy("partner-order", {
    "partners": [
        {"preset": "sendcloud", "id": "sc-main"},
        {"id": "overlap", "ip": ["94.232.247.0/24"], "user_agents": ["Overlap/*"], "methods": ["GET"]},
        {"id": "shared-ua", "ip": ["192.0.2.0/24"], "user_agents": ["Sendcloud/1.0.0"], "methods": ["PUT"]},
    ],
}, "partner order: the first outcome other than no_match decides; preset with its own id")

policy("disabled-partner", {
    "partners": [
        {"preset": "sendcloud", "enabled": False},
        {"id": "acme", "enabled": False, "ip": ["203.0.113.0/24"], "user_agents": ["Acme-Sync/*"],
         "claims": ["acme"], "methods": ["GET"]},
        {"id": "beta", "enabled": True, "ip": ["192.0.2.0/24"], "user_agents": ["Beta-Agent/{shop}"],
         "methods": ["GET", "POST"]},
    ],
}, "disabled preset and disabled custom partner (no claims either); enabled custom partner without claims")

policy("no-partners", {
    "partners": [],
}, "`partners: []`: no partner at all, everything that is well-formed is no_match")

policy("ipv6", {
    "trusted_proxies": {"ranges": ["2001:db8:ffff::/48", "::ffff:172.20.0.1", "FD00::1"],
                        "header": "x-forwarded-for"},
    "partners": [
        {"preset": "sendcloud", "add_ip": ["2001:db8:5c::/48", "::ffff:198.51.100.77", "2001:DB8:ABCD::1"]},
    ],
    "rules": [
        {"id": "v6-office", "action": "allow", "ip": ["2001:db8:aaaa::/64"]},
        {"id": "mapped-deny", "action": "deny", "ip": ["::ffff:203.0.113.66"]},
    ],
}, "IPv6 ranges, upper-case IPv6 and single IPv4-mapped addresses in policy lists")

policy("spec-example", {
    "version": 1,
    "impersonation": "log",
    "trusted_proxies": {"ranges": ["10.0.0.0/8"], "presets": ["cloudflare"], "header": "x-forwarded-for"},
    "partners": [
        {"preset": "sendcloud", "add_ip": ["198.51.100.0/24"], "add_methods": ["PUT"]},
        {"id": "acme", "ip": ["203.0.113.0/24"], "user_agents": ["Acme-Sync/*"], "claims": ["acme"],
         "methods": ["GET", "POST"]},
    ],
    "rules": [
        {"id": "office", "action": "allow", "ip": ["192.0.2.10"], "methods": ["GET", "POST"]},
        {"id": "no-trace", "action": "deny", "methods": ["TRACE"]},
    ],
}, "the example policy of the spec, verbatim (every top-level key)")

policy("explicit-default", {
    "version": 1,
    "impersonation": "log",
    "partners": [{"preset": "sendcloud"}],
    "rules": [],
}, "the default spelled out; must behave exactly like `default`")

# Used only by ambiguous.jsonl
policy("rules-mixed-paths", {
    "rules": [
        {"id": "mixed", "action": "deny", "ip": ["192.0.2.99"], "paths": ["/x"]},
    ],
}, "(ambiguous.jsonl only) a rule whose ip fails before its paths condition")

policy("ipv6-mapped-cidr", {
    "partners": [{"preset": "sendcloud", "add_ip": ["::ffff:203.0.113.0/120"]}],
}, "(ambiguous.jsonl only) an IPv4-mapped CIDR in a policy list")

# --------------------------------------------------------------------------
# Case helpers
# --------------------------------------------------------------------------
CASES = []
AMBIG = []
_counters = Counter()


def rq(remote, method="GET", uri=None, ua=None, h=None, **kw):
    """Build a contract request. ua=None means no User-Agent header."""
    r = {"remote_addr": remote, "method": method}
    if uri is not None:
        r["uri"] = uri
    headers = {}
    if ua is not None:
        headers["User-Agent"] = ua
    if h:
        headers.update(h)
    if headers:
        r["headers"] = headers
    assert not kw, kw
    return r


def E(action, reason, rule, client_ip, method):
    return {"action": action, "reason": reason, "rule": rule, "client_ip": client_ip, "method": method}


def ALLOW(ip, m="GET", rule="sendcloud"):
    return E("allow", "partner_match", rule, ip, m)


def IMP(ip, m="GET", rule="sendcloud", deny=False):
    return E("deny" if deny else "pass", "impersonation", rule, ip, m)


def MNA(ip, m, rule="sendcloud"):
    return E("pass", "method_not_allowed", rule, ip, m)


def UAM(ip, m="GET", rule="sendcloud"):
    return E("pass", "ua_mismatch", rule, ip, m)


def RULE(action, rule, ip, m="GET"):
    return E(action, "rule_match", rule, ip, m)


def MAL(ip=None, m=None):
    return E("pass", "malformed_input", None, ip, m)


def AMB(ip):
    return E("pass", "ambiguous_method_override", None, ip, None)


def NOM(ip, m="GET"):
    return E("pass", "no_match", None, ip, m)


def case(group, pol, request, expect, note=None, into=None):
    assert pol == "default" or pol in POLICIES, pol
    _counters[group] += 1
    c = {"id": f"{group}-{_counters[group]:03d}", "policy": pol, "request": request, "expect": expect}
    if note:
        c["note"] = note
    (CASES if into is None else into).append(c)


def amb(group, pol, request, expect, note):
    case(group, pol, request, expect, note, into=AMBIG)


def trusted_chain(n, start=2):
    """n distinct addresses inside 10.0.0.0/8, no leading zeros."""
    return [f"10.0.{(i + start) // 200}.{(i + start) % 200 + 1}" for i in range(n)]


# ==========================================================================
# Step 1: remote_addr
# ==========================================================================
D = "default"
for ip in ["94.232.247.10", "94.232.247.0", "94.232.247.255", "185.66.200.0", "185.66.200.255",
           "185.66.200.20", "52.58.233.101"]:
    case("addr", D, rq(ip, ua=SC_UA), ALLOW(ip), "inside a preset range")
for ip in ["94.232.246.255", "94.232.248.0", "185.66.199.255", "185.66.201.0", "52.58.233.100",
           "52.58.233.102", "0.0.0.0", "255.255.255.255", "198.51.100.5"]:
    case("addr", D, rq(ip, ua=SC_UA), IMP(ip), "outside the preset ranges (52.58.233.101 is a single address)")

# IPv4-mapped
for raw in ["::ffff:94.232.247.10", "::FFFF:94.232.247.10", "0:0:0:0:0:ffff:94.232.247.10",
            "[::ffff:94.232.247.10]", "::ffff:5ee8:f70a", "0000:0000:0000:0000:0000:FFFF:5EE8:F70A"]:
    case("addr", D, rq(raw, ua=SC_UA), ALLOW(SC1),
         "IPv4-mapped IPv6 is the IPv4 address (matched against IPv4 ranges, output dotted quad)")
case("addr", D, rq("::ffff:198.51.100.5", ua=SC_UA), IMP("198.51.100.5"), "IPv4-mapped output as IPv4")
case("addr", D, rq("::ffff:52.58.233.101", ua=PRESTA), ALLOW(SC3))

# IPv6 canonical form (RFC 5952)
for raw, canon in [
    ("2001:db8::1", "2001:db8::1"),
    ("2001:DB8::1", "2001:db8::1"),
    ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("fe80::1%eth0", "fe80::1"),
    ("[fe80::1%eth0]", "fe80::1"),
    ("FE80::ABCD%en0", "fe80::abcd"),
    ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
    ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
    ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
    ("2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
    ("1:0:0:0:0:0:0:0", "1::"),
    ("0:0:0:0:0:0:0:1", "::1"),
    ("::1", "::1"),
    ("::", "::"),
    ("2001:db8:00a0::0b", "2001:db8:a0::b"),
]:
    case("addr", D, rq(raw, ua=SC_UA), IMP(canon), f"canonical RFC 5952 form of {raw!r}")

# malformed remote_addr: step 1 decides, client_ip and method null
for raw in ["010.1.1.1", "1.2.3.04", "256.1.1.1", "1.2.3.256", "94.232.247.300", "1.2.3", "1.2.3.4.5",
            "", "garbage", "localhost", "www.sendcloud.sc", "1.2.3.4:80", "1..2.3", "0x7f.0.0.1",
            "94.232.247.10/32", "2001:db8::g", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "[2001:db8::1",
            "2001:db8::1]", "::ffff:256.1.1.1", "-1.2.3.4", "12345"]:
    case("addr", D, rq(raw, ua=SC_UA), MAL(),
         "remote_addr is not an IPv4/IPv6 address: step 1, client_ip and method null")
case("addr", D, rq("010.232.247.10", "GE T", ua=SC_UA), MAL(), "several errors: step 1 decides first")
case("addr", D, rq("bogus", "POST", ua=SC_UA, h={"X-HTTP-Method-Override": "PUT", "X-HTTP-Method": "DELETE"}),
     MAL(), "malformed remote_addr wins over an ambiguous override (step 1 before 3)")
case("addr", D, rq("bogus", h={"User-Agent": [SC_UA, SC_UA]}), MAL(), "step 1 before step 4")
case("addr", "trusted-xff", rq("10.0.0.1.", ua=SC_UA, h={"X-Forwarded-For": SC1}), MAL(),
     "a malformed remote_addr is not rescued by a forwarding header")
case("addr", "deny-impersonation", rq("256.0.0.1", ua=SC_UA), MAL(),
     "malformed input never impersonation/deny")

# ==========================================================================
# Step 2: forwarding headers
# ==========================================================================
X = "trusted-xff"
XFF = "X-Forwarded-For"

# default policy: no trusted proxies, every forwarding header ignored
case("fwd", D, rq(OTHER, ua=SC_UA, h={XFF: SC1}), IMP(OTHER), "default trusts no proxy: XFF ignored")
case("fwd", D, rq(SC1, ua=SC_UA, h={XFF: OTHER}), ALLOW(SC1), "default trusts no proxy: XFF ignored")
case("fwd", D, rq(SC1, ua=SC_UA, h={XFF: "garbage, unknown"}), ALLOW(SC1), "ignored header is never parsed")
case("fwd", D, rq(OTHER, ua=SC_UA, h={"Forwarded": f"for={SC1}", "X-Real-IP": SC1,
                                      "CF-Connecting-IP": SC1, "True-Client-IP": SC1}), IMP(OTHER))
case("fwd", D, rq("10.0.0.1", ua=SC_UA, h={XFF: SC1}), IMP("10.0.0.1"), "10/8 is not trusted by default")
case("fwd", D, rq("127.0.0.1", ua=SC_UA, h={XFF: SC1}), IMP("127.0.0.1"), "loopback is not trusted by default")

# trusted-xff
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1))
case("xff", X, rq("10.0.0.1", ua=SC_UA), IMP("10.0.0.1"), "trusted peer, header absent: client is remote_addr")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={"Forwarded": f"for={SC1}"}), IMP("10.0.0.1"),
     "only the configured header is read")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": SC1}), IMP("10.0.0.1"), "only the configured header")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "198.51.100.7"}), IMP("198.51.100.7"))
case("xff", X, rq("198.51.100.9", ua=SC_UA, h={XFF: SC1}), IMP("198.51.100.9"),
     "untrusted peer: XFF ignored, spoofing a Sendcloud address does not work")
case("xff", X, rq(SC1, ua=SC_UA, h={XFF: "198.51.100.7"}), ALLOW(SC1), "untrusted peer: XFF ignored")
case("xff", X, rq(SC1, ua=SC_UA, h={XFF: "garbage"}), ALLOW(SC1), "untrusted peer: malformed XFF ignored")
case("xff", X, rq(SC1, ua=SC_UA, h={XFF: ", ".join(trusted_chain(70))}), ALLOW(SC1),
     "untrusted peer: over-long XFF ignored")
case("xff", X, rq("11.0.0.1", ua=SC_UA, h={XFF: SC1}), IMP("11.0.0.1"), "11.0.0.1 is outside 10.0.0.0/8")
case("xff", X, rq("::ffff:10.0.0.1", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1),
     "IPv4-mapped remote_addr is trusted as 10.0.0.1")
case("xff", X, rq("10.255.255.255", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1))
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 10.0.0.2"}), ALLOW(SC1), "skip trusted hops right to left")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"198.51.100.1, {SC1}, 10.0.0.2"}), ALLOW(SC1),
     "first untrusted entry from the right is the client; left of it is never read")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 198.51.100.1"}), IMP("198.51.100.1"),
     "a spoofed Sendcloud entry left of the real client does not count")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 198.51.100.1, 10.0.0.3, 10.0.0.2"}), IMP("198.51.100.1"))
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "10.0.0.3, 10.0.0.2"}), IMP("10.0.0.3"),
     "every entry trusted: the leftmost is the client")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "10.9.9.9"}), IMP("10.9.9.9"), "single trusted entry")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}:443"}), ALLOW(SC1), "IPv4 with port")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}:443, 10.0.0.2:8080"}), ALLOW(SC1), "ports on every hop")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "[2001:db8::1]:443"}), IMP("2001:db8::1"), "bracketed IPv6 with port")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "[2001:db8::1]"}), IMP("2001:db8::1"), "bracketed IPv6")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "2001:DB8:0:0::1"}), IMP("2001:db8::1"), "bare IPv6, canonicalised")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "::ffff:94.232.247.10"}), ALLOW(SC1), "IPv4-mapped in header")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "[::ffff:94.232.247.10]:8443"}), ALLOW(SC1),
     "bracketed IPv4-mapped with port")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "198.51.100.1, ::ffff:10.0.0.2"}), IMP("198.51.100.1"),
     "IPv4-mapped hop inside the trusted range is skipped")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"  {SC1}  ,   10.0.0.2 "}), ALLOW(SC1), "spaces around entries")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1},10.0.0.2"}), ALLOW(SC1), "no space after comma")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["198.51.100.1", SC1]}), ALLOW(SC1),
     "two occurrences joined in order: '198.51.100.1, 94.232.247.10'")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [SC1, "198.51.100.1"]}), IMP("198.51.100.1"),
     "two occurrences joined in order: the later one is to the right")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [SC1, "10.0.0.2, 10.0.0.3"]}), ALLOW(SC1))
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["10.0.0.4", "10.0.0.3", "10.0.0.2"]}), IMP("10.0.0.4"),
     "all trusted across occurrences: leftmost of the joined list")
for name in ["x-forwarded-for", "X-FORWARDED-FOR", "x-Forwarded-FOR"]:
    case("xff", X, rq("10.0.0.1", ua=SC_UA, h={name: SC1}), ALLOW(SC1), "header names are case-insensitive")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, garbage"}), MAL(),
     "malformed entry met before the client")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "198.51.100.1, 10.0.0.2, bogus"}), MAL())
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 010.0.0.2"}), MAL(), "leading zero is malformed")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 10.0.0.256"}), MAL(), "octet 256")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "unknown"}), MAL())
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, proxy.example.com"}), MAL(), "hostname entry")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "garbage, 10.0.0.2"}), MAL(),
     "every entry to the right is trusted, so the malformed one is met before a client is found")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["198.51.100.1", "nope"]}), MAL(), "malformed in a later occurrence")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"garbage, {SC1}"}), ALLOW(SC1),
     "malformed entry left of the client is never reached")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"unknown, {SC1}, 10.0.0.2"}), ALLOW(SC1))
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "999.1.1.1, 198.51.100.1"}), IMP("198.51.100.1"))
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["not an ip", f"{SC1}:443"]}), ALLOW(SC1))
# length bound
c64 = [SC1] + trusted_chain(63)
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(c64)}), ALLOW(SC1), "exactly 64 entries is fine")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(trusted_chain(64))}), IMP(trusted_chain(64)[0]),
     "64 trusted entries: the leftmost is the client")
c65 = [SC1] + trusted_chain(64)
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(c65)}), MAL(), "65 entries: malformed_input")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(trusted_chain(64) + [SC1])}), MAL(),
     "65 entries even though the rightmost is already the client: the bound is on the header")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [", ".join(c65[:40]), ", ".join(c65[40:])]}), MAL(),
     "40 + 25 entries over two occurrences = 65")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [", ".join(c64[:32]), ", ".join(c64[32:])]}), ALLOW(SC1),
     "32 + 32 entries over two occurrences = 64")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join([SC1] * 200)}), MAL(), "200 entries")
# interaction with later steps
case("xff", X, rq("10.0.0.1", "GE T", ua=SC_UA, h={XFF: f"{SC1}, bad"}), MAL(), "step 2 before step 3")
case("xff", X, rq("10.0.0.1", "GE T", ua=SC_UA, h={XFF: SC1}), MAL(SC1), "client resolved, then the method is malformed")
case("xff", X, rq("10.0.0.1", "patch", ua=WOO, h={XFF: f"{SC2}:1234, 10.1.2.3"}), ALLOW(SC2, "PATCH"))
case("xff", X, rq("10.0.0.1", "POST", ua=SC_UA, h={XFF: SC1, "X-HTTP-Method-Override": "PUT"}),
     MNA(SC1, "PUT"))
case("xff", X, rq("10.0.0.1", ua=BROWSER, h={XFF: SC1}), UAM(SC1))
case("xff", X, rq("10.0.0.1", ua=BROWSER, h={XFF: "198.51.100.1"}), NOM("198.51.100.1"))

# Forwarded
F = "trusted-forwarded"
FW = "Forwarded"
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}"}), ALLOW(SC1))
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f'for="{SC1}"'}), ALLOW(SC1), "quoted")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f'for="{SC1}:4711"'}), ALLOW(SC1), "quoted with port")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}:4711"}), ALLOW(SC1), "unquoted with port")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: 'for="[2001:db8:cafe::17]:4711"'}), IMP("2001:db8:cafe::17"),
     "RFC 7239 example: quoted bracketed IPv6 with port")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: 'for="[2001:DB8:CAFE:0::17]"'}), IMP("2001:db8:cafe::17"),
     "quoted bracketed IPv6, canonicalised")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=[2001:db8:cafe::17]"}), IMP("2001:db8:cafe::17"),
     "unquoted bracketed IPv6")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: 'for="[::ffff:94.232.247.10]"'}), ALLOW(SC1), "IPv4-mapped")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1};proto=https;by=10.0.0.1"}), ALLOW(SC1),
     "several parameters")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"proto=https;for={SC1};host=shop.example"}), ALLOW(SC1),
     "for= not the first parameter")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"For={SC1}"}), ALLOW(SC1), "parameter names are case-insensitive")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f'FOR="{SC1}"'}), ALLOW(SC1), "parameter names are case-insensitive")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for=198.51.100.1, for={SC1}"}), ALLOW(SC1), "rightmost untrusted")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}, for=10.0.0.2"}), ALLOW(SC1), "trusted hop skipped")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}, for=198.51.100.1"}), IMP("198.51.100.1"))
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f'for={SC1};proto=http, for="10.0.0.2:80";by=10.0.0.1'}),
     ALLOW(SC1))
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=10.0.0.3, for=10.0.0.2"}), IMP("10.0.0.3"),
     "all trusted: leftmost")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=unknown"}), MAL(), "unknown counts as malformed")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=_hidden"}), MAL(), "obfuscated identifier counts as malformed")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: 'for="_gazonk"'}), MAL(), "quoted obfuscated identifier")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}, for=unknown"}), MAL(), "unknown met before the client")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=_hidden, for=10.0.0.2"}), MAL(),
     "obfuscated met before any client (all to its right trusted)")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=garbage"}), MAL())
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=010.1.1.1"}), MAL(), "leading zero")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for=unknown, for={SC1}"}), ALLOW(SC1),
     "unknown left of the client is never reached")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for=_hidden, for={SC1};proto=https"}), ALLOW(SC1))
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: ["for=198.51.100.1", f"for={SC1}"]}), ALLOW(SC1),
     "occurrences joined in order")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: [f"for={SC1}", "for=198.51.100.1"]}), IMP("198.51.100.1"))
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={"forwarded": f"for={SC1}"}), ALLOW(SC1), "lower-case header name")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={"FORWARDED": f"for={SC1}"}), ALLOW(SC1), "upper-case header name")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={XFF: SC1}), IMP("10.0.0.1"),
     "configured header (forwarded) absent: client is remote_addr, XFF not read")
case("fw", F, rq("198.51.100.9", ua=SC_UA, h={FW: f"for={SC1}"}), IMP("198.51.100.9"), "untrusted peer")
case("fw", F, rq("198.51.100.9", ua=SC_UA, h={FW: "for=unknown"}), IMP("198.51.100.9"),
     "untrusted peer: malformed Forwarded ignored")
f64 = [f"for={SC1}"] + [f"for={a}" for a in trusted_chain(63)]
f65 = [f"for={SC1}"] + [f"for={a}" for a in trusted_chain(64)]
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join(f64)}), ALLOW(SC1), "64 elements")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join(f65)}), MAL(), "65 elements")

# X-Real-IP
RI = "trusted-real-ip"
case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": SC1}), ALLOW(SC1))
case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={"x-real-ip": "198.51.100.7"}), IMP("198.51.100.7"))
case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={"X-REAL-IP": "2001:DB8::7"}), IMP("2001:db8::7"))
case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": "::ffff:94.232.247.10"}), ALLOW(SC1))
case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": "10.0.0.7"}), IMP("10.0.0.7"),
     "a single trusted address is still the client")
case("rip", RI, rq("10.0.0.1", ua=SC_UA), IMP("10.0.0.1"), "header absent")
case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={XFF: SC1}), IMP("10.0.0.1"), "XFF is not the configured header")
case("rip", RI, rq("198.51.100.9", ua=SC_UA, h={"X-Real-IP": SC1}), IMP("198.51.100.9"), "untrusted peer")
case("rip", RI, rq(SC1, ua=SC_UA, h={"X-Real-IP": "garbage"}), ALLOW(SC1), "untrusted peer: header ignored")
for bad in ["garbage", "010.1.1.1", "94.232.247.10.5", "unknown"]:
    case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": bad}), MAL(),
         "the single address is malformed (it is the only entry, met before any client)")

# True-Client-IP
T = "trusted-true-client-ip"
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": SC2}), ALLOW(SC2))
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"true-client-ip": "2001:DB8::99"}), IMP("2001:db8::99"))
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": SC1}), IMP("10.0.0.1"), "other single-address header ignored")
case("tci", T, rq("172.16.0.1", ua=SC_UA, h={"True-Client-IP": SC1}), IMP("172.16.0.1"), "peer not trusted")
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": "not-an-ip"}), MAL())

# Cloudflare
CF = "cloudflare"
CFH = "CF-Connecting-IP"
case("cf", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: SC1}), ALLOW(SC1), "173.245.48.0/20 is Cloudflare")
case("cf", CF, rq("162.158.10.20", ua=SC_UA, h={CFH: "198.51.100.3"}), IMP("198.51.100.3"),
     "162.158.0.0/15 is Cloudflare")
case("cf", CF, rq("104.16.1.1", ua=WOO, h={"cf-connecting-ip": SC2}), ALLOW(SC2), "104.16.0.0/13 is Cloudflare")
case("cf", CF, rq("2606:4700::6810:1", ua=SC_UA, h={CFH: SC3}), ALLOW(SC3), "2606:4700::/32 is Cloudflare")
case("cf", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: "2001:DB8::ABCD"}), IMP("2001:db8::abcd"))
case("cf", CF, rq("198.51.100.9", ua=SC_UA, h={CFH: SC1}), IMP("198.51.100.9"), "not a Cloudflare address")
case("cf", CF, rq(SC1, ua=SC_UA, h={CFH: "198.51.100.9"}), ALLOW(SC1), "not a Cloudflare address")
case("cf", CF, rq("10.0.0.1", ua=SC_UA, h={CFH: SC1}), IMP("10.0.0.1"), "no ranges configured besides the preset")
case("cf", CF, rq("173.245.48.1", ua=SC_UA, h={XFF: SC1}), IMP("173.245.48.1"),
     "configured header absent: client is the peer; XFF not read")
case("cf", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: "nope"}), MAL())
case("cf", CF, rq("173.245.48.1", ua=BROWSER, h={CFH: SC1}), UAM(SC1))

# loopback + private presets
LP = "loopback-private"
for peer in ["127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.254",
             "192.168.1.1", "fd00::1", "fd12:3456:789a::1"]:
    case("lp", LP, rq(peer, ua=SC_UA, h={XFF: SC1}), ALLOW(SC1), f"{peer} is loopback/private: trusted")
for peer, canon in [("172.32.0.1", "172.32.0.1"), ("172.15.255.255", "172.15.255.255"),
                    ("100.64.0.1", "100.64.0.1"), ("169.254.1.1", "169.254.1.1"), ("fe80::1", "fe80::1"),
                    ("192.169.0.1", "192.169.0.1"), ("11.0.0.1", "11.0.0.1")]:
    case("lp", LP, rq(peer, ua=SC_UA, h={XFF: SC1}), IMP(canon), f"{peer} is neither loopback nor private")
case("lp", LP, rq("127.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 192.168.0.5, 10.0.0.2"}), ALLOW(SC1))
case("lp", LP, rq("127.0.0.1", ua=SC_UA, h={XFF: f"198.51.100.1, {SC1}, [fd00::5]:80"}), ALLOW(SC1))
case("lp", LP, rq("::1", ua=SC_UA, h={XFF: "[fd00::5]:80, 127.0.0.1"}), IMP("fd00::5"), "all trusted: leftmost")
case("lp", LP, rq("127.0.0.1", ua=SC_UA), IMP("127.0.0.1"), "trusted peer, header absent")

# ==========================================================================
# Step 3: method
# ==========================================================================
for m in SC_METHODS:
    case("meth", D, rq(SC1, m, ua=SC_UA), ALLOW(SC1, m), "a published Sendcloud method")
for raw, up in [("patch", "PATCH"), ("Delete", "DELETE"), ("oPtIoNs", "OPTIONS"), ("post", "POST"),
                ("get", "GET")]:
    case("meth", D, rq(SC1, raw, ua=WOO), ALLOW(SC1, up), "method is upper-cased (ASCII)")
for m in ["PUT", "HEAD", "TRACE", "CONNECT", "PROPFIND", "M-SEARCH", "GET!", "~", "X-CUSTOM_METHOD.1"]:
    case("meth", D, rq(SC1, m, ua=SC_UA), MNA(SC1, m), "valid token outside the Sendcloud set")
case("meth", D, rq(SC1, "put", ua=SC_UA), MNA(SC1, "PUT"))
M32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF"
assert len(M32) == 32
case("meth", D, rq(SC1, M32, ua=SC_UA), MNA(SC1, M32), "32 characters is a valid method")
case("meth", D, rq(SC1, M32.lower(), ua=SC_UA), MNA(SC1, M32), "32 characters, upper-cased")
case("meth", D, rq(OTHER, M32, ua=BROWSER), NOM(OTHER, M32), "32 characters: valid, nothing matches")
case("meth", D, rq(SC1, M32 + "G", ua=SC_UA), MAL(SC1), "33 characters: malformed")
case("meth", D, rq(OTHER, "A" * 200, ua=BROWSER), MAL(OTHER), "far too long")
for bad in ["GE T", "", "GET ", " GET", "GET\n", "G(ET", "GET/1", "G:T", "GÉT", "GET\u0000", "\"GET\"", "G,T"]:
    case("meth", D, rq(SC1, bad, ua=SC_UA), MAL(SC1), f"not an RFC 9110 token: {bad!r}; client_ip known")
case("meth", D, rq(OTHER, "GE T", h={"User-Agent": [SC_UA, BROWSER]}), MAL(OTHER),
     "step 3 before step 4: method is null")
case("meth", "no-partners", rq(OTHER, "", ua=BROWSER), MAL(OTHER), "validated even without partners")

# overrides
OV = "X-HTTP-Method-Override"
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={OV: "PATCH"}), ALLOW(SC1, "PATCH"))
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={"X-HTTP-Method": "DELETE"}), ALLOW(SC1, "DELETE"))
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={"X-Method-Override": "patch"}), ALLOW(SC1, "PATCH"),
     "override upper-cased")
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={"x-http-method-override": "options"}), ALLOW(SC1, "OPTIONS"),
     "override header name case-insensitive")
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={"X-HTTP-METHOD": "DELETE"}), ALLOW(SC1, "DELETE"))
case("ovr", D, rq(SC1, "POST", "/wp-json/wc/v3/orders/1?_method=DELETE", ua=WOO), ALLOW(SC1, "DELETE"),
     "_method query parameter")
case("ovr", D, rq(SC1, "POST", "/module/sendcloud/api?ps_method=PATCH", ua=PRESTA), ALLOW(SC1, "PATCH"),
     "ps_method query parameter")
case("ovr", D, rq(SC1, "GET", "/?a=1&_method=patch&b=2", ua=SC_UA), ALLOW(SC1, "PATCH"),
     "_method honoured on any request; both GET and PATCH are allowed")
case("ovr", D, rq(SC1, "GET", "/?_method=put", ua=SC_UA), MNA(SC1, "PUT"), "effective method outside the set")
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={OV: "PUT"}), MNA(SC1, "PUT"))
case("ovr", D, rq(SC1, "PUT", ua=SC_UA, h={OV: "PATCH"}), MNA(SC1, "PATCH"),
     "request method PUT outside the set although the override is allowed")
case("ovr", D, rq(SC1, "HEAD", "/?ps_method=GET", ua=SC_UA), MNA(SC1, "GET"), "request method HEAD not allowed")
case("ovr", D, rq(SC1, "POST", "/?_method=patch", ua=SC_UA, h={OV: "PATCH"}), ALLOW(SC1, "PATCH"),
     "equal after upper-casing")
case("ovr", D, rq(SC1, "POST", "/?_method=Delete&ps_method=DELETE", ua=SC_UA,
                  h={OV: "delete", "X-HTTP-Method": "DELETE", "X-Method-Override": "dElEtE"}),
     ALLOW(SC1, "DELETE"), "all five sources present and equal")
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={OV: "POST"}), ALLOW(SC1, "POST"), "override equal to the method")
case("ovr", D, rq(SC1, "POST", "/?x_method=PUT&ps_methods=PUT&method=PUT", ua=SC_UA), ALLOW(SC1, "POST"),
     "only the exact parameter names _method and ps_method are overrides")
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={"X-Override-Method": "PUT", "Method": "PUT"}), ALLOW(SC1, "POST"),
     "other headers are not overrides")
case("ovr", D, rq(SC1, "POST", ua=SC_UA, h={OV: "PATCH", "X-HTTP-Method": "DELETE"}), AMB(SC1),
     "conflicting override headers")
case("ovr", D, rq(SC1, "POST", "/?_method=PUT&ps_method=DELETE", ua=SC_UA), AMB(SC1), "conflicting parameters")
case("ovr", D, rq(SC1, "POST", "/?ps_method=GET", ua=SC_UA, h={"X-Method-Override": "PATCH"}), AMB(SC1))
case("ovr", D, rq(SC1, "POST", "/?_method=PATCH", ua=SC_UA, h={OV: "PATCH", "X-HTTP-Method": "PATCH",
                                                               "X-Method-Override": "DELETE"}), AMB(SC1))
case("ovr", D, rq(OTHER, "POST", ua=BROWSER, h={OV: "GET", "X-HTTP-Method": "POST"}), AMB(OTHER),
     "step 3 runs whatever the partners")
case("ovr", "no-partners", rq(OTHER, "POST", ua=BROWSER, h={OV: "GET", "X-HTTP-Method": "POST"}), AMB(OTHER))
case("ovr", D, rq(OTHER, "POST", h={OV: "GET", "X-HTTP-Method": "PUT", "User-Agent": [SC_UA, SC_UA]}), AMB(OTHER),
     "step 3 before step 4")
case("ovr", "rules", rq("192.0.2.10", "POST", h={OV: "GET", "X-HTTP-Method": "PUT"}), AMB("192.0.2.10"),
     "step 3 before site rules")
case("ovr", D, rq(OTHER, "POST", ua=SC_UA, h={OV: "PUT"}), IMP(OTHER, "PUT"),
     "impersonation does not depend on the method; effective method reported")
case("ovr", D, rq(SC1, "POST", ua=BROWSER, h={OV: "DELETE"}), UAM(SC1, "DELETE"))
case("ovr", D, rq(OTHER, "POST", "/?_method=PATCH", ua=BROWSER), NOM(OTHER, "PATCH"), "effective method reported")

# ==========================================================================
# Step 4: User-Agent and partner matching on the default preset
# ==========================================================================
assert len("0123456789._-abcdefghijklmnopqrs") == 32
for ua in [SC_UA, WOO, PRESTA, MAGENTO, sc_ua("my.shop_1-x"), sc_ua("a"), sc_ua("Shopware6"),
           sc_ua("A" * 32), sc_ua("0123456789._-abcdefghijklmnopqrs")]:
    case("ua", D, rq(SC1, ua=ua), ALLOW(SC1), "published User-Agent")
for ua in ["SENDCLOUD/1.0.0", "sendcloud/1.0.0", "SENDCLOUD/1.0 (WOOCOMMERCE; HTTPS://WWW.SENDCLOUD.SC)",
           "sendcloud/1.0 (PrestaShop; https://WWW.SendCloud.SC)"]:
    case("ua", D, rq(SC2, ua=ua), ALLOW(SC2), "patterns match ASCII case-insensitively")
for ua in ["  Sendcloud/1.0.0  ", "\tSendcloud/1.0.0\t", " \t SendCloud/1.0 (prestashop; https://www.sendcloud.sc) \t",
           WOO + "   "]:
    case("ua", D, rq(SC3, ua=ua), ALLOW(SC3), "surrounding spaces and tabs are trimmed")
case("ua", D, rq(SC1, h={"user-agent": SC_UA}), ALLOW(SC1), "header name case-insensitive")
case("ua", D, rq(SC1, h={"USER-AGENT": MAGENTO}), ALLOW(SC1), "header name case-insensitive")
for ua, why in [
    (sc_ua("A" * 33), "{shop} is at most 32 characters"),
    (sc_ua(""), "{shop} is at least 1 character"),
    (sc_ua("my shop"), "space is not a shop character"),
    (sc_ua("shop/x"), "/ is not a shop character"),
    (sc_ua("shop+x"), "+ is not a shop character"),
    (sc_ua("wooc\u00f6mmerce"), "non-ASCII is not a shop character"),
    (sc_ua("{shop}"), "braces are not shop characters"),
    ("Sendcloud/1.0.0 extra", "whole-value match: trailing text"),
    ("xSendcloud/1.0.0", "whole-value match: leading text"),
    ("Mozilla/5.0 Sendcloud/1.0.0", "whole-value match"),
    ("Sendcloud/1.0.1", "different version"),
    ("Sendcloud/1.0", "different version"),
    ("Sendcloud/1a0b0", "dots are literal, not wildcards"),
    ("SendCloud/1.0 (woocommerce;  https://www.sendcloud.sc)", "inner spaces are literal"),
    ("SendCloud/1.0 (woocommerce; http://www.sendcloud.sc)", "http is not https"),
    ("SendCloud/1.0 (woocommerce; https://www.sendcloud.sc", "missing parenthesis"),
    ("SendCloud/1.0 (woocommerce) https://www.sendcloud.sc", "literal characters differ"),
    ("Sendcloud/1.0.0\n", "only spaces and tabs are trimmed"),
    (BROWSER, "browser User-Agent"),
    ("curl/8.5.0", "tool User-Agent"),
]:
    case("ua", D, rq(SC1, ua=ua), UAM(SC1), f"Sendcloud address, no pattern matches: {why}")
case("ua", D, rq(SC1), UAM(SC1), "no User-Agent header matches no pattern")
case("ua", D, rq(SC1, ua=""), UAM(SC1), "empty User-Agent")
case("ua", D, rq(SC1, ua=" \t "), UAM(SC1), "blank after trimming")
case("ua", D, rq(SC1, "TRACE", ua=BROWSER), UAM(SC1, "TRACE"), "UA mismatch is decided before methods")
case("ua", D, rq(SC1, "TRACE", ua=SC_UA), MNA(SC1, "TRACE"))
case("ua", D, rq(SC2, "PUT", ua=MAGENTO), MNA(SC2, "PUT"), "PUT is not in the published list")
case("ua", D, rq(SC1, h={"User-Agent": [SC_UA, SC_UA]}), MAL(SC1, "GET"),
     "two User-Agent headers: client_ip and method are known")
case("ua", D, rq(SC1, "patch", h={"User-Agent": [BROWSER, SC_UA]}), MAL(SC1, "PATCH"))
case("ua", D, rq(SC1, h={"User-Agent": SC_UA, "user-agent": SC_UA}), MAL(SC1, "GET"),
     "two keys differing only in case are two User-Agent headers")
case("ua", D, rq(OTHER, "POST", h={"USER-AGENT": SC_UA, "user-agent": BROWSER}), MAL(OTHER, "POST"))
case("ua", "deny-impersonation", rq(OTHER, h={"User-Agent": [SC_UA, BROWSER]}), MAL(OTHER, "GET"),
     "malformed input: pass, never deny")
case("ua", "rules", rq("192.0.2.10", h={"User-Agent": ["a", "b"]}), MAL("192.0.2.10", "GET"),
     "step 4 before site rules")

# impersonation (default: log -> pass)
for ua, why in [
    (SC_UA, "published UA from elsewhere"),
    (WOO, "published UA from elsewhere"),
    (MAGENTO, "published UA from elsewhere"),
    ("sendcloud/1.0.0", "pattern match is case-insensitive"),
    (sc_ua("my shop"), "not a pattern match but claims sendcloud"),
    ("Mozilla/5.0 (compatible; sendcloud-bot)", "claims sendcloud"),
    ("SENDCLOUD", "claim is case-insensitive"),
    ("xxSendCloudxx", "claim is a substring"),
    ("Sendcloud/1.0.0 extra", "claims sendcloud"),
    ("  SeNdClOuD  ", "claim is case-insensitive"),
]:
    case("imp", D, rq(OTHER, ua=ua), IMP(OTHER), f"non-Sendcloud address: {why}")
for ua, why in [("Send Cloud/1.0.0", "no claim: space"), ("sendclou", "no claim: too short"),
                ("send-cloud", "no claim"), (BROWSER, "browser")]:
    case("imp", D, rq(OTHER, ua=ua), NOM(OTHER), why)
case("imp", D, rq(OTHER), NOM(OTHER), "no User-Agent, no Sendcloud address")
case("imp", D, rq(OTHER, ua=""), NOM(OTHER))
case("imp", D, rq("2001:db8::5", ua=SC_UA), IMP("2001:db8::5"))
case("imp", D, rq(OTHER, "TRACE", ua=SC_UA), IMP(OTHER, "TRACE"), "impersonation whatever the method")
case("imp", D, rq("52.58.233.102", "PATCH", ua=WOO), IMP("52.58.233.102", "PATCH"))

DI = "deny-impersonation"
case("imp", DI, rq(OTHER, ua=SC_UA), IMP(OTHER, deny=True))
case("imp", DI, rq(OTHER, "POST", ua=PRESTA), IMP(OTHER, "POST", deny=True))
case("imp", DI, rq(OTHER, ua="Mozilla/5.0 (sendcloud)"), IMP(OTHER, deny=True), "claim")
case("imp", DI, rq("2001:DB8::5", ua=SC_UA), IMP("2001:db8::5", deny=True))
case("imp", DI, rq("52.58.233.102", "TRACE", ua=SC_UA), IMP("52.58.233.102", "TRACE", deny=True))
case("imp", DI, rq(SC1, ua=SC_UA), ALLOW(SC1), "real Sendcloud still allowed")
case("imp", DI, rq(SC1, ua=BROWSER), UAM(SC1), "ua_mismatch is always pass")
case("imp", DI, rq(SC1, "PUT", ua=SC_UA), MNA(SC1, "PUT"), "method_not_allowed is always pass")
case("imp", DI, rq(OTHER, ua=BROWSER), NOM(OTHER))
case("imp", DI, rq("bad", ua=SC_UA), MAL(), "malformed is pass")

# explicit default == default
for r, e in [
    (rq(SC1, "PATCH", ua=WOO), ALLOW(SC1, "PATCH")),
    (rq(OTHER, ua=SC_UA), IMP(OTHER)),
    (rq(SC1, ua=BROWSER), UAM(SC1)),
    (rq(SC2, "PUT", ua=SC_UA), MNA(SC2, "PUT")),
    (rq(OTHER, ua=BROWSER), NOM(OTHER)),
    (rq(OTHER, ua=SC_UA, h={XFF: SC1}), IMP(OTHER)),
]:
    case("exd", "explicit-default", r, e, "same as the default policy")

# spec's own example request/decision
case("spec", D, {"remote_addr": "198.51.100.5", "method": "PATCH", "uri": "/wp-json/wc/v3/orders/12?x=1",
                 "headers": {"User-Agent": WOO}}, IMP("198.51.100.5", "PATCH"),
     "the spec's example request under the default policy: 198.51.100.5 is not a Sendcloud address")

# ==========================================================================
# Step 5: site rules
# ==========================================================================
RU = "rules"
case("rule", RU, rq("192.0.2.10"), RULE("allow", "office", "192.0.2.10"), "disabled catch-all 'off' is skipped")
case("rule", RU, rq("192.0.2.10", "TRACE"), RULE("allow", "office", "192.0.2.10", "TRACE"),
     "first matching rule wins (office before no-trace)")
case("rule", RU, rq("192.0.2.10", ua="BadBot/1"), RULE("allow", "office", "192.0.2.10"), "office before bad-bots")
case("rule", RU, rq("192.0.2.200", "POST"), RULE("allow", "office", "192.0.2.200", "POST"), "inside 192.0.2.128/25")
case("rule", RU, rq("::ffff:192.0.2.10"), RULE("allow", "office", "192.0.2.10"), "IPv4-mapped client")
case("rule", RU, rq("192.0.2.127"), NOM("192.0.2.127"), "outside 192.0.2.128/25")
case("rule", RU, rq("192.0.2.10", "GE T"), MAL("192.0.2.10"), "step 3 before rules")
case("rule", RU, rq(OTHER, ua="BadBot/2.0"), RULE("deny", "bad-bots", OTHER))
case("rule", RU, rq(OTHER, ua="  badbot/x\t"), RULE("deny", "bad-bots", OTHER), "trimmed, case-insensitive")
case("rule", RU, rq(OTHER, ua="BadBot/"), RULE("deny", "bad-bots", OTHER), "* matches the empty run")
case("rule", RU, rq(OTHER, ua="BadBot"), NOM(OTHER), "BadBot/* needs the slash")
case("rule", RU, rq(OTHER, ua="Mozilla/5.0 (Vuln SCANNER 3)"), RULE("deny", "bad-bots", OTHER))
case("rule", RU, rq(OTHER, ua="scanner"), RULE("deny", "bad-bots", OTHER), "*scanner* with empty runs")
case("rule", RU, rq(SC1, ua="BadBot/1"), RULE("deny", "bad-bots", SC1), "rules come before partners")
case("rule", RU, rq(OTHER, "TRACE"), RULE("deny", "no-trace", OTHER, "TRACE"))
case("rule", RU, rq(OTHER, "trace"), RULE("deny", "no-trace", OTHER, "TRACE"), "method upper-cased first")
case("rule", RU, rq(OTHER, "TRACK"), RULE("deny", "no-trace", OTHER, "TRACK"))
case("rule", RU, rq(OTHER, "GET", h={OV: "TRACE"}), NOM(OTHER, "TRACE"),
     "methods condition needs the request method (GET) in the set too")
case("rule", RU, rq(OTHER, "TRACE", h={OV: "GET"}), NOM(OTHER, "GET"),
     "methods condition needs the effective method (GET) in the set too")
case("rule", RU, rq(OTHER, "TRACE", "/?_method=trace"), RULE("deny", "no-trace", OTHER, "TRACE"),
     "both request and effective method in the set")
case("rule", RU, rq(OTHER, "TRACE", h={OV: "TRACK"}), RULE("deny", "no-trace", OTHER, "TRACK"))
case("rule", RU, rq(SC1, "TRACE", ua=SC_UA), RULE("deny", "no-trace", SC1, "TRACE"), "rule before partner")
case("rule", RU, rq(SC2, "DELETE", ua=SC_UA), RULE("deny", "sc-no-delete", SC2, "DELETE"),
     "a rule can deny a Sendcloud request")
case("rule", RU, rq(SC2, "delete", ua=WOO), RULE("deny", "sc-no-delete", SC2, "DELETE"))
case("rule", RU, rq(SC2, "POST", "/?_method=DELETE", ua=SC_UA), ALLOW(SC2, "DELETE"),
     "request method POST not in the rule's set: falls through to the partner")
case("rule", RU, rq(SC1, "DELETE", ua=SC_UA), ALLOW(SC1, "DELETE"), "ip condition of sc-no-delete fails")
case("rule", RU, rq(SC2, ua=SC_UA), ALLOW(SC2), "methods condition of sc-no-delete fails")
case("rule", RU, rq(SC2, "DELETE"), RULE("deny", "sc-no-delete", SC2, "DELETE"), "no UA condition on that rule")
case("rule", RU, rq(OTHER, ua="Monitor/uptime"), RULE("pass", "monitor", OTHER), "action pass, reason rule_match")
case("rule", RU, rq("198.51.100.200", "head", ua="monitor/UPTIME-2"), RULE("pass", "monitor", "198.51.100.200", "HEAD"))
case("rule", RU, rq(OTHER, "POST", ua="Monitor/uptime"), NOM(OTHER, "POST"), "methods condition fails")
case("rule", RU, rq(OTHER, ua="Monitor/"), NOM(OTHER), "{shop} needs at least one character")
case("rule", RU, rq(OTHER, ua="Monitor/up time"), NOM(OTHER), "space is not a shop character")
case("rule", RU, rq("203.0.113.9", ua="Monitor/uptime"), NOM("203.0.113.9"), "ip condition fails")
case("rule", RU, rq(OTHER), NOM(OTHER), "user_agents condition needs a User-Agent")
case("rule", RU, rq("203.0.113.200"), RULE("allow", "explicit-on", "203.0.113.200"), "enabled: true")
case("rule", RU, rq("203.0.113.200", ua=SC_UA), RULE("allow", "explicit-on", "203.0.113.200"),
     "rule decides before the partner would report impersonation")
case("rule", RU, rq(SC1, ua=SC_UA), ALLOW(SC1), "no rule matches, default partner")
case("rule", RU, rq(SC1, ua=BROWSER), UAM(SC1))
case("rule", RU, rq(OTHER, ua=SC_UA), IMP(OTHER))
case("rule", RU, rq("nope"), MAL(), "step 1 before rules")

RO = "rules-order"
case("rule", RO, rq("203.0.113.5", ua="x"), RULE("pass", "first", "203.0.113.5"), "* matches any User-Agent")
case("rule", RO, rq("203.0.113.5"), RULE("deny", "second", "203.0.113.5"), "* does not match an absent UA")
case("rule", RO, rq("203.0.113.5", ua=""), RULE("deny", "second", "203.0.113.5"), "* does not match an empty UA")
case("rule", RO, rq("203.0.113.5", ua=" \t"), RULE("deny", "second", "203.0.113.5"), "blank after trimming")
case("rule", RO, rq("203.0.113.99", ua=SC_UA), RULE("pass", "first", "203.0.113.99"), "rule before impersonation")
case("rule", RO, rq(OTHER, ua=SC_UA), IMP(OTHER))

RC = "rules-catchall"
case("rule", RC, rq(SC1, uri="/wp-json/wc/v3/orders"), RULE("allow", "sc-api", SC1))
case("rule", RC, rq(SC3, "PATCH", uri="//wp-json//wc/v3"), RULE("allow", "sc-api", SC3, "PATCH"))
case("rule", RC, rq(SC1, uri="/wp-admin", ua=SC_UA), RULE("deny", "catch-all", SC1),
     "a rule without conditions matches everything, Sendcloud included")
case("rule", RC, rq(SC1, ua=SC_UA), RULE("deny", "catch-all", SC1), "uri defaults to /")
case("rule", RC, rq(SC1, uri="/wp-json", ua=SC_UA), RULE("deny", "catch-all", SC1), "prefix /wp-json/ needs the slash")
case("rule", RC, rq(OTHER, "OPTIONS", "/"), RULE("deny", "catch-all", OTHER, "OPTIONS"))
case("rule", RC, rq("::1"), RULE("deny", "catch-all", "::1"))
case("rule", RC, rq("300.1.1.1"), MAL(), "malformed input is pass, not the catch-all deny")
case("rule", RC, rq(OTHER, "B@D"), MAL(OTHER), "malformed method: pass, not the catch-all deny")
case("rule", RC, rq(OTHER, "POST", h={OV: "PUT", "X-HTTP-Method": "GET"}), AMB(OTHER))
case("rule", RC, rq(SC1, uri="/wp-json/%zz"), MAL(SC1, "GET"),
     "ip holds, so the paths condition is evaluated and the path is broken")

RP = "rules-paths"
for uri, why in [
    ("/wp-admin", "plain"),
    ("/wp-admin/post.php?action=edit", "prefix, query ignored"),
    ("/wp-login.php", "second prefix"),
    ("/wp-json/../wp-admin/", "dot segments removed"),
    ("/wp-json/%2e%2e/wp-admin", "%2e decoded then dot segments removed"),
    ("/wp-json/%2E%2E/wp-admin", "upper-case %2E"),
    ("/%2e/wp-admin", "encoded single dot"),
    ("/./wp-admin", "single dot"),
    ("/foo/./../wp-admin", "mixed dots"),
    ("/../../wp-admin", "dot segments above the root"),
    ("//wp-admin", "runs of / collapsed"),
    ("///wp-admin//x", "runs of / collapsed"),
    ("/wp%2Dadmin", "- is unreserved: %2D decoded"),
    ("/wp%2dadmin", "lower-case hex"),
    ("/%77p-admin", "%77 is w"),
    ("/wp-adm%69n/", "%69 is i"),
    ("/wp-login%2Ephp", ". is unreserved"),
    ("/wp-admin%2Fx", "%2F is reserved and stays encoded; prefix still matches"),
]:
    case("path", RP, rq(OTHER, uri=uri), RULE("deny", "admin", OTHER), f"{uri}: {why}")
case("path", RP, rq(SC1, "POST", "/wp-admin/admin-ajax.php", ua=SC_UA), RULE("deny", "admin", SC1, "POST"),
     "rule before partner")
case("path", RP, rq(SC1, "PATCH", "/wp-json/wc/v3/orders/12?x=1", ua=WOO), RULE("pass", "api", SC1, "PATCH"),
     "pass rule decides before the partner")
case("path", RP, rq(OTHER, uri="/wp-json/wc/v3"), RULE("pass", "api", OTHER))
case("path", RP, rq(OTHER, uri="/wp-json/%77c/v3"), RULE("pass", "api", OTHER), "%77 is w")
case("path", RP, rq(OTHER, uri="/%7Euser/index.html"), RULE("deny", "tilde", OTHER), "~ is unreserved: %7E decoded")
case("path", RP, rq(OTHER, uri="/%7euser/"), RULE("deny", "tilde", OTHER))
case("path", RP, rq(OTHER, uri="/~user/"), RULE("deny", "tilde", OTHER))
for uri, why in [
    ("/wp-json/wc", "shorter than the prefix /wp-json/wc/"),
    ("/shop?p=/wp-admin", "query is not part of the path"),
    ("/shop?redirect=%2Fwp-admin", "query is not part of the path"),
    ("/wp-admin/../index.php", "dot segments removed: /index.php"),
    ("/wp-admin/%2e%2e/shop", "dot segments removed: /shop"),
    ("/wp%2Fadmin", "%2F is not decoded; no prefix matches"),
    ("/caf%C3%A9", "valid non-unreserved encoding is no error"),
    ("/%41%42", "decoded to /AB"),
    ("/", "root"),
]:
    case("path", RP, rq(OTHER, uri=uri), NOM(OTHER), f"{uri}: {why}")
case("path", RP, rq(OTHER), NOM(OTHER), "uri absent: /; the disabled 'old-paths' rule is skipped")
case("path", RP, rq(SC1, uri="/shop", ua=SC_UA), ALLOW(SC1))
for uri, why in [
    ("/%zz", "not hex"),
    ("/%0", "truncated"),
    ("/wp-admin%", "lone %"),
    ("/%2", "truncated"),
    ("/%g0", "not hex"),
    ("/a%00b", "encoded NUL"),
    ("/wp-admin%00", "encoded NUL even though the prefix would match"),
    ("/wp-json/wc/%zz", "broken"),
]:
    case("path", RP, rq(OTHER, uri=uri), MAL(OTHER, "GET"),
         f"{uri}: {why}; the first paths condition is evaluated and the path cannot be normalised")
case("path", RP, rq(SC1, "PATCH", "/wp-json/wc/v3/orders/%zz", ua=WOO), MAL(SC1, "PATCH"),
     "malformed path wins over the Sendcloud partner when a paths condition is evaluated")
case("path", RP, rq("192.0.2.10", uri="/%zz"), RULE("allow", "office", "192.0.2.10"),
     "office matches first, no paths condition is evaluated")
case("path", RP, rq("192.0.2.10", uri="/%00"), RULE("allow", "office", "192.0.2.10"))
case("path", D, rq(SC1, uri="/%zz", ua=SC_UA), ALLOW(SC1), "no paths condition anywhere: broken path is irrelevant")
case("path", D, rq(SC1, uri="/wp-json/%00", ua=WOO), ALLOW(SC1), "no paths condition anywhere")
case("path", "rules", rq(OTHER, uri="/%zz", ua="Monitor/x"), RULE("pass", "monitor", OTHER),
     "policy without paths conditions")
case("path", "custom-partner", rq("203.0.113.5", uri="/%", ua="Acme-Sync/1"), ALLOW("203.0.113.5", rule="acme"))

# ==========================================================================
# Step 6: partners
# ==========================================================================
CP = "custom-partner"
A = "203.0.113.5"
case("cp", CP, rq(A, ua="Acme-Sync/1.2"), ALLOW(A, rule="acme"))
case("cp", CP, rq(A, "post", ua="acme-sync/"), ALLOW(A, "POST", rule="acme"), "* matches none; case-insensitive")
case("cp", CP, rq(A, ua="Acme-Sync/1 sendcloud"), ALLOW(A, rule="acme"), "acme decides first")
case("cp", CP, rq(A, ua="Acme-Sync"), UAM(A, rule="acme"), "Acme-Sync/* needs the slash")
case("cp", CP, rq(A, "PATCH", ua="Acme-Sync/1"), MNA(A, "PATCH", rule="acme"))
case("cp", CP, rq(A, "POST", ua="Acme-Sync/1", h={OV: "PATCH"}), MNA(A, "PATCH", rule="acme"))
case("cp", CP, rq(A, "PATCH", "/?_method=POST", ua="Acme-Sync/1"), MNA(A, "POST", rule="acme"),
     "request method PATCH outside acme's set")
case("cp", CP, rq(A, ua=SC_UA), UAM(A, rule="acme"),
     "acme comes first: its address, not its UA -> ua_mismatch decides")
case("cp", CP, rq(SC1, ua="Acme-Sync/1"), IMP(SC1, rule="acme"), "acme's UA from outside acme's ranges")
case("cp", CP, rq(SC1, ua="Sendcloud acme"), IMP(SC1, rule="acme"), "claims acme; acme is checked first")
case("cp", CP, rq("192.0.2.1", ua="Mozilla ACME toolbar"), IMP("192.0.2.1", rule="acme"), "claim case-insensitive")
case("cp", CP, rq(SC1, "PUT", ua=SC_UA), ALLOW(SC1, "PUT"), "add_methods PUT")
case("cp", CP, rq(SC1, "HEAD", ua=WOO), ALLOW(SC1, "HEAD"), "add_methods HEAD")
case("cp", CP, rq(SC1, "DELETE", ua=WOO), ALLOW(SC1, "DELETE"), "preset methods kept")
case("cp", CP, rq(SC1, "TRACE", ua=SC_UA), MNA(SC1, "TRACE"))
case("cp", CP, rq("198.51.100.20", ua=SC_UA), ALLOW("198.51.100.20"), "add_ip")
case("cp", CP, rq(SC3, ua=WOO), ALLOW(SC3), "preset ranges and patterns kept")
case("cp", CP, rq("198.51.100.20", ua="SendCloud/2.0 (shopware; https://www.sendcloud.sc)"),
     ALLOW("198.51.100.20"), "add_user_agents with {shop}")
case("cp", CP, rq(SC2, ua="Sendcloud-Hooks/0.9"), ALLOW(SC2), "add_user_agents with *")
case("cp", CP, rq(SC2, ua="Sendcloud-Hooks"), UAM(SC2), "no pattern matches (acme: no_match first)")
case("cp", CP, rq("198.51.100.20", ua=BROWSER), UAM("198.51.100.20"))
case("cp", CP, rq("192.0.2.1", ua="Sendcloud-Hooks/1"), IMP("192.0.2.1"))
case("cp", CP, rq("192.0.2.1", ua="Mozilla/5.0 SendCloud-ish"), IMP("192.0.2.1"))
case("cp", CP, rq("192.0.2.1", ua=BROWSER), NOM("192.0.2.1"))
case("cp", CP, rq("192.0.2.1"), NOM("192.0.2.1"))

PO = "partner-order"
case("po", PO, rq(SC1, ua=SC_UA), ALLOW(SC1, rule="sc-main"), "preset with its own id")
case("po", PO, rq(SC1, ua="Overlap/1"), UAM(SC1, rule="sc-main"),
     "sc-main (first) reports ua_mismatch before overlap could allow")
case("po", PO, rq(SC2, ua="Overlap/2"), UAM(SC2, rule="sc-main"))
case("po", PO, rq("192.0.2.5", "PUT", ua=SC_UA), IMP("192.0.2.5", "PUT", rule="sc-main"),
     "sc-main reports impersonation before shared-ua could allow")
case("po", PO, rq("192.0.2.5", ua="Overlap/1"), IMP("192.0.2.5", rule="overlap"), "sc-main no_match, then overlap")
case("po", PO, rq("192.0.2.5", ua="Shared"), UAM("192.0.2.5", rule="shared-ua"), "third partner decides")
case("po", PO, rq(OTHER, ua="overlap"), NOM(OTHER), "overlap has no claims")
case("po", PO, rq(OTHER, ua=BROWSER), NOM(OTHER))

DP = "disabled-partner"
case("dp", DP, rq(SC1, ua=SC_UA), NOM(SC1), "Sendcloud preset disabled")
case("dp", DP, rq(OTHER, ua=SC_UA), NOM(OTHER), "disabled partner: no impersonation either")
case("dp", DP, rq(A, ua="Acme-Sync/1"), NOM(A), "acme disabled")
case("dp", DP, rq(OTHER, ua="acme"), NOM(OTHER), "disabled partner's claims do not apply")
case("dp", DP, rq("192.0.2.7", ua="Beta-Agent/shop1"), ALLOW("192.0.2.7", rule="beta"))
case("dp", DP, rq("192.0.2.7", "POST", ua="Beta-Agent/x"), ALLOW("192.0.2.7", "POST", rule="beta"))
case("dp", DP, rq("192.0.2.7", "DELETE", ua="Beta-Agent/x"), MNA("192.0.2.7", "DELETE", rule="beta"))
case("dp", DP, rq("192.0.2.7", ua="Beta-Agent/"), UAM("192.0.2.7", rule="beta"), "{shop} needs a character")
case("dp", DP, rq("192.0.2.7", ua=SC_UA), UAM("192.0.2.7", rule="beta"))
case("dp", DP, rq(OTHER, ua="Beta-Agent/x"), IMP(OTHER, rule="beta"))
case("dp", DP, rq(OTHER, ua="I am beta-agent"), NOM(OTHER), "beta has no claims")

NP = "no-partners"
case("np", NP, rq(SC1, ua=SC_UA), NOM(SC1), "no partners: even real Sendcloud is no_match")
case("np", NP, rq(SC1, "PATCH", ua=WOO), NOM(SC1, "PATCH"))
case("np", NP, rq(OTHER, ua=SC_UA), NOM(OTHER), "no partners: no impersonation")
case("np", NP, rq(SC1, ua=BROWSER), NOM(SC1), "no partners: no ua_mismatch")
case("np", NP, rq(SC1, "TRACE", ua=SC_UA), NOM(SC1, "TRACE"), "no partners: no method_not_allowed")
case("np", NP, rq("2001:db8::1"), NOM("2001:db8::1"))
case("np", NP, rq("1.2.3"), MAL())
case("np", NP, rq(SC1, h={"User-Agent": [SC_UA, SC_UA]}), MAL(SC1, "GET"))

# IPv6 policy
V6 = "ipv6"
case("v6", V6, rq("2001:db8:5c::9", ua=SC_UA), ALLOW("2001:db8:5c::9"), "add_ip IPv6 range")
case("v6", V6, rq("2001:DB8:5C:FFFF::1", ua=WOO), ALLOW("2001:db8:5c:ffff::1"))
case("v6", V6, rq("2001:db8:5d::1", ua=SC_UA), IMP("2001:db8:5d::1"), "outside 2001:db8:5c::/48")
case("v6", V6, rq("2001:db8:abcd:0:0:0:0:1", ua=SC_UA), ALLOW("2001:db8:abcd::1"),
     "policy address written in upper case")
case("v6", V6, rq("2001:db8:abcd::2", ua=SC_UA), IMP("2001:db8:abcd::2"), "single address, not a range")
case("v6", V6, rq("198.51.100.77", ua=SC_UA), ALLOW("198.51.100.77"),
     "::ffff:198.51.100.77 in the policy is the IPv4 address")
case("v6", V6, rq("::ffff:198.51.100.77", ua=SC_UA), ALLOW("198.51.100.77"))
case("v6", V6, rq("198.51.100.78", ua=SC_UA), IMP("198.51.100.78"))
case("v6", V6, rq(SC1, ua=SC_UA), ALLOW(SC1), "preset IPv4 ranges kept")
case("v6", V6, rq("2001:db8:aaaa::1"), RULE("allow", "v6-office", "2001:db8:aaaa::1"))
case("v6", V6, rq("2001:db8:aaaa:0:ffff:ffff:ffff:ffff"), RULE("allow", "v6-office", "2001:db8:aaaa:0:ffff:ffff:ffff:ffff"))
case("v6", V6, rq("2001:db8:aaaa:1::1"), NOM("2001:db8:aaaa:1::1"), "outside the /64")
case("v6", V6, rq("203.0.113.66"), RULE("deny", "mapped-deny", "203.0.113.66"), "mapped address in a rule list")
case("v6", V6, rq("::ffff:203.0.113.66"), RULE("deny", "mapped-deny", "203.0.113.66"))
case("v6", V6, rq("203.0.113.67"), NOM("203.0.113.67"))
case("v6", V6, rq("2001:db8:ffff::10", ua=SC_UA, h={XFF: "[2001:db8:5c::9]:443, 2001:db8:ffff::2"}),
     ALLOW("2001:db8:5c::9"), "IPv6 trusted proxies")
case("v6", V6, rq("2001:db8:ffff::10", ua=SC_UA, h={XFF: "2001:db8:ffff::3, 2001:db8:ffff::2"}),
     IMP("2001:db8:ffff::3"), "all trusted: leftmost")
case("v6", V6, rq("172.20.0.1", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1), "trusted via ::ffff:172.20.0.1")
case("v6", V6, rq("::ffff:172.20.0.1", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1))
case("v6", V6, rq("172.20.0.2", ua=SC_UA, h={XFF: SC1}), IMP("172.20.0.2"), "single address only")
case("v6", V6, rq("fd00::1", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1), "trusted via FD00::1 (upper case in policy)")
case("v6", V6, rq("fd00::2", ua=SC_UA, h={XFF: SC1}), IMP("fd00::2"))
case("v6", V6, rq("2001:db8:ffff::10", ua=SC_UA, h={XFF: "2001:db8:5c::9, [::1"}), MAL())

# spec example policy
SE = "spec-example"
case("se", SE, {"remote_addr": "198.51.100.5", "method": "PATCH", "uri": "/wp-json/wc/v3/orders/12?x=1",
                "headers": {"User-Agent": WOO}}, ALLOW("198.51.100.5", "PATCH"),
     "the spec's example request and decision")
case("se", SE, rq("198.51.100.5", "PUT", ua=WOO), ALLOW("198.51.100.5", "PUT"), "add_methods PUT")
case("se", SE, rq(SC1, "HEAD", ua=SC_UA), MNA(SC1, "HEAD"))
case("se", SE, rq(SC3, ua=SC_UA), ALLOW(SC3), "preset ranges kept alongside add_ip")
case("se", SE, rq("192.0.2.10"), RULE("allow", "office", "192.0.2.10"))
case("se", SE, rq("192.0.2.10", "POST", ua=BROWSER), RULE("allow", "office", "192.0.2.10", "POST"))
case("se", SE, rq("192.0.2.10", "DELETE"), NOM("192.0.2.10", "DELETE"), "office's methods condition fails")
case("se", SE, rq("192.0.2.10", "TRACE"), RULE("deny", "no-trace", "192.0.2.10", "TRACE"))
case("se", SE, rq("192.0.2.10", "POST", h={OV: "TRACE"}), NOM("192.0.2.10", "TRACE"),
     "office: effective TRACE not in set; no-trace: request POST not in set")
case("se", SE, rq(A, ua="Acme-Sync/3.1"), ALLOW(A, rule="acme"))
case("se", SE, rq(A, "DELETE", ua="Acme-Sync/3.1"), MNA(A, "DELETE", rule="acme"))
case("se", SE, rq(A, "TRACE", ua="Acme-Sync/3.1"), RULE("deny", "no-trace", A, "TRACE"))
case("se", SE, rq(A, ua=BROWSER), UAM(A, rule="acme"), "sendcloud no_match, acme ua_mismatch")
case("se", SE, rq("198.51.100.9", ua="Acme-Sync/1"), UAM("198.51.100.9"),
     "198.51.100.9 is in sendcloud's add_ip: sendcloud's ua_mismatch decides before acme")
case("se", SE, rq("192.0.2.55", ua="acme crawler"), IMP("192.0.2.55", rule="acme"))
case("se", SE, rq("10.0.0.1", ua="Acme-Sync/2", h={XFF: A}), ALLOW(A, rule="acme"))
case("se", SE, rq("173.245.48.1", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1), "cloudflare preset trusted, XFF header")
case("se", SE, rq("173.245.48.1", ua=SC_UA, h={"CF-Connecting-IP": SC1}), IMP("173.245.48.1"),
     "header is x-forwarded-for, CF-Connecting-IP not read")
case("se", SE, rq("198.51.100.9", ua=SC_UA, h={XFF: SC1}), ALLOW("198.51.100.9"),
     "198.51.100.9 is not a trusted proxy, but is in add_ip")

# ==========================================================================
# Long inputs: bounded work, never allow
# ==========================================================================
case("long", D, rq(SC1, ua="a" * 20000), UAM(SC1), "20,000-character User-Agent")
case("long", D, rq(OTHER, ua="sendcloud" * 2000), IMP(OTHER), "long UA containing the claim")
case("long", RU, rq(OTHER, ua="scanne" * 3000), NOM(OTHER), "*scanner* against a long near-miss: no match")
case("long", RU, rq(OTHER, ua="scanne" * 3000 + "r"), RULE("deny", "bad-bots", OTHER), "long UA ending in scanner")
case("long", D, rq("1" * 10000, ua=SC_UA), MAL(), "10,000-character remote_addr")
case("long", D, rq(SC1, "G" * 10000, ua=SC_UA), MAL(SC1), "10,000-character method")
case("long", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join([SC1] * 5000)}), MAL(), "5,000 XFF entries")
case("long", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join(["for=_x"] * 5000)}), MAL(), "5,000 Forwarded elements")
case("long", RP, rq(OTHER, uri="/.." * 5000), NOM(OTHER), "5,000 dot segments normalise to /")
case("long", RP, rq(OTHER, uri="/" * 10000 + "wp-admin"), RULE("deny", "admin", OTHER), "10,000 slashes collapse")
case("long", RP, rq(OTHER, uri="/%2e%2e" * 3000 + "/wp-admin"), RULE("deny", "admin", OTHER), "3,000 encoded dot segments")
case("long", D, rq(SC1, "POST", "/?" + "&".join(["a=1"] * 3000) + "&_method=PATCH", ua=SC_UA), ALLOW(SC1, "PATCH"),
     "long query string")

# ==========================================================================
# Ambiguous: not in cases.jsonl. expect = the writer's best guess.
# ==========================================================================
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ""}), IMP("10.0.0.1"),
    "Empty configured header: absent (client = remote_addr) or one empty malformed entry (malformed_input)?")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, , 10.0.0.2"}), MAL(),
    "Empty list element: RFC 9110 says recipients ignore empty list elements; the spec says malformed entry.")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1},"}), MAL(), "Trailing comma: empty element?")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "fe80::1%eth0"}), IMP("fe80::1"),
    "Zone id in a header entry: the zone rule is stated for remote_addr (step 1) only.")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "2001:db8::1:443"}), IMP("2001:db8::1:443"),
    "Unbracketed IPv6 followed by what looks like a port is itself a valid IPv6 address.")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}:99999"}), MAL(), "Port out of range: malformed?")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: SC1, "x-forwarded-for": "198.51.100.1"}), IMP("198.51.100.1"),
    "Same header under two key spellings: joined in which order (JSON object order)?")
amb("amb", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": f"{SC1}:8080"}), ALLOW(SC1),
    "Port on a single-address header: the port forms are stated for x-forwarded-for and forwarded only.")
amb("amb", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": [SC1, "198.51.100.1"]}), MAL(),
    "Single-address header given twice: joined value is not one address -> malformed? or last wins?")
amb("amb", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": f"198.51.100.1, {SC1}"}), MAL(),
    "List value in a single-address header.")
amb("amb", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": ""}), IMP("10.0.0.1"),
    "Empty single-address header: absent or malformed?")
amb("amb", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}, proto=https"}), MAL(),
    "Forwarded element without a for= parameter: malformed, skipped, or ends the walk?")
amb("amb", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=2001:db8::1"}), IMP("2001:db8::1"),
    "Unquoted, unbracketed IPv6 in for= (invalid per RFC 7239, but 'quoted or not').")
amb("amb", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for = {SC1}"}), MAL(), "Whitespace around = in Forwarded.")
amb("amb", D, rq(SC1, "POST", ua=SC_UA, h={OV: "PO ST"}), MAL(SC1),
    "Override value that is not a token: malformed_input (as for the method) or ambiguous_method_override?")
amb("amb", D, rq(SC1, "POST", ua=SC_UA, h={OV: "A" * 33}), MAL(SC1), "33-character override value.")
amb("amb", D, rq(SC1, "POST", ua=SC_UA, h={OV: ""}), MAL(SC1),
    "Empty override value: absent, or present and not a token?")
amb("amb", D, rq(SC1, "POST", "/?_method=", ua=SC_UA), MAL(SC1), "Empty _method parameter.")
amb("amb", D, rq(SC1, "GE T", ua=SC_UA, h={OV: "PUT", "X-HTTP-Method": "GET"}), MAL(SC1),
    "Malformed request method AND conflicting overrides: which check of step 3 runs first?")
amb("amb", D, rq(SC1, "POST", "/?_method=PUT&_method=DELETE", ua=SC_UA), AMB(SC1),
    "Repeated query parameter: all values must agree, or first/last wins?")
amb("amb", D, rq(SC1, "POST", "/?_method=PATCH&_method=PATCH", ua=SC_UA), ALLOW(SC1, "PATCH"),
    "Repeated equal query parameter.")
amb("amb", D, rq(SC1, "POST", "/?_method=P%41TCH", ua=SC_UA), ALLOW(SC1, "PATCH"),
    "Percent-encoded override value: decoded?")
amb("amb", D, rq(SC1, "POST", "/?_METHOD=PUT", ua=SC_UA), ALLOW(SC1, "POST"),
    "Query parameter names are case-sensitive?")
amb("amb", D, rq(SC1, "POST", "/?x=%zz&_method=PATCH", ua=SC_UA), ALLOW(SC1, "PATCH"),
    "Broken percent-encoding in the query while looking for _method.")
amb("amb", D, rq(SC1, "POST", ua=SC_UA, h={OV: ["PATCH", "PATCH"]}), ALLOW(SC1, "PATCH"),
    "Override header given twice: joined 'PATCH, PATCH' is not a token; or each value compared?")
amb("amb", D, rq(SC1, h={"User-Agent": [SC_UA]}), ALLOW(SC1),
    "User-Agent as a one-element array: one header (spec: arrays are for headers that appeared more than once).")
amb("amb", D, rq(SC1, h={"User-Agent": []}), UAM(SC1), "User-Agent as an empty array.")
amb("amb", RP, rq(OTHER, uri="/wp-adminx"), RULE("deny", "admin", OTHER),
    "'starts with any listed prefix': plain string prefix (matches) or segment-aware (does not)?")
amb("amb", RP, rq(OTHER, uri="/WP-ADMIN"), NOM(OTHER), "Path case sensitivity is not stated.")
amb("amb", RP, rq(OTHER, uri="/x//..//wp-admin"), RULE("deny", "admin", OTHER),
    "Order of collapsing // and removing dot segments changes the result (/wp-admin vs /x/wp-admin).")
amb("amb", RP, rq(OTHER, uri=""), NOM(OTHER), "Empty uri: '/' or malformed?")
amb("amb", RP, rq(OTHER, uri="wp-admin"), NOM(OTHER), "uri without a leading slash.")
amb("amb", RP, rq(OTHER, uri="http://shop.example/wp-admin"), RULE("deny", "admin", OTHER),
    "Absolute-form request target.")
amb("amb", RP, rq(OTHER, uri="/wp-admin#%zz"), RULE("deny", "admin", OTHER), "Fragment in the uri.")
amb("amb", "rules-mixed-paths", rq(OTHER, uri="/%zz"), NOM(OTHER),
    "Broken path in a rule whose ip condition already failed: is the paths condition 'evaluated'?")
amb("amb", "ipv6-mapped-cidr", rq("203.0.113.9", ua=SC_UA), ALLOW("203.0.113.9"),
    "IPv4-mapped CIDR ::ffff:203.0.113.0/120 in a policy: the IPv4 range 203.0.113.0/24?")
amb("amb", D, rq("::1.2.3.4", ua=SC_UA), IMP("::102:304"),
    "Deprecated IPv4-compatible address: RFC 5952 output ::102:304 or ::1.2.3.4?")
amb("amb", D, rq(" 94.232.247.10", ua=SC_UA), MAL(), "remote_addr with surrounding whitespace.")
amb("amb", D, rq("[94.232.247.10]", ua=SC_UA), MAL(), "Bracketed IPv4 remote_addr.")
amb("amb", D, rq("fe80::1%", ua=SC_UA), MAL(), "Empty zone id.")
amb("amb", D, rq("::ffff:010.1.1.1", ua=SC_UA), MAL(), "Leading zeros inside an IPv4-mapped address.")
amb("amb", LP, rq("127.0.0.2", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1), "'loopback' = 127.0.0.0/8 + ::1, or 127.0.0.1 only?")
amb("amb", LP, rq("fc00::1", ua=SC_UA, h={XFF: SC1}), ALLOW(SC1),
    "RFC 4193 is fc00::/7 (fc00::/8 is reserved but unused); some lists use fd00::/8.")
amb("amb", D, rq(SC1, ua="Sendcloud/1.0.0\u000b"), UAM(SC1), "Only spaces and tabs trimmed: vertical tab kept.")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "[2001:db8::1]:"}), MAL(), "Empty port.")
amb("amb", D, rq(SC1, ua="\u00a0Sendcloud/1.0.0"), UAM(SC1),
    "No-break space (U+00A0) around the UA: 'spaces' presumably means SP only; Unicode trim would remove it.")
amb("amb", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": "[2001:db8::99]"}), IMP("2001:db8::99"),
    "Brackets around IPv6 in a single-address header (stated for remote_addr and list headers only).")

# ==========================================================================
# Bad policies
# ==========================================================================
BAD = []
_bad_ids = Counter()


def bad(group, pol, path):
    _bad_ids[group] += 1
    BAD.append({"id": f"bad-{group}-{_bad_ids[group]:03d}", "policy": pol, "error_path": path})


ACME = {"id": "acme", "ip": ["203.0.113.0/24"], "user_agents": ["Acme-Sync/*"], "methods": ["GET"]}


def acme(**over):
    d = dict(ACME)
    for k, v in over.items():
        if v is None:
            d.pop(k)
        else:
            d[k] = v
    return d


# syntax / shape
bad("syntax", '{"version": 1,', None)
bad("syntax", "{version: 1}", None)
bad("syntax", '{"rules": [}', None)
bad("syntax", "{'version': 1}", None)
bad("syntax", '{"version": 1} trailing', None)
bad("shape", [], None)
bad("shape", 42, None)
bad("shape", "[1, 2]", None)
# top level
bad("version", {"version": 2}, "version")
bad("version", {"version": "1"}, "version")
bad("version", {"version": 0}, "version")
bad("version", {"version": 1.5}, "version")
bad("version", {"version": True}, "version")
bad("impersonation", {"impersonation": "block"}, "impersonation")
bad("impersonation", {"impersonation": "allow"}, "impersonation")
bad("impersonation", {"impersonation": True}, "impersonation")
bad("impersonation", {"impersonation": ["deny"]}, "impersonation")
bad("unknown", {"partnrs": []}, "partnrs")
bad("unknown", {"version": 1, "Rules": []}, "Rules")
bad("unknown", {"impersonations": "deny"}, "impersonations")
# trusted_proxies
bad("tp", {"trusted_proxies": []}, "trusted_proxies")
bad("tp", {"trusted_proxies": "10.0.0.0/8"}, "trusted_proxies")
bad("tp", {"trusted_proxies": {"rangs": ["10.0.0.0/8"]}}, "trusted_proxies.rangs")
bad("tp", {"trusted_proxies": {"ranges": ["10.0.0.0/33"]}}, "trusted_proxies.ranges[0]")
bad("tp", {"trusted_proxies": {"ranges": ["10.0.0.0/8", "not-an-ip"]}}, "trusted_proxies.ranges[1]")
bad("tp", {"trusted_proxies": {"ranges": ["10.0.0.0/8", "fd00::/7", "fd00::/129"]}}, "trusted_proxies.ranges[2]")
bad("tp", {"trusted_proxies": {"ranges": "10.0.0.0/8"}}, "trusted_proxies.ranges")
bad("tp", {"trusted_proxies": {"ranges": [10]}}, "trusted_proxies.ranges[0]")
bad("tp", {"trusted_proxies": {"presets": ["aws"]}}, "trusted_proxies.presets[0]")
bad("tp", {"trusted_proxies": {"presets": ["cloudflare", "sendcloud"]}}, "trusted_proxies.presets[1]")
bad("tp", {"trusted_proxies": {"presets": "cloudflare"}}, "trusted_proxies.presets")
bad("tp", {"trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "x-client-ip"}}, "trusted_proxies.header")
bad("tp", {"trusted_proxies": {"header": "via"}}, "trusted_proxies.header")
bad("tp", {"trusted_proxies": {"header": 5}}, "trusted_proxies.header")
bad("tp", {"trusted_proxies": {"header": ["x-forwarded-for"]}}, "trusted_proxies.header")
# partners
bad("partners", {"partners": {}}, "partners")
bad("partners", {"partners": "sendcloud"}, "partners")
bad("partners", {"partners": ["sendcloud"]}, "partners[0]")
bad("partners", {"partners": [{"preset": "sendcloud"}, 7]}, "partners[1]")
bad("partners", {"partners": [{"preset": "shopify"}]}, "partners[0].preset")
bad("partners", {"partners": [{"preset": 1}]}, "partners[0].preset")
bad("partners", {"partners": [{"preset": "sendcloud", "add_ip": ["94.232.247.0/24", "1.2.3.4/40"]}]},
    "partners[0].add_ip[1]")
bad("partners", {"partners": [{"preset": "sendcloud", "add_ip": "1.2.3.4"}]}, "partners[0].add_ip")
bad("partners", {"partners": [{"preset": "sendcloud", "add_methods": ["PUT", "HEAD", "GE T"]}]},
    "partners[0].add_methods[2]")
bad("partners", {"partners": [{"preset": "sendcloud", "add_methods": [""]}]}, "partners[0].add_methods[0]")
bad("partners", {"partners": [{"preset": "sendcloud", "add_methods": ["PUT", "A" * 33]}]}, "partners[0].add_methods[1]")
bad("partners", {"partners": [{"preset": "sendcloud", "add_methods": "PUT"}]}, "partners[0].add_methods")
bad("partners", {"partners": [{"preset": "sendcloud", "add_user_agents": [42]}]}, "partners[0].add_user_agents[0]")
bad("partners", {"partners": [{"preset": "sendcloud", "add_user_agents": "Foo/*"}]}, "partners[0].add_user_agents")
bad("partners", {"partners": [{"preset": "sendcloud", "enabled": "no"}]}, "partners[0].enabled")
bad("partners", {"partners": [{"preset": "sendcloud", "id": 5}]}, "partners[0].id")
bad("partners", {"partners": [{"preset": "sendcloud", "add_ips": ["1.2.3.4"]}]}, "partners[0].add_ips")
bad("partners", {"partners": [{"preset": "sendcloud"}, acme(id=None)]}, "partners[1]")
bad("partners", {"partners": [acme(ip=None)]}, "partners[0]")
bad("partners", {"partners": [acme(user_agents=None)]}, "partners[0]")
bad("partners", {"partners": [acme(methods=None)]}, "partners[0]")
bad("partners", {"partners": [acme(ip=["203.0.113.0/24", "203.0.113.300"])]}, "partners[0].ip[1]")
bad("partners", {"partners": [acme(methods=["GET", "PO ST"])]}, "partners[0].methods[1]")
bad("partners", {"partners": [acme(methods="GET")]}, "partners[0].methods")
bad("partners", {"partners": [acme(user_agents=["ok/*", None])]}, "partners[0].user_agents[1]")
bad("partners", {"partners": [acme(claims="acme")]}, "partners[0].claims")
bad("partners", {"partners": [acme(claims=["acme", 3])]}, "partners[0].claims[1]")
bad("partners", {"partners": [acme(enabled=1)]}, "partners[0].enabled")
bad("partners", {"partners": [acme(id=7)]}, "partners[0].id")
bad("partners", {"partners": [acme(user_agent=["x"])]}, "partners[0].user_agent")
bad("partners", {"partners": [{"preset": "sendcloud"}, acme(id="a2"), acme(id="a3", ips=["1.2.3.4"])]},
    "partners[2].ips")
bad("partners", {"partners": [acme(), acme(ip=["192.0.2.0/24"])]}, "partners[1].id")
bad("partners", {"partners": [{"preset": "sendcloud", "id": "x"}, acme(id="x")]}, "partners[1].id")
# rules
R0 = {"id": "a", "action": "deny"}
bad("rules", {"rules": {}}, "rules")
bad("rules", {"rules": ["deny"]}, "rules[0]")
bad("rules", {"rules": [{"action": "deny"}]}, "rules[0]")
bad("rules", {"rules": [R0, {"id": "b"}]}, "rules[1]")
bad("rules", {"rules": [{"id": "a", "action": "block"}]}, "rules[0].action")
bad("rules", {"rules": [{"id": "a", "action": 1}]}, "rules[0].action")
bad("rules", {"rules": [{"id": "a", "action": "partner_match"}]}, "rules[0].action")
bad("rules", {"rules": [{"id": 5, "action": "deny"}]}, "rules[0].id")
bad("rules", {"rules": [R0, {"id": "b", "action": "deny", "ip": ["10.0.0.0/33"]}]}, "rules[1].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["10.0.0.0/8", "10.0.0.0/8/8"]}]}, "rules[0].ip[1]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["010.0.0.1"]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["256.0.0.1"]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["2001:db8::/129"]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["example.com"]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": [""]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["10.0.0.0/-1"]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["10.0.0.0/"]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": ["10.0.0.0/abc"]}]}, "rules[0].ip[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ip": "10.0.0.1"}]}, "rules[0].ip")
bad("rules", {"rules": [{"id": "a", "action": "deny", "methods": ["GET", "GE T"]}]}, "rules[0].methods[1]")
bad("rules", {"rules": [R0, R0 | {"id": "b"}, R0 | {"id": "c"},
                        {"id": "d", "action": "deny", "methods": ["G(ET"]}]}, "rules[3].methods[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "methods": "GET"}]}, "rules[0].methods")
bad("rules", {"rules": [{"id": "a", "action": "deny", "user_agents": [7]}]}, "rules[0].user_agents[0]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "user_agents": "BadBot/*"}]}, "rules[0].user_agents")
bad("rules", {"rules": [{"id": "a", "action": "deny", "paths": "/wp-admin"}]}, "rules[0].paths")
bad("rules", {"rules": [{"id": "a", "action": "deny", "paths": ["/wp-admin", None]}]}, "rules[0].paths[1]")
bad("rules", {"rules": [{"id": "a", "action": "deny", "enabled": "false"}]}, "rules[0].enabled")
bad("rules", {"rules": [{"id": "a", "action": "deny", "ipp": ["10.0.0.1"]}]}, "rules[0].ipp")
bad("rules", {"rules": [R0, R0 | {"id": "b"}, {"id": "c", "action": "deny", "uri": ["/x"]}]}, "rules[2].uri")
bad("rules", {"rules": [{"id": "a", "action": "deny", "claims": ["x"]}]}, "rules[0].claims")
bad("rules", {"rules": [R0, {"id": "a", "action": "allow"}]}, "rules[1].id")
bad("rules", {"rules": [R0, R0 | {"id": "b"}, {"id": "b", "action": "pass", "ip": ["10.0.0.1"]}]}, "rules[2].id")
# whole policy rejected even if only the last bit is wrong
bad("whole", {"version": 1, "impersonation": "deny",
              "trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "forwarded"},
              "partners": [{"preset": "sendcloud", "add_methods": ["PUT"]}],
              "rules": [{"id": "ok", "action": "allow", "ip": ["192.0.2.10"]},
                        {"id": "broken", "action": "deny", "ip": ["192.0.2.300"]}]}, "rules[1].ip[0]")
# cross-list duplicate ids: which occurrence is "second" depends on key order, so no path is required
bad("dup", {"partners": [acme(id="office")], "rules": [{"id": "office", "action": "allow"}]}, None)
bad("dup", {"partners": [{"preset": "sendcloud"}], "rules": [{"id": "sendcloud", "action": "deny"}]}, None)
bad("dup", {"partners": [{"preset": "sendcloud"}, {"preset": "sendcloud"}]}, None)

# ==========================================================================
# Checks and output
# ==========================================================================
REASONS = {"partner_match", "rule_match", "impersonation", "method_not_allowed", "ua_mismatch",
           "ambiguous_method_override", "malformed_input", "no_match"}


def check_case(c):
    e = c["expect"]
    assert set(e) == {"action", "reason", "rule", "client_ip", "method"}, c["id"]
    assert e["reason"] in REASONS and e["action"] in {"allow", "deny", "pass"}, c["id"]
    if e["reason"] in {"malformed_input", "ambiguous_method_override", "no_match"}:
        assert e["rule"] is None and e["action"] == "pass", c["id"]
    else:
        assert isinstance(e["rule"], str), c["id"]
    if e["action"] == "allow":
        assert e["reason"] in {"partner_match", "rule_match"}, c["id"]
    if e["reason"] == "ambiguous_method_override":
        assert e["method"] is None and e["client_ip"] is not None, c["id"]
    if e["client_ip"] is None:
        assert e["reason"] == "malformed_input" and e["method"] is None, c["id"]
    if e["method"] is not None:
        assert e["method"] == e["method"].upper(), c["id"]
    if e["reason"] == "impersonation":
        assert e["action"] in {"pass", "deny"}


def dump_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n")


README_TEMPLATE = r"""# Conformance corpus for the decision contract (v1)

Every host (native Rust library and CLI, core wasm, Node/JS package, browser, PHP library and plugins) must give
exactly the decisions in `cases.jsonl` and reject every policy in `bad-policies.jsonl`. The expectations were written
by hand from `decision-contract.md`, independently of the engine; `generate.py` only removes repetition.

Regenerate with `python3 tests/corpus/generate.py` (deterministic; `--stats` prints counts). Edit the script, not the
output files.

## Files

| File | Content |
|---|---|
| `policies/<name>.json` | Valid policies (JSON, per the spec's *Policy* section). |
| `cases.jsonl` | {n_cases} cases the spec clearly decides. One JSON object per line. |
| `bad-policies.jsonl` | {n_bad} invalid policies that must be rejected whole. |
| `ambiguous.jsonl` | {n_amb} cases the spec does not clearly decide. Same format as `cases.jsonl`; `expect` is only the writer's best guess, `note` says what is unclear. **Not** an acceptance test: runners may report them, must not fail on them. |
| `generate.py` | The generator (Python 3.11, stdlib only). |

### `cases.jsonl`

```json
{{"id": "xff-012", "policy": "trusted-xff", "request": {{...}}, "expect": {{"action": "allow", "reason": "partner_match", "rule": "sendcloud", "client_ip": "94.232.247.10", "method": "GET"}}, "note": "why"}}
```

- `id`: unique across all three `.jsonl` files.
- `policy`: a file stem of `policies/`, or `"default"` = no policy given (the built-in default: the Sendcloud preset only).
- `request`: a contract request: `remote_addr`, `method`, optional `uri` (absent means `/`), optional `headers`
  (names in any case; a value is a string, or an array of strings for a header that appeared more than once).
  A header may also appear under two keys that differ only in case (that is two occurrences).
- `expect`: all five decision keys, compared exactly (`rule`, `client_ip`, `method` may be `null`). `trace` is not
  checked.
- `note`: optional, informative.

Strings may contain any Unicode including `\u0000`; invalid UTF-8 cannot be expressed in JSON, so hosts that take
bytes should add their own invalid-UTF-8 cases (expectation: `pass`, `malformed_input`, never `allow`).

### `bad-policies.jsonl`

```json
{{"id": "bad-rules-009", "policy": {{"rules": [...]}}, "error_path": "rules[1].ip[0]"}}
```

- `policy`: the policy as a JSON value; **a JSON string means raw policy text** (used for syntax errors and for
  non-object documents). Anything else is serialised and given to the engine as text.
- `error_path`: the policy must be rejected and the error message must contain this path (`rules[1].ip[0]`,
  `partners[0].add_methods[2]`, `trusted_proxies.header`, `version`, ...). Unknown key: the path of the key.
  Duplicate id: the path of the second occurrence's `id`. Missing required key: the path of the object
  (`partners[1]`). `null`: must be rejected, no path required (syntax errors, non-object documents, ids that clash
  between `partners` and `rules` or through a preset's default id).

## Policies

| Policy | Purpose | cases | ambiguous |
|---|---|---|---|
| `default` (no file) | no policy: the Sendcloud preset only | {n_default} | {n_default_amb} |
{rows}

Addresses used throughout: Sendcloud preset `94.232.247.0/24`, `185.66.200.0/24`, `52.58.233.101` (single address;
`52.58.233.102` is outside); non-Sendcloud clients from the documentation ranges `192.0.2.0/24`, `198.51.100.0/24`,
`203.0.113.0/24`, `2001:db8::/32`; proxies in `10.0.0.0/8`. Cloudflare cases use long-published Cloudflare ranges
(`173.245.48.0/20`, `162.158.0.0/15`, `104.16.0.0/13`, `2606:4700::/32`).

## Cases per reason

| reason | cases |
|---|---|
{rtab}

## Decisions taken where the spec is brief (kept in `cases.jsonl`)

- `rule` is `null` for every `malformed_input`, including a path that cannot be normalised while a site rule's
  `paths` condition is evaluated (the rule did not decide; the input did). `client_ip`/`method` are known there.
- A malformed value in a single-address header (`x-real-ip`, `cf-connecting-ip`, `true-client-ip`) from a trusted
  peer is `malformed_input` (it is the only entry, met before any client).
- An IPv4-mapped address in any textual IPv6 form (`::ffff:5ee8:f70a`, full form, upper case) is the IPv4 address.
- `remote_addr` with a port (`1.2.3.4:80`) is malformed: step 1 accepts only an address (brackets and zone allowed).
- Ports and unquoted/bracketed forms are accepted in `for=` ("quoted or not, with the same port and bracket forms").
- `Forwarded` parameter names are case-insensitive (`For=`, `FOR=`), as in RFC 7239.
- The 64-entry bound applies to the joined header whenever it is read, even if the client would be found at the
  right; it does not apply when the peer is untrusted (the header is ignored).
- Only spaces and tabs are trimmed from the User-Agent: a trailing `\n` stays and breaks the match.
- Query parameter names for overrides are exact (`_method`, `ps_method`); other similar names are ignored.
"""


def write_readme():
    cnt = Counter(c["policy"] for c in CASES)
    acnt = Counter(c["policy"] for c in AMBIG)
    rows = "\n".join(f"| `{n}` | {PURPOSE[n]} | {cnt.get(n, 0)} | {acnt.get(n, 0)} |" for n in POLICIES)
    reasons = Counter(c["expect"]["reason"] for c in CASES)
    rtab = "\n".join(f"| `{r}` | {n} |" for r, n in sorted(reasons.items()))
    text = README_TEMPLATE.format(n_cases=len(CASES), n_bad=len(BAD), n_amb=len(AMBIG), n_default=cnt["default"],
                                  n_default_amb=acnt.get("default", 0), rows=rows, rtab=rtab)
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    for c in CASES + AMBIG:
        check_case(c)
    ids = [c["id"] for c in CASES] + [c["id"] for c in AMBIG] + [b["id"] for b in BAD]
    dups = [i for i, n in Counter(ids).items() if n > 1]
    assert not dups, dups
    pdir = os.path.join(HERE, "policies")
    os.makedirs(pdir, exist_ok=True)
    for name in os.listdir(pdir):
        if name.endswith(".json") and name[:-5] not in POLICIES:
            os.remove(os.path.join(pdir, name))
    for name, value in POLICIES.items():
        with open(os.path.join(pdir, name + ".json"), "w", encoding="utf-8", newline="\n") as f:
            json.dump(value, f, indent=2, ensure_ascii=False)
            f.write("\n")
    dump_jsonl(os.path.join(HERE, "cases.jsonl"), CASES)
    dump_jsonl(os.path.join(HERE, "ambiguous.jsonl"), AMBIG)
    dump_jsonl(os.path.join(HERE, "bad-policies.jsonl"), BAD)
    write_readme()
    if "--stats" in sys.argv:
        print("cases:", len(CASES), "ambiguous:", len(AMBIG), "bad policies:", len(BAD))
        for reason, n in sorted(Counter(c["expect"]["reason"] for c in CASES).items()):
            print(f"  {reason:28} {n}")
        for action, n in sorted(Counter(c["expect"]["action"] for c in CASES).items()):
            print(f"  action {action:21} {n}")
        for pol, n in sorted(Counter(c["policy"] for c in CASES).items()):
            print(f"  policy {pol:21} {n}")


if __name__ == "__main__":
    main()
