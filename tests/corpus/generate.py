#!/usr/bin/env python3
"""Generate the sendcloud-gate conformance corpus.

Every expectation below was written by hand from docs (decision-contract.md,
revision 2, and the engine's written readings of it); nothing here runs or
imports an implementation.  The script only removes
repetition (ids, request shapes, long header lists) and is deterministic:
running it twice gives byte-identical files.

    python3 tests/corpus/generate.py        # rewrites policies/, cases.jsonl,
                                            # bad-policies.jsonl, ambiguous.jsonl,
                                            # warnings.jsonl, README.md
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
}, "deny rule with no conditions matches everything (Sendcloud and, v2, unclean input too); allow ip+paths rule")

policy("rules-paths", {
    "rules": [
        {"id": "office", "action": "allow", "ip": ["192.0.2.10"]},
        {"id": "old-paths", "action": "deny", "enabled": False, "paths": ["/"]},
        {"id": "admin", "action": "deny", "paths": ["/wp-admin", "/wp-login.php"]},
        {"id": "api", "action": "pass", "paths": ["/wp-json/wc/"]},
        {"id": "tilde", "action": "deny", "paths": ["/~user/"]},
    ],
}, "paths conditions: normalisation, %2F and rest_route candidates, case-insensitive deny prefixes; "
   "a broken path makes the request unclean (enabled rules have paths)")

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

policy("rules-mixed-paths", {
    "rules": [
        {"id": "mixed", "action": "deny", "ip": ["192.0.2.99"], "paths": ["/x"]},
    ],
}, "a deny rule whose ip condition fails before its paths condition (paths are normalised anyway)")

policy("ipv6-mapped-cidr", {
    "partners": [{"preset": "sendcloud", "add_ip": ["::ffff:203.0.113.0/120"]}],
}, "an IPv4-mapped CIDR in add_ip: `::ffff:203.0.113.0/120` is `203.0.113.0/24`")

# ---- v2 policies ----------------------------------------------------------
policy("deny-ip", {
    "trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "x-forwarded-for"},
    "rules": [{"id": "blocklist", "action": "deny", "ip": ["203.0.113.0/24"]}],
}, "v2: deny ip 203.0.113.0/24 holds for unclean requests too; 10.0.0.0/8 trusted (X-Forwarded-For)")

policy("deny-delete", {
    "rules": [{"id": "no-delete", "action": "deny", "methods": ["DELETE"]}],
}, "v2: deny methods [DELETE] holds when any method candidate (request method or override) is DELETE")

policy("allow-office-path", {
    "rules": [{"id": "office-api", "action": "allow", "ip": ["192.0.2.0/24"], "paths": ["/wp-json/office/"]}],
}, "v2: allow ip + paths; every path candidate (%2F-decoded, rest_route, both dot orders) must be inside the prefix")

policy("deny-admin-path", {
    "rules": [
        {"id": "no-admin", "action": "deny", "paths": ["/wp-admin/"]},
        {"id": "no-users", "action": "deny", "paths": ["/wp-json/wp/v2/users"]},
    ],
}, "v2: deny paths match any path candidate, ASCII case-insensitively (incl. rest_route in uri, query, form)")

policy("paths-any-rule", {
    "rules": [
        {"id": "office", "action": "allow", "ip": ["192.0.2.10"]},
        {"id": "api", "action": "pass", "ip": ["198.51.100.0/24"], "paths": ["/wp-json/"]},
    ],
}, "v2: a paths rule after an ip rule: an unnormalisable path makes every request unclean, whatever the order")

policy("paths-disabled", {
    "rules": [
        {"id": "office", "action": "allow", "ip": ["192.0.2.10"]},
        {"id": "old", "action": "deny", "enabled": False, "paths": ["/x/"]},
    ],
}, "v2: the only paths rule is disabled, so paths are never normalised")

policy("dot-order", {
    "rules": [
        {"id": "deny-xa", "action": "deny", "paths": ["/x/a/"]},
        {"id": "deny-a", "action": "deny", "paths": ["/a/"]},
        {"id": "allow-x", "action": "allow", "ip": ["192.0.2.0/24"], "paths": ["/x/"]},
    ],
}, "v2: collapsing // and removing dot segments in either order gives a candidate each (`/x//../a/`: `/a/`, `/x/a/`)")

policy("deny-imp-rules", {
    "impersonation": "deny",
    "rules": [
        {"id": "no-trace", "action": "deny", "methods": ["TRACE"]},
        {"id": "office", "action": "allow", "ip": ["192.0.2.10"], "methods": ["GET", "POST"]},
        {"id": "bots", "action": "deny", "user_agents": ["BadBot/*"]},
    ],
}, "v2: impersonation deny combined with deny/allow rules; unclean requests meet deny rules, then impersonation")

policy("deny-imp-partners", {
    "impersonation": "deny",
    "partners": [
        {"id": "acme", "ip": ["203.0.113.0/24"], "user_agents": ["Acme-Sync/*"], "claims": ["acme"],
         "methods": ["GET", "POST"]},
        {"preset": "sendcloud"},
    ],
}, "v2: impersonation deny on unclean requests: the first partner whose ranges exclude the client and that a UA candidate claims")

policy("allow-ua-methods", {
    "rules": [{"id": "monitor", "action": "allow", "user_agents": ["Monitor/*"], "methods": ["GET", "HEAD"]}],
}, "v2: allow rule without ip (valid, warned): every method candidate must be in its set")

policy("mapped-ranges", {
    "partners": [{"preset": "sendcloud", "add_ip": ["::ffff:198.51.100.0/120"]}],
    "rules": [
        {"id": "v4-bots", "action": "deny", "ip": ["::ffff:0.0.0.0/96"], "user_agents": ["BadBot/*"]},
        {"id": "office", "action": "allow", "ip": ["::ffff:192.0.2.0/124"]},
    ],
}, "v2: ranges inside ::ffff:0:0/96 are IPv4 ranges (/96 = 0.0.0.0/0 in a deny rule, /124 = /28 in an allow rule)")

policy("dot-order-a", {
    "rules": [{"id": "deny-a", "action": "deny", "paths": ["/a"]}],
}, "v2: `/x//../a` has the candidates `/x/a` and `/a`; a deny on `/a` sees the second")

policy("deny-imp-disabled", {
    "impersonation": "deny",
    "partners": [
        {"preset": "sendcloud", "enabled": False},
        {"id": "beta", "ip": ["192.0.2.0/24"], "user_agents": ["Beta-Agent/{shop}"], "claims": ["beta"],
         "methods": ["GET"]},
    ],
}, "v2: impersonation deny on unclean requests considers enabled partners only")

# Used only by ambiguous.jsonl
policy("wide-v6-deny", {
    "rules": [{"id": "all-v6", "action": "deny", "ip": ["::/0"], "user_agents": ["BadBot/*"]}],
}, "(ambiguous.jsonl only) a deny rule on ::/0: does it cover IPv4 clients?")

# --------------------------------------------------------------------------
# Case helpers
# --------------------------------------------------------------------------
CASES = []
AMBIG = []
_counters = Counter()


def rq(remote, method="GET", uri=None, ua=None, h=None, query=None, form=None, **kw):
    """Build a contract request. ua=None means no User-Agent header.

    query: the `query` field (the query string as the application sees it);
    form: the `form` field (parsed body parameters, name -> string or list of strings)."""
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
    if query is not None:
        r["query"] = query
    if form is not None:
        r["form"] = form
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


def MAL(ip, m):
    """Unclean, no deny applies. v2: client_ip and method are reported whenever they could be
    determined, whatever else made the request unclean (decisions 1, 2)."""
    return E("pass", "malformed_input", None, ip, m)


def DENY(rule, ip, m="GET"):
    return E("deny", "rule_match", rule, ip, m)


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


AMB_RAW_PREFIX = ("A path that cannot be normalised although its raw bytes start with a deny prefix (/wp-admin): "
                  "the request is unclean, but is the unnormalisable path a candidate for the deny rule (deny) or "
                  "no candidate at all (malformed_input)? Guess: no candidate.")


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

# malformed remote_addr: client_ip null; v2: the method is still determined (decision 1)
for raw in ["010.1.1.1", "1.2.3.04", "256.1.1.1", "1.2.3.256", "94.232.247.300", "1.2.3", "1.2.3.4.5",
            "", "garbage", "localhost", "www.sendcloud.sc", "1.2.3.4:80", "1..2.3", "0x7f.0.0.1",
            "94.232.247.10/32", "2001:db8::g", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "[2001:db8::1",
            "2001:db8::1]", "::ffff:256.1.1.1", "-1.2.3.4", "12345"]:
    case("addr", D, rq(raw, ua=SC_UA), MAL(None, "GET"),
         "remote_addr is not an IPv4/IPv6 address: client_ip null; the method (GET) is still reported")
case("addr", D, rq("010.232.247.10", "GE T", ua=SC_UA), MAL(None, None),
     "bad remote_addr and bad method: neither can be reported")
case("addr", D, rq("bogus", "POST", ua=SC_UA, h={"X-HTTP-Method-Override": "PUT", "X-HTTP-Method": "DELETE"}),
     MAL(None, None), "malformed remote_addr wins over an ambiguous override; method undetermined (overrides disagree)")
case("addr", D, rq("bogus", h={"User-Agent": [SC_UA, SC_UA]}), MAL(None, "GET"),
     "bad remote_addr and two User-Agents: method still reported")
case("addr", "trusted-xff", rq("10.0.0.1.", ua=SC_UA, h={"X-Forwarded-For": SC1}), MAL(None, "GET"),
     "a malformed remote_addr is not rescued by a forwarding header")
case("addr", "deny-impersonation", rq("256.0.0.1", ua=SC_UA), MAL(None, "GET"),
     "impersonation deny needs a resolved client: malformed_input, pass")

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
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, garbage"}), MAL(None, "GET"),
     "malformed entry met before the client")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "198.51.100.1, 10.0.0.2, bogus"}), MAL(None, "GET"))
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 010.0.0.2"}), MAL(None, "GET"), "leading zero is malformed")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, 10.0.0.256"}), MAL(None, "GET"), "octet 256")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "unknown"}), MAL(None, "GET"))
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: f"{SC1}, proxy.example.com"}), MAL(None, "GET"), "hostname entry")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "garbage, 10.0.0.2"}), MAL(None, "GET"),
     "every entry to the right is trusted, so the malformed one is met before a client is found")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["198.51.100.1", "nope"]}), MAL(None, "GET"),
     "malformed in a later occurrence")
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
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(c65)}), MAL(None, "GET"),
     "64 trusted entries walked without finding the client (it is the 65th from the right): unclean")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(trusted_chain(64) + [SC1])}), ALLOW(SC1),
     "v2: 65 entries but the rightmost is the client: only walked entries count")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [", ".join(c65[:40]), ", ".join(c65[40:])]}), MAL(None, "GET"),
     "40 + 25 entries over two occurrences: the client is the 65th walked")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [", ".join(c64[:32]), ", ".join(c64[32:])]}), ALLOW(SC1),
     "32 + 32 entries over two occurrences = 64")
case("xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join([SC1] * 200)}), ALLOW(SC1),
     "v2: 200 entries, the rightmost is the client (one entry walked)")
# interaction with later steps
case("xff", X, rq("10.0.0.1", "GE T", ua=SC_UA, h={XFF: f"{SC1}, bad"}), MAL(None, None),
     "unresolvable client and bad method: neither reported")
case("xff", X, rq("10.0.0.1", "GE T", ua=SC_UA, h={XFF: SC1}), MAL(SC1, None),
     "client resolved, the method is malformed")
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
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=unknown"}), MAL(None, "GET"), "unknown counts as malformed")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=_hidden"}), MAL(None, "GET"), "obfuscated identifier counts as malformed")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: 'for="_gazonk"'}), MAL(None, "GET"), "quoted obfuscated identifier")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}, for=unknown"}), MAL(None, "GET"), "unknown met before the client")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=_hidden, for=10.0.0.2"}), MAL(None, "GET"),
     "obfuscated met before any client (all to its right trusted)")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=garbage"}), MAL(None, "GET"))
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=010.1.1.1"}), MAL(None, "GET"), "leading zero")
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
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join(f65)}), MAL(None, "GET"),
     "65 elements, the client is the 65th walked")
case("fw", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join([f"for={a}" for a in trusted_chain(70)] + [f"for={SC1}"])}),
     ALLOW(SC1), "v2: 71 elements, the rightmost is the client")

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
    case("rip", RI, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": bad}), MAL(None, "GET"),
         "the single address is malformed (it is the only entry, met before any client)")

# True-Client-IP
T = "trusted-true-client-ip"
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": SC2}), ALLOW(SC2))
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"true-client-ip": "2001:DB8::99"}), IMP("2001:db8::99"))
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"X-Real-IP": SC1}), IMP("10.0.0.1"), "other single-address header ignored")
case("tci", T, rq("172.16.0.1", ua=SC_UA, h={"True-Client-IP": SC1}), IMP("172.16.0.1"), "peer not trusted")
case("tci", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": "not-an-ip"}), MAL(None, "GET"))

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
case("cf", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: "nope"}), MAL(None, "GET"))
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
case("meth", D, rq(SC1, M32 + "G", ua=SC_UA), MAL(SC1, None), "33 characters: malformed")
case("meth", D, rq(OTHER, "A" * 200, ua=BROWSER), MAL(OTHER, None), "far too long")
for bad in ["GE T", "", "GET ", " GET", "GET\n", "G(ET", "GET/1", "G:T", "GÉT", "GET\u0000", "\"GET\"", "G,T"]:
    case("meth", D, rq(SC1, bad, ua=SC_UA), MAL(SC1, None), f"not an RFC 9110 token: {bad!r}; client_ip known")
case("meth", D, rq(OTHER, "GE T", h={"User-Agent": [SC_UA, BROWSER]}), MAL(OTHER, None),
     "bad method and two User-Agents: method is null")
case("meth", "no-partners", rq(OTHER, "", ua=BROWSER), MAL(OTHER, None), "validated even without partners")

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
case("ovr", D, rq(OTHER, "POST", h={OV: "GET", "X-HTTP-Method": "PUT", "User-Agent": [SC_UA, SC_UA]}),
     MAL(OTHER, None), "v2: two User-Agents (malformed) and disagreeing overrides: malformed_input wins; method null")
case("ovr", "rules", rq("192.0.2.10", "POST", h={OV: "GET", "X-HTTP-Method": "PUT"}), AMB("192.0.2.10"),
     "unclean: the allow rule 'office' is skipped; no deny rule matches (no TRACE/TRACK candidate)")
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
case("ua", "deny-impersonation", rq(OTHER, h={"User-Agent": [SC_UA, BROWSER]}), IMP(OTHER, deny=True),
     "v2: unclean (two User-Agents), client resolved and outside Sendcloud, one candidate matches: impersonation deny")
case("ua", "rules", rq("192.0.2.10", h={"User-Agent": ["a", "b"]}), MAL("192.0.2.10", "GET"),
     "unclean: the allow rule 'office' is skipped; no deny rule matches 'a' or 'b'")

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
case("imp", DI, rq("bad", ua=SC_UA), MAL(None, "GET"), "no resolved client: no impersonation, pass")

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
case("rule", RU, rq("192.0.2.10", "GE T"), MAL("192.0.2.10", None), "unclean: allow rule skipped")
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
case("rule", RU, rq(OTHER, "GET", h={OV: "TRACE"}), DENY("no-trace", OTHER, "TRACE"),
     "v2: a deny's methods condition holds when any candidate (GET, TRACE) is in the set")
case("rule", RU, rq(OTHER, "TRACE", h={OV: "GET"}), DENY("no-trace", OTHER, "GET"),
     "v2: the request method TRACE is a candidate; the effective method GET is reported")
case("rule", RU, rq(OTHER, "TRACE", "/?_method=trace"), RULE("deny", "no-trace", OTHER, "TRACE"),
     "both request and effective method in the set")
case("rule", RU, rq(OTHER, "TRACE", h={OV: "TRACK"}), RULE("deny", "no-trace", OTHER, "TRACK"))
case("rule", RU, rq(SC1, "TRACE", ua=SC_UA), RULE("deny", "no-trace", SC1, "TRACE"), "rule before partner")
case("rule", RU, rq(SC2, "DELETE", ua=SC_UA), RULE("deny", "sc-no-delete", SC2, "DELETE"),
     "a rule can deny a Sendcloud request")
case("rule", RU, rq(SC2, "delete", ua=WOO), RULE("deny", "sc-no-delete", SC2, "DELETE"))
case("rule", RU, rq(SC2, "POST", "/?_method=DELETE", ua=SC_UA), DENY("sc-no-delete", SC2, "DELETE"),
     "v2: DELETE is a method candidate, so the deny rule matches")
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
case("rule", RU, rq("nope"), MAL(None, "GET"), "no deny rule matches without a client or a User-Agent")

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
case("rule", RC, rq("300.1.1.1"), DENY("catch-all", None, "GET"),
     "v2: a deny rule applies to unclean requests too; no condition, so it matches")
case("rule", RC, rq(OTHER, "B@D"), DENY("catch-all", OTHER, None), "v2: malformed method, the catch-all deny still applies")
case("rule", RC, rq(OTHER, "POST", h={OV: "PUT", "X-HTTP-Method": "GET"}), DENY("catch-all", OTHER, None),
     "v2: ambiguous override, the catch-all deny still applies")
case("rule", RC, rq(SC1, uri="/wp-json/%zz"), DENY("catch-all", SC1, "GET"),
     "v2: the broken path makes the request unclean, sc-api (allow) is skipped, the catch-all deny applies")

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
    ("/wp-admin%", None),
    ("/%2", "truncated"),
    ("/%g0", "not hex"),
    ("/a%00b", "encoded NUL"),
    ("/wp-admin%00", None),
    ("/wp-json/wc/%zz", "broken (the pass rule 'api' is skipped: unclean)"),
]:
    if why is None:
        # v2: moved to ambiguous.jsonl under the same id
        amb("path", RP, rq(OTHER, uri=uri), MAL(OTHER, "GET"), AMB_RAW_PREFIX)
        continue
    case("path", RP, rq(OTHER, uri=uri), MAL(OTHER, "GET"),
         f"{uri}: {why}; enabled rules have paths conditions and the path cannot be normalised")
case("path", RP, rq(SC1, "PATCH", "/wp-json/wc/v3/orders/%zz", ua=WOO), MAL(SC1, "PATCH"),
     "malformed path wins over the Sendcloud partner when a paths condition is evaluated")
case("path", RP, rq("192.0.2.10", uri="/%zz"), MAL("192.0.2.10", "GET"),
     "v2: enabled rules have paths conditions, so the path is normalised whatever the rule order; unclean")
case("path", RP, rq("192.0.2.10", uri="/%00"), MAL("192.0.2.10", "GET"), "v2: encoded NUL, same")
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
case("np", NP, rq("1.2.3"), MAL(None, "GET"))
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
case("v6", V6, rq("2001:db8:ffff::10", ua=SC_UA, h={XFF: "2001:db8:5c::9, [::1"}), MAL(None, "GET"))

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
case("se", SE, rq("192.0.2.10", "POST", h={OV: "TRACE"}), DENY("no-trace", "192.0.2.10", "TRACE"),
     "office: TRACE not in its set; v2: no-trace (deny) needs any candidate, and TRACE is one")
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
case("long", D, rq("1" * 10000, ua=SC_UA), MAL(None, "GET"), "10,000-character remote_addr")
case("long", D, rq(SC1, "G" * 10000, ua=SC_UA), MAL(SC1, None), "10,000-character method")
case("long", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join([SC1] * 5000)}), ALLOW(SC1),
     "5,000 XFF entries (74,998 bytes): the rightmost is untrusted, the client; a longer header whose client is "
     "found within 64 entries is fine")
case("long", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join(["for=_x"] * 5000)}), MAL(None, "GET"),
     "5,000 Forwarded elements (39,998 bytes, obfuscated identifiers)")
case("long", RP, rq(OTHER, uri="/.." * 5000), NOM(OTHER), "5,000 dot segments normalise to /")
case("long", RP, rq(OTHER, uri="/" * 10000 + "wp-admin"), RULE("deny", "admin", OTHER), "10,000 slashes collapse")
case("long", RP, rq(OTHER, uri="/%2e%2e" * 3000 + "/wp-admin"), RULE("deny", "admin", OTHER), "3,000 encoded dot segments")
case("long", D, rq(SC1, "POST", "/?" + "&".join(["a=1"] * 3000) + "&_method=PATCH", ua=SC_UA), ALLOW(SC1, "PATCH"),
     "long query string")

# ==========================================================================
# v2: questions v1 left open, now decided (contract "Details decided in v2"
# and the engine's readings); formerly in ambiguous.jsonl
# ==========================================================================
LONGV = "v1 ambiguous, decided in v2"

# ---- remote_addr ----------------------------------------------------------
for raw, why in [(" 94.232.247.10", "leading space"), ("94.232.247.10 ", "trailing space"),
                 ("\t94.232.247.10", "leading tab"), ("[94.232.247.10]", "bracketed IPv4"),
                 ("fe80::1%", "empty zone"), ("[fe80::1%]", "empty zone in brackets"),
                 ("::ffff:010.1.1.1", "leading zero inside an IPv4-mapped address"),
                 ("::ffff:94.232.247.010", "leading zero inside an IPv4-mapped address"),
                 ("[94.232.247.10]:443", "IPv4 with brackets and port")]:
    case("v2-addr", D, rq(raw, ua=SC_UA), MAL(None, "GET"), f"remote_addr malformed: {why}; method still reported")
case("v2-addr", D, rq("::1.2.3.4", ua=SC_UA), IMP("::102:304"),
     "deprecated IPv4-compatible address printed as RFC 5952 says for any IPv6")
case("v2-addr", D, rq("::0102:0304", ua=SC_UA), IMP("::102:304"), "the same address in hex")
case("v2-addr", D, rq("0:0:0:0:0:0:102:304", ua=BROWSER), NOM("::102:304"))
case("v2-addr", D, rq("::5ee8:f70a", ua=SC_UA), IMP("::5ee8:f70a"),
     "IPv4-compatible ::94.232.247.10 is an IPv6 address, not the IPv4 Sendcloud address")
case("v2-addr", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "::1.2.3.4"}), IMP("::102:304"), "in a forwarding header too")
case("v2-addr", D, rq("1.2.3", "PATCH"), MAL(None, "PATCH"),
     "decisions example: bad remote_addr, method PATCH still reported (v1 gave null)")
case("v2-addr", D, rq("1.2.3", "patch", ua=WOO), MAL(None, "PATCH"))
case("v2-addr", D, rq("1.2.3", "POST", "/?_method=DELETE", ua=SC_UA), MAL(None, "DELETE"),
     "bad remote_addr, effective method from the override")
case("v2-addr", D, rq("1.2.3", "POST", ua=SC_UA, h={OV: ""}), MAL(None, None), "bad remote_addr and empty override")
case("v2-addr", "deny-impersonation", rq("1.2.3", ua=SC_UA), MAL(None, "GET"),
     "no resolved client: impersonation deny does not apply")

# ---- presets ----------------------------------------------------------------
for peer in ["127.0.0.2", "127.255.255.254", "::ffff:127.1.2.3", "0:0:0:0:0:0:0:1", "fc00::1", "fdff:ffff::1",
             "fc12::7"]:
    case("v2-preset", LP, rq(peer, ua=SC_UA, h={XFF: SC1}), ALLOW(SC1),
         f"{peer}: loopback is 127.0.0.0/8 and ::1, private is RFC 1918 and fc00::/7")
for peer in ["128.0.0.1", "126.255.255.255", "::2", "fbff:ffff::1", "fe00::1", "fec0::1"]:
    case("v2-preset", LP, rq(peer, ua=SC_UA, h={XFF: SC1}), IMP(peer), f"{peer} is neither loopback nor private")
case("v2-preset", LP, rq("::1", ua=SC_UA, h={XFF: "fc00::5, 127.0.0.9"}), IMP("fc00::5"), "all trusted: leftmost")
case("v2-preset", LP, rq("127.0.0.2", ua=SC_UA, h={XFF: f"{SC1}, fd00::9, 127.8.8.8"}), ALLOW(SC1))

# ---- User-Agent -------------------------------------------------------------
case("v2-ua", D, rq(SC1, h={"User-Agent": [SC_UA]}), ALLOW(SC1), "one-element array is one header")
case("v2-ua", D, rq(SC1, "PATCH", h={"user-agent": [WOO]}), ALLOW(SC1, "PATCH"), "one-element array is one header")
case("v2-ua", D, rq(SC1, h={"User-Agent": []}), UAM(SC1), "empty array is no header")
case("v2-ua", D, rq(OTHER, h={"User-Agent": []}), NOM(OTHER), "empty array is no header")
case("v2-ua", "rules-order", rq("203.0.113.5", h={"User-Agent": []}), DENY("second", "203.0.113.5"),
     "empty array: no User-Agent, so the `*` pattern of 'first' does not match")
case("v2-ua", D, rq(SC1, h={"User-Agent": ["", ""]}), MAL(SC1, "GET"), "two headers, even empty ones")
case("v2-ua", D, rq(SC1, h={"User-Agent": [SC_UA], "user-agent": [SC_UA]}), MAL(SC1, "GET"),
     "two keys with one element each: two headers")
for ua, why in [("Sendcloud/1.0.0\u000b", "U+000B (vertical tab) is not trimmed"),
                ("\u000bSendcloud/1.0.0", "U+000B is not trimmed"),
                ("\u00a0Sendcloud/1.0.0", "U+00A0 (no-break space) is not trimmed"),
                ("Sendcloud/1.0.0\u00a0", "U+00A0 is not trimmed"),
                ("Sendcloud/1.0.0\r", "CR is not trimmed"),
                ("\u3000Sendcloud/1.0.0", "U+3000 is not trimmed")]:
    case("v2-ua", D, rq(SC1, ua=ua), UAM(SC1), why)
case("v2-ua", D, rq(OTHER, ua="\u00a0Sendcloud/1.0.0"), IMP(OTHER), "not a pattern match, but claims sendcloud")
case("v2-ua", D, rq(SC1, ua=" \t" + SC_UA + "\t "), ALLOW(SC1), "SP and HTAB trimmed")
case("v2-ua", D, rq(SC1, ua="x" * 40000), MAL(SC1, "GET"), "User-Agent longer than 32 KiB: unclean")
case("v2-ua", D, rq(SC1, ua="x" * 20000), UAM(SC1), "20,000 bytes is within the bound")

# ---- X-Forwarded-For (trusted-xff) -----------------------------------------
for val, why in [("", "present but empty"), ("   ", "blank"), ("\t", "blank"), (",", "only an empty element"),
                 (", ,", "only empty elements"), (" , , ", "only empty elements")]:
    case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: val}), MAL(None, "GET"), f"configured header {why}: unclean")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [""]}), MAL(None, "GET"), "one empty occurrence")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["", ""]}), MAL(None, "GET"), "joined: only empty elements")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["", SC1]}), ALLOW(SC1),
     "joined ', 94.232.247.10': the empty element is skipped")
for val in [f"{SC1}, , 10.0.0.2", f"{SC1},", f",{SC1}", f"{SC1},,,10.0.0.2,,", f" , {SC1} , , 10.0.0.3 , "]:
    case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: val}), ALLOW(SC1), f"{val!r}: empty list elements skipped")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "198.51.100.1, , "}), IMP("198.51.100.1"),
     "trailing empty elements skipped")
# entry syntax
for val, why in [("fe80::1%eth0", "zone in an entry"), ("[fe80::1%eth0]:443", "zone in a bracketed entry"),
                 ("[fe80::1%eth0]", "zone in brackets"), (f"{SC1}, fe80::1%eth0", "zone met before the client"),
                 ("[94.232.247.10]", "bracketed IPv4"), ("[94.232.247.10]:443", "bracketed IPv4 with port"),
                 (f"{SC1}:", "empty port"), (f"{SC1}:0", "port 0"), (f"{SC1}:65536", "port 65536"),
                 (f"{SC1}:99999", "port 99999"), (f"{SC1}:123456", "six-digit port"), (f"{SC1}:-1", "negative port"),
                 (f"{SC1}:80a", "port not digits"), (f"{SC1}:+80", "port with sign"),
                 ("[2001:db8::1]:", "empty port"), ("[2001:db8::1]:0", "port 0"),
                 ("[2001:db8::1]:65536", "port 65536"), ("[2001:db8::1", "unclosed bracket"),
                 ("2001:db8::1]", "stray bracket"), (f"{SC1}:443:443", "two ports")]:
    case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: val}), MAL(None, "GET"), f"{val!r}: {why}: malformed")
for val, exp, why in [(f"{SC1}:65535", ALLOW(SC1), "port 65535"), (f"{SC1}:1", ALLOW(SC1), "port 1"),
                      (f"{SC1}:0443", ALLOW(SC1), "port of 1-5 digits, value 443"),
                      ("[2001:db8::1]:65535", IMP("2001:db8::1"), "port 65535"),
                      ("[2001:db8::1]", IMP("2001:db8::1"), "bracketed IPv6 without port"),
                      ("2001:db8::1:443", IMP("2001:db8::1:443"), "unbracketed: parses as IPv6, so it is that address"),
                      ("::ffff:94.232.247.10", ALLOW(SC1), "IPv4-mapped"),
                      (f"fe80::1%eth0, {SC1}", ALLOW(SC1), "zone entry left of the client is never read"),
                      (f"[94.232.247.10], {SC1}:8080", ALLOW(SC1), "bracketed IPv4 left of the client never read")]:
    case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: val}), exp, f"{val!r}: {why}")
# same header under two key spellings: two occurrences in key order
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: SC1, "x-forwarded-for": "198.51.100.1"}), IMP("198.51.100.1"),
     "two key spellings: joined in key order, '94.232.247.10, 198.51.100.1'")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={"x-forwarded-for": "198.51.100.1", XFF: SC1}), ALLOW(SC1),
     "two key spellings, other order: '198.51.100.1, 94.232.247.10'")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ["198.51.100.1", "198.51.100.2"], "X-FORWARDED-FOR": f"{SC1}:443"}),
     ALLOW(SC1), "array then a second key: three occurrences in order")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={"x-forwarded-for": "10.0.0.9", XFF: "10.0.0.8"}), IMP("10.0.0.9"),
     "all trusted over two keys: leftmost of the joined value")
# 64-entry bound counts walked entries
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(trusted_chain(80) + [SC1])}), ALLOW(SC1),
     "81 entries, client is the rightmost")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(["garbage"] * 99 + [SC1])}), ALLOW(SC1),
     "100 entries, 99 malformed ones left of the client are never read")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(["198.51.100.1"] * 70 + [SC1] + trusted_chain(63))}),
     ALLOW(SC1), "134 entries, the client is the 64th walked")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(["garbage"] * 10 + [SC1] + trusted_chain(64))}),
     MAL(None, "GET"), "64 trusted entries walked, client not found: unclean")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(trusted_chain(70))}), MAL(None, "GET"),
     "70 entries, all trusted: more than 64 walked without a client")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(trusted_chain(65))}), MAL(None, "GET"),
     "65 entries, all trusted")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", , ".join([SC1] + trusted_chain(63)) + ", ,"}), ALLOW(SC1),
     "64 entries interleaved with empty elements: empty elements are not counted")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ",,".join(trusted_chain(64))}), IMP(trusted_chain(64)[0]),
     "64 trusted entries and 63 empty elements: all trusted (<= 64), the leftmost is the client")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: [", ".join(trusted_chain(30)), ", ".join(trusted_chain(40, 50))]}),
     MAL(None, "GET"), "30 + 40 trusted entries over two occurrences: 70 walked")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(["198.51.100.1"] * 1000 + [SC1])}), ALLOW(SC1),
     "1,001 entries (14,013 bytes), client the rightmost")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: ", ".join(["198.51.100.1"] * 3000 + [SC1])}), ALLOW(SC1),
     "header of 42,013 bytes whose client is the rightmost: fine (no length bound on a forwarding header)")

# ---- Forwarded (trusted-forwarded) ------------------------------------------
for val, why in [(f"for={SC1}, proto=https", "element without for= walked first"),
                 (f"for={SC1};proto=https, by=10.0.0.1", "rightmost element has no for="),
                 (f"for={SC1}, proto=x, for=10.0.0.2", "element without for= met before the client"),
                 (f"for = {SC1}", "whitespace around ="), (f"for ={SC1}", "whitespace before ="),
                 (f"for= {SC1}", "whitespace after ="), (f"for={SC1};proto = https", "whitespace around = in another pair"),
                 (f"for={SC1};for=198.51.100.1", "two for= in one element"),
                 ("", "present but empty"), (" ", "blank"), (", ", "only empty elements"),
                 ('for="[fe80::1%eth0]"', "zone"), ("for=fe80::1%eth0", "zone, unquoted"),
                 (f"for={SC1}:0", "port 0"), (f'for="{SC1}:65536"', "port 65536"), ('for="[2001:db8::1]:"', "empty port"),
                 ('for="[94.232.247.10]"', "bracketed IPv4"), ("for=", "empty value"), ('for=""', "empty quoted value")]:
    case("v2-fwd", F, rq("10.0.0.1", ua=SC_UA, h={FW: val}), MAL(None, "GET"), f"{val!r}: {why}: malformed")
for val, exp, why in [(f"proto=https, for={SC1}", ALLOW(SC1), "element without for= left of the client: never read"),
                      (f"proto=https, for={SC1}, for=10.0.0.2", ALLOW(SC1), "never read"),
                      ("for=2001:db8::1", IMP("2001:db8::1"), "unquoted IPv6 accepted"),
                      ('for="2001:db8::1"', IMP("2001:db8::1"), "quoted unbracketed IPv6 accepted"),
                      ("for=2001:DB8:0::1, for=10.0.0.2", IMP("2001:db8::1"), "unquoted IPv6, canonicalised"),
                      (f"for={SC1},", ALLOW(SC1), "trailing empty element skipped"),
                      (f"for={SC1}, , for=10.0.0.2", ALLOW(SC1), "empty element skipped"),
                      (f'for="{SC1}:65535"', ALLOW(SC1), "port 65535"),
                      (f'for={SC1};ext="a,b"', ALLOW(SC1), "comma inside a quoted string does not split elements"),
                      (f'for=198.51.100.1;ext="x, for=10.0.0.9", for={SC1}', ALLOW(SC1), "quoted comma left of the client"),
                      (f"by=10.0.0.1;for={SC1};host=shop.example;proto=https", ALLOW(SC1), "for= among other pairs"),
                      (f"for=_hidden;proto=https, for={SC1}", ALLOW(SC1), "obfuscated left of the client: never read")]:
    case("v2-fwd", F, rq("10.0.0.1", ua=SC_UA, h={FW: val}), exp, f"{val!r}: {why}")
case("v2-fwd", F, rq("10.0.0.1", ua=SC_UA, h={FW: "for=198.51.100.1", "forwarded": f"for={SC1}"}), ALLOW(SC1),
     "two key spellings: two occurrences in key order")
case("v2-fwd", F, rq("10.0.0.1", ua=SC_UA, h={"forwarded": f"for={SC1}", FW: "for=198.51.100.1"}),
     IMP("198.51.100.1"), "two key spellings, other order")
case("v2-fwd", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join(f"for={a}" for a in trusted_chain(70))}),
     MAL(None, "GET"), "70 trusted elements")
case("v2-fwd", F, rq("10.0.0.1", ua=SC_UA, h={FW: ", ".join(["for=unknown"] * 80 + [f"for={SC1}"])}), ALLOW(SC1),
     "81 elements, client the rightmost; unknown ones never read")

# ---- single-address headers ---------------------------------------------------
RIH = "X-Real-IP"
for val, why in [([SC1, SC1], "given twice, even equal"), ([SC1, "198.51.100.1"], "given twice"),
                 (f"198.51.100.1, {SC1}", "holding a list"), (f"{SC1},", "holding a comma"),
                 (f",{SC1}", "holding a comma"), ("", "present but empty"), ("  ", "blank"),
                 ("fe80::1%eth0", "zone"), (f"{SC1}:0", "port 0"), (f"{SC1}:", "empty port"),
                 ("[94.232.247.10]", "bracketed IPv4"), ("unknown", "not an address")]:
    case("v2-single", RI, rq("10.0.0.1", ua=SC_UA, h={RIH: val}), MAL(None, "GET"), f"X-Real-IP {val!r}: {why}")
case("v2-single", RI, rq("10.0.0.1", ua=SC_UA, h={RIH: SC1, "x-real-ip": SC1}), MAL(None, "GET"),
     "two key spellings: given twice")
for val, exp, why in [(f"{SC1}:8080", ALLOW(SC1), "address with port"),
                      ("[2001:db8::7]:443", IMP("2001:db8::7"), "bracketed IPv6 with port"),
                      ("[2001:db8::7]", IMP("2001:db8::7"), "bracketed IPv6"),
                      ("2001:db8::7", IMP("2001:db8::7"), "bare IPv6"),
                      (f" {SC1}\t", ALLOW(SC1), "surrounding SP/HTAB trimmed"),
                      ([SC1], ALLOW(SC1), "one-element array: one occurrence"),
                      ("::ffff:94.232.247.10", ALLOW(SC1), "IPv4-mapped")]:
    case("v2-single", RI, rq("10.0.0.1", ua=SC_UA, h={RIH: val}), exp, f"X-Real-IP {val!r}: {why}")
case("v2-single", RI, rq("198.51.100.9", ua=SC_UA, h={RIH: [SC1, SC1]}), IMP("198.51.100.9"),
     "untrusted peer: the header is ignored, however malformed")
case("v2-single", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": "[2001:db8::99]"}), IMP("2001:db8::99"),
     "bracketed IPv6 in a single-address header")
case("v2-single", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": f"{SC2}:443"}), ALLOW(SC2))
case("v2-single", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": [SC2, SC2]}), MAL(None, "GET"), "given twice")
case("v2-single", T, rq("10.0.0.1", ua=SC_UA, h={"True-Client-IP": SC2, "true-client-ip": SC2}), MAL(None, "GET"),
     "two key spellings")
case("v2-single", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: [SC1, SC1]}), MAL(None, "GET"), "given twice")
case("v2-single", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: f"{SC1}, 198.51.100.1"}), MAL(None, "GET"), "a list")
case("v2-single", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: ""}), MAL(None, "GET"), "present but empty")
case("v2-single", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: f"{SC1}:443"}), ALLOW(SC1), "address with port")
case("v2-single", CF, rq("173.245.48.1", ua=SC_UA, h={CFH: "[2001:db8::5]:443"}), IMP("2001:db8::5"))

# ---- method overrides (default policy; Sendcloud address, Sendcloud UA, POST) ----
def sc_post(uri=None, h=None, query=None, form=None, method="POST", ip=SC1, ua=SC_UA):
    return rq(ip, method, uri, ua=ua, h=h, query=query, form=form)


for h, exp, why in [
    ({OV: ["PATCH", "PATCH"]}, ALLOW(SC1, "PATCH"), "override header given twice, equal"),
    ({OV: ["patch", "PATCH"]}, ALLOW(SC1, "PATCH"), "given twice, equal after upper-casing"),
    ({OV: ["PATCH", "DELETE"]}, AMB(SC1), "given twice, different"),
    ({OV: "PATCH", "x-http-method-override": "PATCH"}, ALLOW(SC1, "PATCH"), "two key spellings, equal"),
    ({OV: "PATCH", "x-http-method-override": "DELETE"}, AMB(SC1), "two key spellings, different"),
    ({"X-HTTP-Method": ["DELETE", "delete"], "X-Method-Override": "Delete"}, ALLOW(SC1, "DELETE"), "all equal"),
    ({OV: " PATCH\t"}, ALLOW(SC1, "PATCH"), "override header value trimmed of SP/HTAB"),
    ({OV: ""}, MAL(SC1, None), "empty override value"),
    ({OV: "  "}, MAL(SC1, None), "blank override value"),
    ({"X-HTTP-Method": ""}, MAL(SC1, None), "empty override value"),
    ({OV: "PO ST"}, MAL(SC1, None), "override not a token"),
    ({OV: "P@TCH"}, MAL(SC1, None), "override not a token"),
    ({OV: "PATCH, PATCH"}, MAL(SC1, None), "one occurrence holding a list is not a token"),
    ({OV: "D\u00c9LETE"}, MAL(SC1, None), "non-ASCII is not a token"),
    ({OV: "PATCH\u0000"}, MAL(SC1, None), "NUL is not a token"),
    ({OV: "A" * 33}, MAL(SC1, None), "33-character override"),
    ({OV: M32}, MNA(SC1, M32), "32-character override is a valid token"),
    ({OV: "PUT", "X-HTTP-Method": ""}, MAL(SC1, None), "malformed_input wins over ambiguous_method_override"),
    ({OV: "PUT", "X-HTTP-Method": "GET", "X-Method-Override": "P T"}, MAL(SC1, None), "malformed wins"),
    ({OV: ["PATCH", "DELETE"], "User-Agent": [SC_UA, SC_UA]}, MAL(SC1, None),
     "two User-Agents (malformed) and disagreeing overrides: malformed wins"),
]:
    hh = dict(h)
    ua = hh.pop("User-Agent", SC_UA)
    case("v2-override", D, rq(SC1, "POST", ua=ua, h=hh), exp, why)
case("v2-override", D, rq(SC1, "GE T", ua=SC_UA, h={OV: "PUT", "X-HTTP-Method": "GET"}), MAL(SC1, None),
     "malformed request method and disagreeing overrides: malformed_input")
case("v2-override", D, rq(SC1, "GE T", ua=SC_UA, h={OV: "PATCH"}), MAL(SC1, None),
     "malformed request method: method null even with a valid override")
for uri, exp, why in [
    ("/?_method=", MAL(SC1, None), "empty _method"),
    ("/?ps_method=", MAL(SC1, None), "empty ps_method"),
    ("/?_method=PATCH&_method=PATCH", ALLOW(SC1, "PATCH"), "repeated parameter, equal"),
    ("/?_method=patch&ps_method=PATCH&_method=Patch", ALLOW(SC1, "PATCH"), "repeated, equal after upper-casing"),
    ("/?_method=PUT&_method=DELETE", AMB(SC1), "repeated parameter, different"),
    ("/?_method=PATCH&_method=", MAL(SC1, None), "one value empty: malformed wins"),
    ("/?_method=P%41TCH", ALLOW(SC1, "PATCH"), "value percent-decoded"),
    ("/?_method=%50%41%54%43%48", ALLOW(SC1, "PATCH"), "value percent-decoded"),
    ("/?_method=DEL%45TE", ALLOW(SC1, "DELETE"), "value percent-decoded"),
    ("/?_method=del%65te", ALLOW(SC1, "DELETE"), "decoded, then upper-cased"),
    ("/?_method=PAT+CH", MAL(SC1, None), "+ is a space: 'PAT CH' is not a token"),
    ("/?_method=PAT%20CH", MAL(SC1, None), "'PAT CH' is not a token"),
    ("/?_method=PO%28ST", MAL(SC1, None), "'PO(ST' is not a token"),
    ("/?_method=%00", MAL(SC1, None), "a NUL value is not a token"),
    ("/?_method=" + "A" * 33, MAL(SC1, None), "33 characters"),
    ("/?_method=" + M32.lower(), MNA(SC1, M32), "32 characters"),
    ("/?_method=%zz", MNA(SC1, "%ZZ"), "broken % kept as it is: '%ZZ' is a valid token (% is a tchar)"),
    ("/?_method=PATCH%", MNA(SC1, "PATCH%"), "broken % kept: 'PATCH%' is a token, not PATCH"),
    ("/?_method=%4", MNA(SC1, "%4"), "broken % kept"),
    ("/?_method=PAT%2", MNA(SC1, "PAT%2"), "broken % kept"),
    ("/?x=%zz&_method=PATCH", ALLOW(SC1, "PATCH"), "a broken sequence in another parameter is harmless"),
    ("/?_METHOD=PUT", ALLOW(SC1, "POST"), "names are case-sensitive: _METHOD is not _method"),
    ("/?_Method=PUT&PS_METHOD=PUT", ALLOW(SC1, "POST"), "names are case-sensitive"),
    ("/?a=1&&_method=PATCH&", ALLOW(SC1, "PATCH"), "empty pairs ignored"),
    ("/?_method=PATCH&_method=PATCH&ps_method=patch", ALLOW(SC1, "PATCH"), "all agree"),
]:
    case("v2-override", D, sc_post(uri), exp, f"{uri}: {why}")
# the `query` field: read in addition to the uri's query
for uri, q, exp, why in [
    ("/x", "_method=PATCH", ALLOW(SC1, "PATCH"), "override only in `query`"),
    ("/x", "_method=PUT", MNA(SC1, "PUT"), "override only in `query` (not in uri's query): PUT not in the preset"),
    ("/x?_method=PATCH", "_method=PATCH", ALLOW(SC1, "PATCH"), "same value in both"),
    ("/x?_method=PATCH", "_method=DELETE", AMB(SC1), "a rewrite changed the query: two readings disagree"),
    ("/x?_method=PATCH", "", ALLOW(SC1, "PATCH"), "empty `query`"),
    ("/x", "", ALLOW(SC1, "POST"), "empty `query`, no override"),
    ("/x", "ps_method=DELETE&_method=delete", ALLOW(SC1, "DELETE"), "two overrides in `query`, equal"),
    ("/x", "_method=", MAL(SC1, None), "empty override in `query`"),
    ("/x", "_method=P%41TCH", ALLOW(SC1, "PATCH"), "`query` values decoded"),
    ("/x?ps_method=PATCH", "x=1", ALLOW(SC1, "PATCH"), "uri's query still read when `query` differs"),
]:
    case("v2-override", D, sc_post(uri, query=q), exp, f"uri {uri!r}, query {q!r}: {why}")
# the `form` field
for form, exp, why in [
    ({"_method": "PATCH"}, ALLOW(SC1, "PATCH"), "_method in form"),
    ({"ps_method": "PUT"}, MNA(SC1, "PUT"), "ps_method in form ($_REQUEST)"),
    ({"_method": ["PATCH", "PATCH"]}, ALLOW(SC1, "PATCH"), "array value: each is a candidate"),
    ({"_method": ["PATCH", "DELETE"]}, AMB(SC1), "array value: different"),
    ({"_method": ["PATCH"]}, ALLOW(SC1, "PATCH"), "one-element array"),
    ({"_method": ""}, MAL(SC1, None), "empty value"),
    ({"_method": "PATCH", "ps_method": "DELETE"}, AMB(SC1), "two overrides in form, different"),
    ({"_METHOD": "PUT", "method": "PUT"}, ALLOW(SC1, "POST"), "other names are not overrides"),
    ({"ps.method": "PUT"}, MNA(SC1, "PUT"), "form names folded: ps.method is ps_method"),
    ({"_method[]": "PUT"}, MNA(SC1, "PUT"), "form names folded: _method[] is _method"),
    ({"_method\u0000x": "PUT"}, MNA(SC1, "PUT"), "form names folded: cut at NUL"),
    ({"_method": "DEL%45TE"}, ALLOW(SC1, "DELETE"), "form values decoded the same way"),
    ({"x": "%zz", "_method": "PATCH"}, ALLOW(SC1, "PATCH"), "other form values are ignored"),
]:
    case("v2-override", D, sc_post("/wp-json/wc/v3/orders/1", form=form), exp, f"form {form!r}: {why}")
case("v2-override", D, sc_post("/x?_method=PATCH", form={"_method": "PATCH"}, h={OV: "patch"}), ALLOW(SC1, "PATCH"),
     "uri, form and header agree")
case("v2-override", D, sc_post("/x?_method=PATCH", form={"_method": "DELETE"}), AMB(SC1), "uri and form disagree")
case("v2-override", D, sc_post("/x", query="_method=PATCH", form={"ps_method": "PATCH"}, h={"X-HTTP-Method": "DELETE"}),
     AMB(SC1), "header disagrees with query and form")
case("v2-override", D, sc_post("/x", form={"_method": "PATCH"}, method="patch"), ALLOW(SC1, "PATCH"),
     "request method lower case, override from form")

# ---- PHP parameter-name folding (Sendcloud POST; PUT is not in the preset) ----
for uri, exp, why in [
    ("/?_method%00=PUT", MNA(SC1, "PUT"), "name cut at the first NUL: _method"),
    ("/?_method%00junk=PUT", MNA(SC1, "PUT"), "cut at NUL: _method"),
    ("/?ps[method=PUT", MNA(SC1, "PUT"), "[ without ] becomes _: ps_method"),
    ("/?ps%5Bmethod=PUT", MNA(SC1, "PUT"), "%5B decoded first: ps[method is ps_method"),
    ("/?_method[]=PUT", MNA(SC1, "PUT"), "array parameter _method"),
    ("/?_method%5B%5D=PUT", MNA(SC1, "PUT"), "encoded brackets: array parameter _method"),
    ("/?_method[x]=PUT", MNA(SC1, "PUT"), "array parameter _method"),
    ("/?_method[a][b]=PUT", MNA(SC1, "PUT"), "nested array parameter _method"),
    ("/?ps_method[0]=PUT", MNA(SC1, "PUT"), "array parameter ps_method"),
    ("/?+_method=PUT", MNA(SC1, "PUT"), "+ is a space, leading spaces dropped"),
    ("/?%20%20_method=PUT", MNA(SC1, "PUT"), "leading spaces dropped"),
    ("/?ps+method=PUT", MNA(SC1, "PUT"), "space becomes _: ps_method"),
    ("/?ps%20method=PUT", MNA(SC1, "PUT"), "space becomes _"),
    ("/?ps.method=PUT", MNA(SC1, "PUT"), ". becomes _: ps_method"),
    ("/?ps%2Emethod=PUT", MNA(SC1, "PUT"), "%2E decoded, then . becomes _"),
    ("/?.method=PUT", MNA(SC1, "PUT"), ". becomes _: _method"),
    ("/?%5Fmethod=PUT", MNA(SC1, "PUT"), "%5F is _"),
    ("/?%5fmethod=PUT", MNA(SC1, "PUT"), "%5f is _"),
    ("/?_m%65thod=PUT", MNA(SC1, "PUT"), "%65 is e"),
    ("/?ps%5fmethod=PUT", MNA(SC1, "PUT"), "%5f is _"),
    ("/?_method%00[]=PUT", MNA(SC1, "PUT"), "cut at NUL before the brackets"),
    ("/?_method[=PUT", ALLOW(SC1, "POST"), "[ without ] becomes _: _method_ is not an override"),
    ("/?_method[=PUT&_method=PATCH", ALLOW(SC1, "PATCH"), "_method_ ignored, _method=PATCH read"),
    ("/?_METHOD=PUT", ALLOW(SC1, "POST"), "case-sensitive: not an override"),
    ("/?_method+=PUT", ALLOW(SC1, "POST"), "trailing space becomes _: _method_"),
    ("/?_method.=PUT", ALLOW(SC1, "POST"), "_method_"),
    ("/?_method]=PUT", ALLOW(SC1, "POST"), "] alone is kept: _method]"),
    ("/?ps[method]=PUT", ALLOW(SC1, "POST"), "array parameter ps, not ps_method"),
    ("/?+method=PUT", ALLOW(SC1, "POST"), "leading space dropped: method"),
    ("/?ps++method=PUT", ALLOW(SC1, "POST"), "ps__method"),
    ("/?%00_method=PUT", ALLOW(SC1, "POST"), "cut at NUL: empty name, ignored"),
    ("/?x_method=PUT&_methodx=PUT", ALLOW(SC1, "POST"), "other names"),
    ("/?_method[]=PATCH&_method[]=DELETE", AMB(SC1), "array values disagree"),
    ("/?_method[]=PATCH&_method=PATCH", ALLOW(SC1, "PATCH"), "array and plain values agree"),
    ("/?_method%00=PATCH&_method=DELETE", AMB(SC1), "folded names collide and disagree"),
    ("/?ps.method=PATCH&ps_method=DELETE", AMB(SC1), "folded names collide and disagree"),
    ("/?[method=PUT", ALLOW(SC1, "POST"), "a name empty before its first [ is ignored by PHP (parse_str gives "
     "nothing), so no override: read as PHP reads it"),
]:
    case("v2-fold", D, sc_post(uri), exp, f"{uri}: {why}")
case("v2-fold", D, sc_post("/wp-json/wc/v3/orders", form={"ps_method": "PUT"}), MNA(SC1, "PUT"),
     "ps_method in form (PrestaShop reads $_REQUEST)")
case("v2-fold", D, sc_post("/wp-json/wc/v3/orders", form={"ps method": "PUT"}), MNA(SC1, "PUT"), "form name folded")
case("v2-fold", D, sc_post("/wp-json/wc/v3/orders", form={"_method[x]": ["PUT"]}), MNA(SC1, "PUT"), "form array name")
case("v2-fold", D, sc_post("/wp-json/wc/v3/orders", query="_method=PUT"), MNA(SC1, "PUT"),
     "override in `query` that is not in uri's query")
case("v2-fold", D, sc_post("/wp-json/wc/v3/orders?x=1", query="x=1&ps.method=PUT"), MNA(SC1, "PUT"),
     "folded override in `query` only")
case("v2-fold", "deny-delete", rq(OTHER, "POST", "/?_method%00=DELETE"), DENY("no-delete", OTHER, "DELETE"),
     "folded name meets the deny rule")
case("v2-fold", "deny-delete", rq(OTHER, "POST", "/?ps[method=delete"), DENY("no-delete", OTHER, "DELETE"))

# ---- request target -----------------------------------------------------------
case("v2-target", D, rq(SC1, uri="", ua=SC_UA), ALLOW(SC1), "empty uri is /")
case("v2-target", RP, rq(OTHER, uri=""), NOM(OTHER), "empty uri is /")
case("v2-target", "deny-admin-path", rq(OTHER, uri=""), NOM(OTHER), "empty uri is /")
for uri, exp, why in [
    ("http://shop.example/wp-json/wc/v3/orders?_method=PATCH", ALLOW(SC1, "PATCH"), "absolute form: its query is read"),
    ("https://shop.example:8443/x?_method=PUT", MNA(SC1, "PUT"), "absolute form with port"),
    ("http://shop.example?_method=DELETE", ALLOW(SC1, "DELETE"), "absolute form, empty path, query"),
    ("http://shop.example", ALLOW(SC1, "POST"), "absolute form, empty path"),
    ("HTTPS://SHOP.EXAMPLE/x", ALLOW(SC1, "POST"), "upper-case scheme"),
    ("*", ALLOW(SC1, "POST"), "asterisk form"),
    ("/x#?_method=PUT", MNA(SC1, "PUT"), "# is an ordinary byte: the query starts at the first ?"),
    ("/?_method=PATCH#frag", MNA(SC1, "PATCH#FRAG"), "# is data: the value is 'PATCH#frag', a valid token"),
    ("/x?a=1#&_method=DELETE", ALLOW(SC1, "DELETE"), "# is data: '&' after it still separates parameters"),
    ("/x#frag", ALLOW(SC1, "POST"), "# in the path is data"),
]:
    case("v2-target", D, sc_post(uri), exp, f"{uri!r}: {why}")
for uri, why in [("wp-admin", "no leading /"), ("shop.example/x", "no leading /"), ("http:/x", "not scheme://"),
                 ("://x/y", "empty scheme"), ("1http://x/", "scheme must start with a letter"),
                 (" /", "leading space"), ("\\wp-admin", "backslash"), ("*?x=1", "only a lone * is the asterisk form"),
                 ("**", "not the asterisk form"), ("#/", "no leading /")]:
    case("v2-target", D, sc_post(uri), MAL(SC1, "POST"), f"{uri!r}: target that does not start with / is unclean, "
         "with or without paths conditions")
case("v2-target", D, sc_post("wp-admin", h={OV: "PATCH"}), MAL(SC1, "PATCH"), "bad target; the override header is read")
case("v2-target", RP, rq(OTHER, uri="wp-admin"), MAL(OTHER, "GET"), "bad target; no deny prefix starts without /")
case("v2-target", "deny-ip", rq("203.0.113.7", uri="wp-admin"), DENY("blocklist", "203.0.113.7"),
     "bad target (unclean) still meets the ip deny")
case("v2-target", "deny-impersonation", rq(OTHER, uri="wp-admin", ua=SC_UA), IMP(OTHER, deny=True),
     "bad target (unclean) from a non-Sendcloud address claiming Sendcloud: impersonation deny")
for uri, exp, why in [
    ("http://shop.example/wp-admin", DENY("admin", OTHER), "absolute form: the path is /wp-admin"),
    ("HTTPS://SHOP.EXAMPLE/wp-login.php?x=1", DENY("admin", OTHER), "absolute form"),
    ("git+ssh://shop.example/wp-admin/x", DENY("admin", OTHER), "scheme with +"),
    ("http://shop.example", NOM(OTHER), "absolute form, empty path is /"),
    ("http://shop.example/%zz", MAL(OTHER, "GET"), "absolute form, broken path"),
    ("http://shop.example/a/../wp-admin", DENY("admin", OTHER), "absolute form, dot segments"),
    ("*", NOM(OTHER), "the path * starts with no prefix"),
    ("/wp-admin#x", DENY("admin", OTHER), "# is data: the path is /wp-admin#x"),
    ("/x#/../wp-admin", DENY("admin", OTHER), "# is data: /x#/../wp-admin normalises to /wp-admin"),
]:
    case("v2-target", RP, rq(OTHER, uri=uri), exp, f"{uri!r}: {why}")
case("v2-target", RP, rq(OTHER, "OPTIONS", "*"), NOM(OTHER, "OPTIONS"), "OPTIONS *")
case("v2-target", D, rq(SC1, "OPTIONS", "*", ua=SC_UA), ALLOW(SC1, "OPTIONS"), "OPTIONS *")
case("v2-target", "allow-office-path", rq("192.0.2.10", "OPTIONS", "*"), NOM("192.0.2.10", "OPTIONS"),
     "the path * is not inside /wp-json/office/")
case("v2-target", "allow-office-path", rq("192.0.2.10", uri="/wp-json/office/#/../../wp-admin/"), NOM("192.0.2.10"),
     "# is data, not a fragment: /wp-json/office/#/../../wp-admin/ normalises to /wp-json/wp-admin/")
case("v2-target", "allow-office-path", rq("192.0.2.10", uri="/wp-json/office/x#y"),
     RULE("allow", "office-api", "192.0.2.10"), "# in the path is data")
case("v2-target", "allow-office-path", rq("192.0.2.10", uri="http://shop.example/wp-json/office/x"),
     RULE("allow", "office-api", "192.0.2.10"), "absolute form")

# ---- paths: rules-paths (admin deny /wp-admin, /wp-login.php; api pass /wp-json/wc/; tilde deny /~user/) ----
for uri, exp, why in [
    ("/wp-adminx", DENY("admin", OTHER), "plain byte prefix: /wp-admin matches /wp-adminx"),
    ("/WP-ADMIN", DENY("admin", OTHER), "deny prefixes compare ASCII case-insensitively"),
    ("/Wp-Login.PHP", DENY("admin", OTHER), "case-insensitive"),
    ("/%57P-ADMIN/", DENY("admin", OTHER), "%57 is W; case-insensitive"),
    ("/%7EUSER/x", DENY("tilde", OTHER), "%7E decoded to ~, case-insensitive"),
    ("/x//..//wp-admin", DENY("admin", OTHER), "candidates /x/wp-admin and /wp-admin: any matches"),
    ("/x/..%2Fwp-admin", DENY("admin", OTHER), "%2F decoded: /x/../wp-admin is /wp-admin"),
    ("/x/..%2fwp-admin", DENY("admin", OTHER), "lower-case %2f"),
    ("/x/%2e%2e%2fwp-admin", DENY("admin", OTHER), "%2e decoded, then %2f decoded"),
    ("/wp-json/wc/..%2f..%2fwp-admin", DENY("admin", OTHER), "the %2F-decoded candidate is /wp-admin"),
    ("/?rest_route=/../wp-admin", DENY("admin", OTHER), "rest_route candidate /wp-json/../wp-admin is /wp-admin"),
    ("/?rest_route=%2F..%2Fwp-admin", DENY("admin", OTHER), "rest_route value percent-decoded"),
    ("/?rest_route=/%2e%2e/wp-login.php", DENY("admin", OTHER), "rest_route value decoded, then normalised"),
    ("/?rest.route=/../wp-admin", DENY("admin", OTHER), "rest.route folds to rest_route"),
    ("/?rest_route[]=/../wp-admin", DENY("admin", OTHER), "array parameter rest_route"),
    ("/?rest_route=/x&rest_route=/../wp-admin", DENY("admin", OTHER), "every rest_route value is a candidate"),
    ("/wp-json/wc/v3?rest_route=/../wp-admin/", DENY("admin", OTHER), "admin (deny) comes before api (pass)"),
    ("/?REST_ROUTE=/../wp-admin", NOM(OTHER), "names are case-sensitive: not rest_route"),
    ("/wp-json/wc/v3/x?rest_route=/wc/v3/y", RULE("pass", "api", OTHER), "every candidate inside /wp-json/wc/"),
    ("/wp-json/wc/v3/orders?rest_route=/wp/v2/users", NOM(OTHER),
     "pass needs every candidate: /wp-json/wp/v2/users is outside /wp-json/wc/"),
    ("/?rest_route=/wc/v3/orders", NOM(OTHER), "pass needs every candidate: / is outside"),
    ("/WP-JSON/wc/v3", NOM(OTHER), "pass (like allow) compares case-sensitively"),
    ("/wp-json/wc/x%2Fy", RULE("pass", "api", OTHER), "both candidates inside /wp-json/wc/"),
    ("/wp-json/wc/..%2F..%2Fshop", NOM(OTHER), "the %2F-decoded candidate /shop is outside"),
    ("/?rest_route=/wp/%zz", MAL(OTHER, "GET"), "a rest_route candidate that cannot be normalised"),
    ("/?rest_route=/wc/%2500", MAL(OTHER, "GET"), "value decoded once to /wc/%00: encoded NUL in the candidate"),
    ("/?rest_route=/wc/%25zz", MAL(OTHER, "GET"), "value decoded once to /wc/%zz: broken encoding in the candidate"),
    ("/?x=%zz", NOM(OTHER), "a broken value in another parameter is no path"),
]:
    case("v2-path", RP, rq(OTHER, uri=uri), exp, f"{uri}: {why}")
case("v2-path", RP, rq(OTHER, "POST", "/", form={"rest_route": "/../wp-admin"}), DENY("admin", OTHER, "POST"),
     "rest_route in form")
case("v2-path", RP, rq(OTHER, uri="/x", query="rest_route=/../wp-login.php"), DENY("admin", OTHER),
     "rest_route in `query`")
case("v2-path", RP, rq(OTHER, uri="/wp-json/wc/v3", query="rest_route=/wc/v3"), RULE("pass", "api", OTHER),
     "`query` rest_route inside the pass prefix")
case("v2-path", RP, rq(OTHER, "POST", "/", form={"rest_route": "/x/%zz"}), MAL(OTHER, "POST"),
     "broken rest_route in form")
case("v2-path", RP, rq(OTHER, "POST", "/%zz?_method=PUT"), MAL(OTHER, "PUT"), "unclean path, method still reported")
case("v2-path", D, rq(SC1, uri="/?rest_route=/%zz", ua=SC_UA), ALLOW(SC1),
     "no paths condition in the policy: rest_route is not normalised")

# ---- paths: deny-admin-path ----------------------------------------------------
DA = "deny-admin-path"
for uri, exp, why in [
    ("/wp-admin/", DENY("no-admin", OTHER), "plain"),
    ("/WP-ADMIN/", DENY("no-admin", OTHER), "deny compares case-insensitively"),
    ("/Wp-Admin/options.php", DENY("no-admin", OTHER), "case-insensitive"),
    ("/x/..%2Fwp-admin/", DENY("no-admin", OTHER), "%2F decoded candidate /wp-admin/"),
    ("/x/..%2fWP-ADMIN/", DENY("no-admin", OTHER), "%2f decoded, case-insensitive"),
    ("/x//../wp-admin/", DENY("no-admin", OTHER), "candidates /wp-admin/ and /x/wp-admin/"),
    ("/%2e%2e/wp-admin/", DENY("no-admin", OTHER), "encoded dot segment"),
    ("/?rest_route=/../wp-admin/", DENY("no-admin", OTHER), "rest_route maps into /wp-admin/"),
    ("/wp-admin", NOM(OTHER), "/wp-admin/ needs the slash (byte prefix)"),
    ("/wp-adminx/", NOM(OTHER), "not the prefix"),
    ("/?rest_route=/wp/v2/users/1", DENY("no-users", OTHER), "rest_route candidate /wp-json/wp/v2/users/1"),
    ("/index.php?rest_route=%2Fwp%2Fv2%2Fusers", DENY("no-users", OTHER), "rest_route value percent-decoded"),
    ("/?rest_route=/WP/V2/USERS", DENY("no-users", OTHER), "case-insensitive"),
    ("/wp-json/wp/v2/users/1", DENY("no-users", OTHER), "plain"),
    ("/wp-json/wp/v2/%75sers", DENY("no-users", OTHER), "%75 is u"),
    ("/wp-json/wp/v2%2Fusers", DENY("no-users", OTHER), "%2F-decoded candidate"),
    ("/wp-json/wp/v2/usersearch", DENY("no-users", OTHER), "byte prefix /wp-json/wp/v2/users"),
    ("/wp-json/wp/v2/posts", NOM(OTHER), "no prefix"),
    ("/?rest_route=/wp/v2/users&x=%zz", DENY("no-users", OTHER), "broken value in another parameter"),
    ("/shop/%zz", MAL(OTHER, "GET"), "unnormalisable path, no deny prefix could match"),
    ("/?rest_route=wp/v2/users", NOM(OTHER), "'/wp-json' + 'wp/v2/users' is /wp-jsonwp/v2/users"),
]:
    case("v2-path", DA, rq(OTHER, uri=uri), exp, f"{uri}: {why}")
case("v2-path", DA, rq(OTHER, "POST", "/", form={"rest_route": "/wp/v2/users"}), DENY("no-users", OTHER, "POST"),
     "rest_route in form")
case("v2-path", DA, rq(OTHER, "POST", "/", form={"rest_route": ["/ok", "/wp/v2/users/"]}),
     DENY("no-users", OTHER, "POST"), "rest_route array in form")
case("v2-path", DA, rq(OTHER, uri="/x", query="rest_route=/wp/v2/users/2"), DENY("no-users", OTHER),
     "rest_route in `query` only")
case("v2-path", DA, rq(SC1, "POST", "/wp-admin/admin-ajax.php", ua=SC_UA), DENY("no-admin", SC1, "POST"),
     "rules before partners")
case("v2-path", DA, rq(SC1, uri="/shop/%zz", ua=SC_UA), MAL(SC1, "GET"), "broken path: unclean, no allow")
case("v2-path", DA, rq(SC1, uri="/wp-json/wc/v3/orders", ua=SC_UA), ALLOW(SC1))
case("v2-path", DA, rq("bogus", uri="/wp-admin/"), DENY("no-admin", None), "deny on paths needs no client")
case("v2-path", DA, rq(OTHER, "POST", "/wp-admin/", h={OV: "PUT", "X-HTTP-Method": "DELETE"}),
     DENY("no-admin", OTHER, None), "ambiguous override still denied")
case("v2-path", DA, rq(OTHER, uri="/WP-ADMIN/", h={"User-Agent": [BROWSER, SC_UA]}), DENY("no-admin", OTHER),
     "two User-Agents still denied")
case("v2-path", DA, rq(OTHER, "GE T", "/wp-admin/"), DENY("no-admin", OTHER, None), "malformed method still denied")
case("v2-path", DA, rq(OTHER, uri="/?rest_route=/../wp-admin/&_method="), DENY("no-admin", OTHER, None),
     "empty override (unclean) still denied")

# ---- paths: allow-office-path (allow ip 192.0.2.0/24 + paths /wp-json/office/) ----
AO = "allow-office-path"
C = "192.0.2.10"
for uri, exp, why in [
    ("/wp-json/office/orders", RULE("allow", "office-api", C), "inside"),
    ("/wp-json/office/", RULE("allow", "office-api", C), "the prefix itself"),
    ("/wp-json/office/..%2f..%2fwp-admin/", NOM(C), "%2f-decoded candidate /wp-admin/ is outside"),
    ("/wp-json/office/..%2F..%2Fwp-admin/", NOM(C), "%2F-decoded candidate /wp-admin/ is outside"),
    ("/wp-json/office/%2e%2e/%2e%2e/wp-admin/", NOM(C), "%2e decoded: /wp-admin/"),
    ("/wp-json/office/?rest_route=/wp/v2/users/1", NOM(C), "rest_route candidate /wp-json/wp/v2/users/1 is outside"),
    ("/wp-json/office/x?rest_route=/office/y", RULE("allow", "office-api", C), "rest_route candidate inside"),
    ("/wp-json/office/x?rest_route=office/y", NOM(C), "'/wp-json' + 'office/y' is /wp-jsonoffice/y: outside"),
    ("/WP-JSON/office/", NOM(C), "allow compares case-sensitively"),
    ("/wp-json/Office/x", NOM(C), "case-sensitive"),
    ("/wp-json/office", NOM(C), "prefix needs the slash"),
    ("/wp-json/%6Fffice/x", RULE("allow", "office-api", C), "%6F is o"),
    ("/wp-json/office/x%2Fy", RULE("allow", "office-api", C), "both candidates inside"),
    ("/wp-json/office//../x", NOM(C), "candidates /wp-json/office/x and /wp-json/x: one is outside"),
    ("/wp-json/office/x/../y", RULE("allow", "office-api", C), "both orders give /wp-json/office/y"),
    ("/wp-json/office/x//y", RULE("allow", "office-api", C), "collapsed"),
    ("/wp-json/office/%zz", MAL(C, "GET"), "cannot be normalised: unclean"),
    ("/wp-json/office/x?rest_route=/%zz", MAL(C, "GET"), "rest_route candidate cannot be normalised"),
    ("/wp-admin/?rest_route=/office/x", NOM(C), "adding rest_route inside the prefix does not help"),
]:
    case("v2-path", AO, rq(C, uri=uri), exp, f"{uri}: {why}")
case("v2-path", AO, rq(C, "POST", "/wp-json/office/", form={"rest_route": "/wp/v2/users/1"}), NOM(C, "POST"),
     "rest_route in form is a candidate too")
case("v2-path", AO, rq(C, uri="/wp-json/office/", query="rest_route=/wp/v2/users/1"), NOM(C),
     "rest_route in `query` (a rewrite) is a candidate too")
case("v2-path", AO, rq(C, uri="/wp-json/office/a", query="rest_route=/office/b"), RULE("allow", "office-api", C))
case("v2-path", AO, rq(C, "POST", "/wp-json/office/x?_method=PUT"), RULE("allow", "office-api", C, "PUT"),
     "no methods condition: the override is just reported")
case("v2-path", AO, rq(C, "POST", "/wp-json/office/x?_method=PUT&_method=GET"), AMB(C), "unclean: no allow")
case("v2-path", AO, rq(C, uri="/wp-json/office/x", h={"User-Agent": ["a", "b"]}), MAL(C, "GET"), "unclean: no allow")
case("v2-path", AO, rq("192.0.3.1", uri="/wp-json/office/x"), NOM("192.0.3.1"), "ip condition fails")
case("v2-path", AO, rq(SC1, uri="/wp-json/office/../../wp-admin/", ua=SC_UA), ALLOW(SC1),
     "the office rule's ip fails; the Sendcloud partner allows")

# ---- paths: rule order does not matter for unclean paths ----------------------
for pol, r, exp, why in [
    ("paths-any-rule", rq("192.0.2.10", uri="/%zz"), MAL("192.0.2.10", "GET"),
     "the office rule (no paths) comes first, but an enabled rule has a paths condition"),
    ("paths-any-rule", rq("192.0.2.10", uri="/ok"), RULE("allow", "office", "192.0.2.10"), "clean"),
    ("paths-any-rule", rq("192.0.2.10", uri="/?rest_route=/x/%zz"), MAL("192.0.2.10", "GET"), "broken rest_route"),
    ("paths-any-rule", rq("203.0.113.9", uri="/%zz"), MAL("203.0.113.9", "GET"), "the api rule's ip fails; unclean anyway"),
    ("paths-any-rule", rq(OTHER, uri="/wp-json/wc"), RULE("pass", "api", OTHER), "pass rule"),
    ("paths-any-rule", rq(OTHER, uri="/wp-json/x?rest_route=/y"), RULE("pass", "api", OTHER), "both candidates inside"),
    ("paths-any-rule", rq(OTHER, uri="/x?rest_route=/y"), NOM(OTHER), "/x is outside /wp-json/"),
    ("paths-any-rule", rq(SC1, uri="/%zz", ua=SC_UA), MAL(SC1, "GET"), "Sendcloud with a broken path: unclean"),
    ("paths-disabled", rq("192.0.2.10", uri="/%zz"), RULE("allow", "office", "192.0.2.10"),
     "the only paths rule is disabled: the path is never normalised"),
    ("paths-disabled", rq(SC1, uri="/x/%zz", ua=SC_UA), ALLOW(SC1), "disabled paths rule"),
    ("paths-disabled", rq(OTHER, uri="/x/"), NOM(OTHER), "disabled rule does not match"),
    ("rules-mixed-paths", rq(OTHER, uri="/%zz"), MAL(OTHER, "GET"), "the rule's ip fails, the path is normalised anyway"),
    ("rules-mixed-paths", rq("192.0.2.99", uri="/x/y"), DENY("mixed", "192.0.2.99"), "ip and paths hold"),
    ("rules-mixed-paths", rq("192.0.2.99", uri="/X"), DENY("mixed", "192.0.2.99"), "deny: case-insensitive"),
    ("rules-mixed-paths", rq("192.0.2.99", uri="/xylophone"), DENY("mixed", "192.0.2.99"), "byte prefix"),
    ("rules-mixed-paths", rq("192.0.2.99", uri="/y"), NOM("192.0.2.99"), "paths fails"),
    ("rules-mixed-paths", rq("192.0.2.99", uri="/%zz"), MAL("192.0.2.99", "GET"), "no candidate starts with /x"),
    ("rules-mixed-paths", rq("192.0.2.99", uri="/?rest_route=/../x"), DENY("mixed", "192.0.2.99"),
     "rest_route candidate /x"),
]:
    case("v2-path", pol, r, exp, why)

# ---- paths: both dot-segment orders (dot-order) ------------------------------------
DO = "dot-order"
for ip, uri, exp, why in [
    (OTHER, "/x//../a/", DENY("deny-xa", OTHER), "candidates /x/a/ (dots first) and /a/ (// first); deny-xa is first"),
    (OTHER, "/y//../a/", DENY("deny-a", OTHER), "candidates /y/a/ and /a/: deny-a via /a/"),
    (OTHER, "/x//..//a/", DENY("deny-xa", OTHER), "candidates /x/a/ and /a/"),
    (OTHER, "/x/a/", DENY("deny-xa", OTHER), "plain"),
    (OTHER, "/a/", DENY("deny-a", OTHER), "plain"),
    ("192.0.2.5", "/x//../b/", NOM("192.0.2.5"), "candidates /x/b/ and /b/: allow-x needs both inside /x/"),
    ("192.0.2.5", "/x/b/", RULE("allow", "allow-x", "192.0.2.5"), "plain"),
    ("192.0.2.5", "/x//b/", RULE("allow", "allow-x", "192.0.2.5"), "collapsed"),
    ("192.0.2.5", "/x/b//../c/", RULE("allow", "allow-x", "192.0.2.5"),
     "dots first gives /x/b/c/, // first gives /x/c/: both inside /x/"),
    ("192.0.2.5", "/x/b//../../a/", DENY("deny-xa", "192.0.2.5"),
     "dots first gives /x/a/, // first gives /a/: deny-xa (first) matches"),
]:
    case("v2-path", DO, rq(ip, uri=uri), exp, f"{uri}: {why}")
case("v2-path", DO, rq("192.0.2.5", uri="/x//../a"), NOM("192.0.2.5"),
     "candidates /x/a and /a: no deny prefix (/x/a/, /a/) matches, and /a is outside /x/")
case("v2-path", "dot-order-a", rq(OTHER, uri="/x//../a"), DENY("deny-a", OTHER), "candidates /x/a and /a: /a matches")
case("v2-path", "dot-order-a", rq(OTHER, uri="/x/a"), NOM(OTHER), "/x/a alone does not start with /a")
case("v2-path", "dot-order-a", rq(OTHER, uri="/x/../a"), DENY("deny-a", OTHER), "/a")
case("v2-path", "dot-order-a", rq(OTHER, uri="/x//./a"), NOM(OTHER), "both orders give /x/a")

# ---- deny rules hold for unclean requests (deny-ip: deny 203.0.113.0/24, 10/8 trusted via XFF) ----
DY = "deny-ip"
B = "203.0.113.7"
for r, exp, why in [
    (rq(B), DENY("blocklist", B), "plain"),
    (rq(B, ua=SC_UA), DENY("blocklist", B), "rules before partners (no impersonation report)"),
    (rq(B, "POST", "/?_method=GET&ps_method=POST"), DENY("blocklist", B, None),
     "overrides disagree (unclean, ambiguous): the deny still applies, method null"),
    (rq(B, h={"User-Agent": [BROWSER, SC_UA]}), DENY("blocklist", B), "a second User-Agent (unclean): still denied"),
    (rq(B, h={"User-Agent": BROWSER, "user-agent": "x"}), DENY("blocklist", B), "second User-Agent under another key"),
    (rq(B, "POST", "/?_method="), DENY("blocklist", B, None), "empty override (unclean): still denied"),
    (rq(B, "POST", ua=SC_UA, h={OV: ["PUT", "DELETE"]}), DENY("blocklist", B, None), "override header twice, different"),
    (rq(B, "POST", form={"_method": ["A", "B"]}), DENY("blocklist", B, None), "form values disagree"),
    (rq(B, "GE T"), DENY("blocklist", B, None), "malformed method"),
    (rq(B, ua="x" * 40000), DENY("blocklist", B), "oversized User-Agent"),
    (rq(B, "POST", "/?_method=" + "A" * 33), DENY("blocklist", B, None), "33-character override"),
    (rq(B, "POST", "/?_method=GET&ps_method=POST", h={"User-Agent": ["a", "b"]}), DENY("blocklist", B, None),
     "several reasons to be unclean"),
    (rq(B, "PATCH", "/x?_method=patch", ua=WOO), DENY("blocklist", B, "PATCH"), "clean"),
    (rq("::ffff:203.0.113.7"), DENY("blocklist", B), "IPv4-mapped"),
    (rq("10.0.0.1", h={XFF: B}), DENY("blocklist", B), "client from XFF"),
    (rq("10.0.0.1", h={XFF: f"{B}:443, 10.0.0.2"}), DENY("blocklist", B), "client from XFF with port"),
    (rq("10.0.0.1", h={XFF: f"garbage, {B}"}), DENY("blocklist", B), "malformed entry left of the client never read"),
    (rq("10.0.0.1", h={XFF: f"{B}, , "}), DENY("blocklist", B), "empty elements skipped"),
    (rq("10.0.0.1", h={XFF: "::ffff:203.0.113.7"}), DENY("blocklist", B), "IPv4-mapped entry"),
    (rq("10.0.0.1", h={XFF: ", ".join(["198.51.100.1"] * 70 + [B])}), DENY("blocklist", B),
     "XFF padded to 71 entries: the client is the rightmost, still denied"),
    (rq("10.0.0.1", h={XFF: ", ".join(["garbage"] * 80 + [B, "10.0.0.2"])}), DENY("blocklist", B),
     "XFF padded with 80 malformed entries left of the client"),
    (rq("10.0.0.1", h={XFF: ", ".join([B] + trusted_chain(63))}), DENY("blocklist", B), "client is the 64th walked"),
    (rq("10.0.0.1", "POST", "/?_method=GET&ps_method=POST", h={XFF: ", ".join(["198.51.100.1"] * 70 + [B])}),
     DENY("blocklist", B, None), "padding and ambiguous override together"),
    (rq("10.0.0.1", h={XFF: ", ".join([B] + trusted_chain(64))}), MAL(None, "GET"),
     "client would be the 65th walked: unresolved, so no ip deny can apply"),
    (rq("10.0.0.1", h={XFF: ", ".join(trusted_chain(70))}), MAL(None, "GET"), "70 trusted entries: unclean"),
    (rq("10.0.0.1", h={XFF: f"{B}, garbage"}), MAL(None, "GET"), "malformed entry before the client"),
    (rq("10.0.0.1", h={XFF: ""}), MAL(None, "GET"), "empty header"),
    (rq("bogus"), MAL(None, "GET"), "no client"),
    (rq(OTHER, h={"User-Agent": ["a", "b"]}), MAL(OTHER, "GET"), "outside the deny range"),
    (rq(OTHER, ua=BROWSER), NOM(OTHER), "outside the deny range"),
    (rq(SC1, "PATCH", ua=WOO), ALLOW(SC1, "PATCH"), "Sendcloud"),
    (rq(B, uri="/%zz"), DENY("blocklist", B), "no paths condition in the policy: the path is not examined"),
]:
    case("v2-deny", DY, r, exp, why)

# deny rules of other policies on unclean requests
for pol, r, exp, why in [
    ("rules", rq(OTHER, h={"User-Agent": ["BadBot/1", BROWSER]}), DENY("bad-bots", OTHER),
     "two User-Agents: a deny user_agents condition holds if either matches"),
    ("rules", rq(OTHER, h={"User-Agent": [BROWSER, "Mozilla (scanner)"]}), DENY("bad-bots", OTHER), "second one matches"),
    ("rules", rq(OTHER, "GE T", ua="BadBot/1"), DENY("bad-bots", OTHER, None), "malformed method"),
    ("rules", rq(SC2, "POST", ua=SC_UA, h={OV: "DELETE", "X-HTTP-Method": "PATCH"}), DENY("sc-no-delete", SC2, None),
     "ambiguous override: DELETE is a candidate"),
    ("rules", rq("bogus", "TRACE"), DENY("no-trace", None, "TRACE"), "no client, but the methods-only deny applies"),
    ("rules", rq(OTHER, "TRACE", h={"User-Agent": [BROWSER, "curl/8"]}), DENY("no-trace", OTHER, "TRACE"),
     "two User-Agents"),
    ("rules", rq("192.0.2.10", "TRACE", h={"User-Agent": ["a", "b"]}), DENY("no-trace", "192.0.2.10", "TRACE"),
     "unclean: the allow rule 'office' is skipped, the deny rule after it applies"),
    ("rules", rq("192.0.2.10", "POST", h={OV: "TRACK", "X-HTTP-Method": "GET"}), DENY("no-trace", "192.0.2.10", None),
     "ambiguous: office skipped, TRACK is a candidate"),
    ("rules", rq(OTHER, ua="Monitor/uptime", h={OV: "GET", "X-HTTP-Method": "HEAD"}), AMB(OTHER),
     "unclean: the pass rule 'monitor' is skipped"),
    ("rules", rq(SC2, "POST", "/?_method=DELETE&_method=DELETE", ua=SC_UA), DENY("sc-no-delete", SC2, "DELETE"),
     "clean, DELETE a candidate"),
    ("rules-order", rq("203.0.113.5", h={"User-Agent": ["x", "y"]}), DENY("second", "203.0.113.5"),
     "unclean: the pass rule 'first' is skipped"),
    ("rules-order", rq("203.0.113.5", "GE T", ua="x"), DENY("second", "203.0.113.5", None), "malformed method"),
    ("spec-example", rq("192.0.2.10", "POST", h={OV: "TRACE", "X-HTTP-Method": "POST"}), DENY("no-trace", "192.0.2.10", None),
     "ambiguous: office (allow) skipped, TRACE is a candidate"),
    ("spec-example", rq("10.0.0.1", "TRACE", h={XFF: "garbage"}), DENY("no-trace", None, "TRACE"),
     "client unresolved, methods-only deny applies"),
    ("spec-example", rq("192.0.2.10", "GET", h={OV: "TRACE"}), DENY("no-trace", "192.0.2.10", "TRACE"),
     "clean: office needs every candidate (GET, TRACE) in [GET, POST]; no-trace needs any"),
    ("ipv6", rq("203.0.113.66", h={"User-Agent": ["a", "b"]}), DENY("mapped-deny", "203.0.113.66"), "two User-Agents"),
    ("ipv6", rq("2001:db8:aaaa::1", h={"User-Agent": ["a", "b"]}), MAL("2001:db8:aaaa::1", "GET"),
     "allow rule v6-office skipped for an unclean request"),
    (RP, rq(OTHER, uri="/wp-admin/", h={"User-Agent": ["a", "b"]}), DENY("admin", OTHER), "two User-Agents"),
    (RP, rq(OTHER, "POST", "/wp-admin", h={OV: "PUT", "X-HTTP-Method": "GET"}), DENY("admin", OTHER, None), "ambiguous"),
    (RP, rq("bogus", uri="/wp-login.php"), DENY("admin", None), "no client"),
    (RP, rq("192.0.2.10", uri="/wp-admin/", h={"User-Agent": ["a", "b"]}), DENY("admin", "192.0.2.10"),
     "unclean: office (allow) skipped, admin (deny) applies"),
    (RP, rq(OTHER, uri="/wp-json/wc/v3", h={"User-Agent": ["a", "b"]}), MAL(OTHER, "GET"),
     "unclean: the pass rule 'api' is skipped"),
    ("custom-partner", rq(A, "GE T", ua="Acme-Sync/1"), MAL(A, None), "no rules: partners are not evaluated"),
]:
    case("v2-deny", pol, r, exp, why)

# ---- deny methods: any candidate (deny-delete) ----------------------------------
DD = "deny-delete"
for r, exp, why in [
    (rq(OTHER, "POST", "/x?_method=DELETE"), DENY("no-delete", OTHER, "DELETE"), "_method in the uri's query"),
    (rq(SC1, "POST", "/x?_method=DELETE", ua=SC_UA), DENY("no-delete", SC1, "DELETE"), "rules before the partner"),
    (rq(OTHER, "POST", "/x?ps_method=DELETE"), DENY("no-delete", OTHER, "DELETE"), "ps_method"),
    (rq(OTHER, "POST", h={OV: "DELETE"}), DENY("no-delete", OTHER, "DELETE"), "X-HTTP-Method-Override"),
    (rq(OTHER, "POST", h={"X-HTTP-Method": "DELETE"}), DENY("no-delete", OTHER, "DELETE"), "X-HTTP-Method"),
    (rq(OTHER, "POST", h={"X-Method-Override": "delete"}), DENY("no-delete", OTHER, "DELETE"), "X-Method-Override"),
    (rq(OTHER, "POST", "/x", query="_method=DELETE"), DENY("no-delete", OTHER, "DELETE"), "_method in `query`"),
    (rq(OTHER, "POST", "/x", form={"_method": "DELETE"}), DENY("no-delete", OTHER, "DELETE"), "_method in form"),
    (rq(OTHER, "POST", "/x", form={"ps_method": "delete"}), DENY("no-delete", OTHER, "DELETE"), "ps_method in form"),
    (rq(OTHER, "POST", "/x?_method=DEL%45TE"), DENY("no-delete", OTHER, "DELETE"), "percent-encoded value"),
    (rq(OTHER, "POST", "/x?_method[]=DELETE"), DENY("no-delete", OTHER, "DELETE"), "array parameter"),
    (rq(OTHER, "POST", "/x?_method=DELETE&_method=POST"), DENY("no-delete", OTHER, None),
     "overrides disagree (unclean): DELETE is a candidate"),
    (rq(OTHER, "POST", h={OV: "DELETE", "X-HTTP-Method": "PUT"}), DENY("no-delete", OTHER, None), "headers disagree"),
    (rq(OTHER, "POST", "/x?_method=DELETE&ps_method="), DENY("no-delete", OTHER, None), "plus an empty override"),
    (rq(OTHER, "POST", "/x?_method=DELETE", h={"User-Agent": ["a", "b"]}), DENY("no-delete", OTHER, "DELETE"),
     "two User-Agents"),
    (rq("bogus", "POST", "/x?_method=DELETE"), DENY("no-delete", None, "DELETE"), "no client"),
    (rq(OTHER, "DELETE", "/x?_method=GET"), DENY("no-delete", OTHER, "GET"), "request method DELETE, override GET"),
    (rq(OTHER, "delete"), DENY("no-delete", OTHER, "DELETE"), "upper-cased"),
    (rq(OTHER, "POST", "/x?_METHOD=DELETE"), NOM(OTHER, "POST"), "not an override (case-sensitive name)"),
    (rq(OTHER, "POST", "/x?_method[=DELETE"), NOM(OTHER, "POST"), "_method_ is not an override"),
    (rq(OTHER, "POST", "/x?method=DELETE"), NOM(OTHER, "POST"), "not an override"),
    (rq(OTHER, "POST", "/x?_method=DELETEX"), NOM(OTHER, "DELETEX"), "a different method"),
    (rq(SC1, "POST", "/x?_method=PATCH", ua=SC_UA), ALLOW(SC1, "PATCH"), "no DELETE candidate"),
    (rq(SC1, "DELETE", ua=SC_UA), DENY("no-delete", SC1, "DELETE"), "Sendcloud's DELETE denied by the site rule"),
]:
    case("v2-deny-method", DD, r, exp, why)

# ---- impersonation deny on unclean requests ---------------------------------------
for pol, r, exp, why in [
    (DI, rq(OTHER, h={"User-Agent": [BROWSER, SC_UA]}), IMP(OTHER, deny=True), "two User-Agents, the second matches"),
    (DI, rq(OTHER, h={"User-Agent": ["x", "I am SendCloud"]}), IMP(OTHER, deny=True), "a candidate contains the claim"),
    (DI, rq(OTHER, "GE T", ua=SC_UA), IMP(OTHER, None, deny=True), "malformed method: method null"),
    (DI, rq(OTHER, "POST", ua=SC_UA, h={OV: "PUT", "X-HTTP-Method": "GET"}), IMP(OTHER, None, deny=True),
     "ambiguous override"),
    (DI, rq(OTHER, "POST", "/?_method=", ua=WOO), IMP(OTHER, None, deny=True), "empty override"),
    (DI, rq(OTHER, "PATCH", "/?_method=patch", h={"User-Agent": [SC_UA, SC_UA]}), IMP(OTHER, "PATCH", deny=True),
     "method still determined"),
    (DI, rq(SC1, h={"User-Agent": [SC_UA, SC_UA]}), MAL(SC1, "GET"), "client inside Sendcloud's ranges: not impersonation"),
    (DI, rq(SC1, "GE T", ua=SC_UA), MAL(SC1, None), "client inside Sendcloud's ranges"),
    (DI, rq(OTHER, h={"User-Agent": [BROWSER, "curl/8"]}), MAL(OTHER, "GET"), "no candidate claims Sendcloud"),
    (DI, rq(OTHER, h={"User-Agent": []}), NOM(OTHER), "empty array: clean, no User-Agent"),
    (DI, rq("bogus", h={"User-Agent": [SC_UA, SC_UA]}), MAL(None, "GET"), "no resolved client"),
    (D, rq(OTHER, h={"User-Agent": [BROWSER, SC_UA]}), MAL(OTHER, "GET"),
     "impersonation log: unclean requests get their reason, not impersonation"),
    (D, rq(OTHER, "GE T", ua=SC_UA), MAL(OTHER, None), "impersonation log"),
    ("deny-imp-rules", rq(OTHER, ua=SC_UA), IMP(OTHER, deny=True), "clean: partners"),
    ("deny-imp-rules", rq(OTHER, h={"User-Agent": [SC_UA, BROWSER]}), IMP(OTHER, deny=True), "unclean"),
    ("deny-imp-rules", rq(OTHER, h={"User-Agent": ["BadBot/1", SC_UA]}), DENY("bots", OTHER),
     "deny rules come before impersonation"),
    ("deny-imp-rules", rq(OTHER, "POST", ua=SC_UA, h={OV: "TRACE", "X-HTTP-Method": "GET"}), DENY("no-trace", OTHER, None),
     "deny rule first"),
    ("deny-imp-rules", rq(OTHER, "POST", ua=SC_UA, h={OV: "PUT", "X-HTTP-Method": "GET"}), IMP(OTHER, None, deny=True),
     "no deny rule matches: impersonation"),
    ("deny-imp-rules", rq(OTHER, "GE T", ua=SC_UA), IMP(OTHER, None, deny=True), "malformed method"),
    ("deny-imp-rules", rq(OTHER, uri="wp-admin", ua="I am sendcloud"), IMP(OTHER, deny=True), "bad target"),
    ("deny-imp-rules", rq(SC1, h={"User-Agent": [SC_UA, SC_UA]}), MAL(SC1, "GET"), "Sendcloud address"),
    ("deny-imp-rules", rq("bogus", ua=SC_UA), MAL(None, "GET"), "no client"),
    ("deny-imp-rules", rq(OTHER, h={"User-Agent": [BROWSER, "curl/8"]}), MAL(OTHER, "GET"), "no claim"),
    ("deny-imp-rules", rq("192.0.2.10", "POST", h={"User-Agent": [SC_UA, BROWSER]}), IMP("192.0.2.10", "POST", deny=True),
     "unclean: the allow rule office is skipped, impersonation applies"),
    ("deny-imp-rules", rq("192.0.2.10", ua=BROWSER), RULE("allow", "office", "192.0.2.10"), "clean"),
    ("deny-imp-rules", rq("192.0.2.10", ua=SC_UA), RULE("allow", "office", "192.0.2.10"), "rules before partners"),
    ("deny-imp-rules", rq("192.0.2.10", "POST", "/?_method=DELETE", ua=SC_UA), IMP("192.0.2.10", "DELETE", deny=True),
     "office needs every candidate (POST, DELETE) in [GET, POST]: falls through to the partner"),
    ("deny-imp-rules", rq("192.0.2.10", "TRACE"), DENY("no-trace", "192.0.2.10", "TRACE"), "no-trace is the first rule"),
    ("deny-imp-rules", rq(SC1, "PATCH", ua=WOO), ALLOW(SC1, "PATCH"), "Sendcloud"),
    ("deny-imp-rules", rq(SC1, "POST", "/?_method=TRACE", ua=SC_UA), DENY("no-trace", SC1, "TRACE"), "override TRACE"),
    ("deny-imp-partners", rq(A, h={"User-Agent": [SC_UA, BROWSER]}), IMP(A, rule="sendcloud", deny=True),
     "acme's ranges contain the client: not acme; sendcloud's do not and a candidate matches: sendcloud"),
    ("deny-imp-partners", rq(SC1, h={"User-Agent": ["Acme-Sync/1", BROWSER]}), IMP(SC1, rule="acme", deny=True),
     "a Sendcloud address impersonating acme"),
    ("deny-imp-partners", rq(SC1, h={"User-Agent": [SC_UA, "Acme-Sync/1"]}), IMP(SC1, rule="acme", deny=True),
     "acme is first in policy order"),
    ("deny-imp-partners", rq(OTHER, h={"User-Agent": [SC_UA, "acme bot"]}), IMP(OTHER, rule="acme", deny=True),
     "acme (claims) is first"),
    ("deny-imp-partners", rq(OTHER, h={"User-Agent": [SC_UA, BROWSER]}), IMP(OTHER, rule="sendcloud", deny=True),
     "acme: no candidate claims it; sendcloud next"),
    ("deny-imp-partners", rq(A, h={"User-Agent": ["Acme-Sync/1", "x"]}), MAL(A, "GET"),
     "acme contains the client; no candidate claims sendcloud"),
    ("deny-imp-partners", rq(A, "GE T", ua=SC_UA), IMP(A, None, rule="sendcloud", deny=True), "malformed method"),
    ("deny-imp-partners", rq(A, ua=SC_UA), UAM(A, rule="acme"), "clean: acme's ua_mismatch decides first"),
    ("deny-imp-partners", rq(SC1, ua="Acme-Sync/1"), IMP(SC1, rule="acme", deny=True), "clean"),
    ("deny-imp-partners", rq(A, "POST", ua="Acme-Sync/2"), ALLOW(A, "POST", rule="acme"), "clean"),
    ("deny-imp-partners", rq(OTHER, "GE T", ua=BROWSER), MAL(OTHER, None), "no claim"),
]:
    case("v2-imp", pol, r, exp, why)

for pol, r, exp, why in [
    ("deny-imp-disabled", rq(OTHER, h={"User-Agent": [SC_UA, BROWSER]}), MAL(OTHER, "GET"),
     "the Sendcloud preset is disabled: no impersonation for it"),
    ("deny-imp-disabled", rq(OTHER, h={"User-Agent": [SC_UA, "I am beta"]}), IMP(OTHER, rule="beta", deny=True),
     "beta (enabled) is claimed"),
    ("deny-imp-disabled", rq(OTHER, "GE T", ua="Beta-Agent/x"), IMP(OTHER, None, rule="beta", deny=True), "beta pattern"),
    ("deny-imp-disabled", rq("192.0.2.7", h={"User-Agent": ["Beta-Agent/x", "y"]}), MAL("192.0.2.7", "GET"),
     "inside beta's ranges"),
    ("deny-imp-disabled", rq(OTHER, ua=SC_UA), NOM(OTHER), "clean: disabled preset gives nothing"),
    ("deny-imp-disabled", rq(OTHER, ua="beta bot"), IMP(OTHER, rule="beta", deny=True), "clean: claim"),
]:
    case("v2-imp", pol, r, exp, why)

# ---- allow without ip (allow-ua-methods: allow Monitor/* with GET, HEAD) ----------------
AU = "allow-ua-methods"
for r, exp, why in [
    (rq(OTHER, ua="Monitor/1"), RULE("allow", "monitor", OTHER), "plain"),
    (rq(OTHER, "HEAD", ua="Monitor/1"), RULE("allow", "monitor", OTHER, "HEAD"), "plain"),
    (rq(OTHER, "GET", "/?_method=HEAD", ua="Monitor/1"), RULE("allow", "monitor", OTHER, "HEAD"), "GET and HEAD both in"),
    (rq(OTHER, "POST", "/?_method=GET", ua="Monitor/1"), NOM(OTHER, "GET"), "POST is a candidate: not every one is in"),
    (rq(OTHER, "GET", "/?_method=POST", ua="Monitor/1"), NOM(OTHER, "POST"), "POST not in the set"),
    (rq(OTHER, "GET", "/x", ua="Monitor/1", form={"_method": "POST"}), NOM(OTHER, "POST"), "override from form"),
    (rq(OTHER, "GET", "/x", ua="Monitor/1", query="_method=DELETE"), NOM(OTHER, "DELETE"), "override from `query`"),
    (rq(OTHER, "HEAD", ua="Monitor/1", h={OV: "GET", "X-HTTP-Method": "HEAD"}), AMB(OTHER), "unclean: no allow"),
    (rq(OTHER, h={"User-Agent": ["Monitor/1", "Monitor/2"]}), MAL(OTHER, "GET"), "two User-Agents: no allow"),
    (rq(OTHER), NOM(OTHER), "no User-Agent"),
    (rq(OTHER, h={"User-Agent": []}), NOM(OTHER), "empty array: no User-Agent"),
    (rq(OTHER, h={"User-Agent": ["Monitor/1"]}), RULE("allow", "monitor", OTHER), "one-element array"),
    (rq(SC1, ua="Monitor/x"), RULE("allow", "monitor", SC1), "rules before partners"),
    (rq(SC1, "PATCH", ua=WOO), ALLOW(SC1, "PATCH"), "Sendcloud"),
]:
    case("v2-allow", AU, r, exp, why)

# ---- IPv4-mapped policy ranges ---------------------------------------------------
for pol, r, exp, why in [
    ("ipv6-mapped-cidr", rq("203.0.113.9", ua=SC_UA), ALLOW("203.0.113.9"), "::ffff:203.0.113.0/120 is 203.0.113.0/24"),
    ("ipv6-mapped-cidr", rq("203.0.113.255", ua=SC_UA), ALLOW("203.0.113.255"), "last address"),
    ("ipv6-mapped-cidr", rq("::ffff:203.0.113.1", ua=WOO), ALLOW("203.0.113.1"), "mapped client"),
    ("ipv6-mapped-cidr", rq("203.0.114.0", ua=SC_UA), IMP("203.0.114.0"), "outside"),
    ("ipv6-mapped-cidr", rq("203.0.112.255", ua=SC_UA), IMP("203.0.112.255"), "outside"),
    ("ipv6-mapped-cidr", rq(SC1, ua=SC_UA), ALLOW(SC1), "preset ranges kept"),
    ("mapped-ranges", rq("198.51.100.9", ua=SC_UA), ALLOW("198.51.100.9"), "add_ip ::ffff:198.51.100.0/120"),
    ("mapped-ranges", rq("198.51.101.1", ua=SC_UA), IMP("198.51.101.1"), "outside the /24"),
    ("mapped-ranges", rq("203.0.113.5", ua="BadBot/1"), DENY("v4-bots", "203.0.113.5"),
     "::ffff:0.0.0.0/96 is 0.0.0.0/0: every IPv4 client"),
    ("mapped-ranges", rq("1.1.1.1", ua="badbot/x"), DENY("v4-bots", "1.1.1.1"), "every IPv4 client"),
    ("mapped-ranges", rq("2001:db8::1", ua="BadBot/1"), NOM("2001:db8::1"), "not an IPv4 client"),
    ("mapped-ranges", rq("::ffff:198.51.100.200", ua="BadBot/1"), DENY("v4-bots", "198.51.100.200"),
     "rules before partners"),
    ("mapped-ranges", rq("192.0.2.15"), RULE("allow", "office", "192.0.2.15"), "::ffff:192.0.2.0/124 is 192.0.2.0/28"),
    ("mapped-ranges", rq("192.0.2.0"), RULE("allow", "office", "192.0.2.0"), "first address"),
    ("mapped-ranges", rq("::ffff:192.0.2.3"), RULE("allow", "office", "192.0.2.3"), "mapped client"),
    ("mapped-ranges", rq("192.0.2.16"), NOM("192.0.2.16"), "outside the /28"),
]:
    case("v2-mapped", pol, r, exp, why)

# ---- reported method whatever made the request unclean (decision 1) ---------------
for pol, r, exp, why in [
    (D, rq(SC1, "POST", ua=SC_UA, h={OV: "PATCH", "user-agent": BROWSER}), MAL(SC1, "PATCH"),
     "two User-Agents; the effective method is the override"),
    (X, rq("10.0.0.1", "patch", ua=SC_UA, h={XFF: "garbage"}), MAL(None, "PATCH"), "unresolvable client"),
    (X, rq("10.0.0.1", "POST", "/?_method=delete", ua=SC_UA, h={XFF: ""}), MAL(None, "DELETE"), "empty XFF"),
    (RP, rq(SC1, "POST", "/wp-json/wc/%zz", ua=SC_UA, form={"_method": "PATCH"}), MAL(SC1, "PATCH"), "unclean path"),
    (D, rq(SC1, "POST", "wp-json", ua=SC_UA, h={"X-HTTP-Method": "DELETE"}), MAL(SC1, "DELETE"), "bad target"),
    (D, rq(SC1, "POST", ua="x" * 40000, h={OV: "OPTIONS"}), MAL(SC1, "OPTIONS"), "oversized User-Agent"),
    (D, rq(SC1, "POST", "/?_method=PATCH&_method=DELETE", ua=SC_UA, h={"user-agent": SC_UA}), MAL(SC1, None),
     "two User-Agents and disagreeing overrides: malformed wins, method null"),
]:
    case("v2-method", pol, r, exp, why)

# ---- adding an override / query / form / rest_route never turns a non-allow into allow ----
# Each pair: (a) the request alone, (b) the same request with something added.
for pol, ra, ea, rb, eb, why in [
    (D, rq(SC1, "PUT", ua=SC_UA), MNA(SC1, "PUT"), rq(SC1, "PUT", "/?_method=PATCH", ua=SC_UA), MNA(SC1, "PATCH"),
     "PUT is still a candidate"),
    (D, rq(SC1, "PUT", ua=SC_UA), MNA(SC1, "PUT"), rq(SC1, "PUT", "/x", ua=SC_UA, form={"_method": "GET"}),
     MNA(SC1, "GET"), "form override"),
    (D, rq(SC1, "PUT", ua=SC_UA), MNA(SC1, "PUT"), rq(SC1, "PUT", "/x", ua=SC_UA, query="ps_method=POST"),
     MNA(SC1, "POST"), "`query` override"),
    (D, rq(SC1, "TRACE", ua=SC_UA), MNA(SC1, "TRACE"), rq(SC1, "TRACE", ua=SC_UA, h={OV: "GET"}), MNA(SC1, "GET"),
     "header override"),
    (D, rq(SC1, "GET", "/?_method=PUT", ua=SC_UA), MNA(SC1, "PUT"),
     rq(SC1, "GET", "/?_method=PUT", ua=SC_UA, query="_method=GET"), AMB(SC1), "a second reading in `query`"),
    (D, rq(SC1, ua=BROWSER), UAM(SC1), rq(SC1, "POST", "/?_method=GET", ua=BROWSER), UAM(SC1, "GET"), "override"),
    (D, rq(OTHER, ua=SC_UA), IMP(OTHER), rq(OTHER, "POST", "/?_method=GET", ua=SC_UA), IMP(OTHER), "override"),
    ("custom-partner", rq(A, "PATCH", ua="Acme-Sync/1"), MNA(A, "PATCH", rule="acme"),
     rq(A, "PATCH", "/?_method=GET", ua="Acme-Sync/1"), MNA(A, "GET", rule="acme"), "PATCH is still a candidate"),
    ("spec-example", rq("192.0.2.10", "DELETE"), NOM("192.0.2.10", "DELETE"),
     rq("192.0.2.10", "DELETE", "/?_method=GET"), NOM("192.0.2.10", "GET"), "office still fails on DELETE"),
    ("spec-example", rq("192.0.2.10", "PUT"), NOM("192.0.2.10", "PUT"),
     rq("192.0.2.10", "PUT", "/x", form={"_method": "POST"}), NOM("192.0.2.10", "POST"), "form override"),
    ("spec-example", rq("192.0.2.10", "PUT"), NOM("192.0.2.10", "PUT"),
     rq("192.0.2.10", "PUT", "/x", query="_method=GET"), NOM("192.0.2.10", "GET"), "`query` override"),
    (AO, rq(C, uri="/wp-admin/"), NOM(C), rq(C, uri="/wp-admin/?rest_route=/office/x"), NOM(C), "rest_route in uri"),
    (AO, rq(C, uri="/wp-admin/"), NOM(C), rq(C, "GET", "/wp-admin/", form={"rest_route": "/office/"}), NOM(C),
     "rest_route in form"),
    (AO, rq(C, uri="/wp-admin/"), NOM(C), rq(C, uri="/wp-admin/", query="rest_route=/office/"), NOM(C),
     "rest_route in `query`"),
    (AO, rq(C, uri="/wp-json/office/x"), RULE("allow", "office-api", C),
     rq(C, uri="/wp-json/office/x", query="rest_route=/wp/v2/users"), NOM(C), "an allow turned into no allow"),
    (AU, rq(OTHER, "POST", ua="Monitor/1"), NOM(OTHER, "POST"), rq(OTHER, "POST", "/?_method=GET", ua="Monitor/1"),
     NOM(OTHER, "GET"), "POST still a candidate"),
    (AU, rq(OTHER, "POST", ua="Monitor/1"), NOM(OTHER, "POST"), rq(OTHER, "POST", "/x", ua="Monitor/1",
                                                                   form={"_method": "HEAD"}),
     NOM(OTHER, "HEAD"), "form override"),
    (V6, rq("2001:db8:aaaa:1::1", "POST"), NOM("2001:db8:aaaa:1::1", "POST"),
     rq("2001:db8:aaaa:1::1", "POST", "/?_method=GET"), NOM("2001:db8:aaaa:1::1", "GET"), "outside the rule's range"),
    (RP, rq(OTHER, uri="/wp-json/x"), NOM(OTHER), rq(OTHER, uri="/wp-json/x?rest_route=/wc/v3"), NOM(OTHER),
     "pass rule api: /wp-json/x still a candidate"),
    (DY, rq(B), DENY("blocklist", B), rq(B, "POST", "/?_method=GET&ps_method=POST"), DENY("blocklist", B, None),
     "a deny stays a deny"),
    (DA, rq(OTHER, uri="/wp-admin/"), DENY("no-admin", OTHER), rq(OTHER, uri="/wp-admin/?rest_route=/wc/v3/x"),
     DENY("no-admin", OTHER), "a deny stays a deny"),
]:
    case("v2-prop", pol, ra, ea, f"(a) {why}")
    case("v2-prop", pol, rb, eb, f"(b) {why}")

# ==========================================================================
# Ambiguous: what v2 still leaves open. Not in cases.jsonl. expect = the writer's best guess.
# ==========================================================================
amb("amb", RP, rq(OTHER, uri="/wp-admin#%zz"), MAL(OTHER, "GET"), AMB_RAW_PREFIX)
amb("amb", "deny-admin-path", rq(OTHER, uri="/wp-admin/%zz"), MAL(OTHER, "GET"),
    "Same question: /wp-admin/%zz cannot be normalised; deny no-admin or malformed_input? Guess: malformed_input.")
amb("amb", D, rq(SC1, "POST", "?_method=PATCH", ua=SC_UA), MAL(SC1, "POST"),
    "A target that does not start with / is unclean; is its '?...' part still read for overrides (method PATCH) "
    "or is there no query (method POST)? Guess: no query.")
amb("amb", D, rq(SC1, "POST", "/?_method=+PATCH", ua=SC_UA), MAL(SC1, None),
    "Override parameter value with a surrounding space (' PATCH'): headers are trimmed of SP/HTAB, parameters are "
    "only said to be percent-decoded. Guess: not trimmed, so not a token.")
amb("amb", D, rq(SC1, "POST", "/?_method", ua=SC_UA), MAL(SC1, None),
    "Parameter without '=': PHP gives it the empty value (an empty override: malformed) - or is it no value at all? "
    "Guess: empty value.")
amb("amb", D, rq(SC1, "POST", "/x", ua=SC_UA, form={"_method": []}), ALLOW(SC1, "POST"),
    "Form parameter given as an empty array: no override value (guess), or an override that is present but empty?")
amb("amb", X, rq("10.0.0.1", ua=SC_UA, h={XFF: []}), IMP("10.0.0.1"),
    "Configured forwarding header given as an empty array: absent (guess; the contract says so for the User-Agent "
    "only) or present and empty (unclean)?")
amb("amb", F, rq("10.0.0.1", ua=SC_UA, h={FW: f"for={SC1}; proto=https"}), ALLOW(SC1),
    "Whitespace around ';' in Forwarded (RFC 7239 has none; v2 only rules on whitespace around '='). Guess: accepted.")
amb("amb", DI, rq(OTHER, ua="sendcloud" * 5000), IMP(OTHER, deny=True),
    "A User-Agent longer than 32 KiB makes the request unclean; is it still a candidate for the impersonation check "
    "(it contains the claim)? Guess: yes.")
amb("amb", "rules", rq(OTHER, ua="BadBot/" + "x" * 40000), DENY("bad-bots", OTHER),
    "Oversized (unclean) User-Agent: still a candidate for a deny user_agents condition? Guess: yes.")
amb("amb", "wide-v6-deny", rq(OTHER, ua="BadBot/1"), DENY("all-v6", OTHER),
    "Does the IPv6 range ::/0 in a deny rule contain IPv4 clients? The contract says '::/0 also covers every IPv4 "
    "address' when judging policy width; matching is not stated. Guess: yes.")
amb("amb", RP, rq(OTHER, uri="/?rest_route=/wc/%00"), MAL(OTHER, "GET"),
    "rest_route values are percent-decoded, so %00 becomes a raw NUL in the candidate /wp-json/wc/<NUL>; v2 names "
    "an encoded NUL (%00) as unnormalisable, not a raw one. Guess: unclean.")
amb("amb", D, rq("::ffff:0:1.2.3.4", ua=SC_UA), IMP("::ffff:0:102:304"),
    "IPv4-translated address (::ffff:0:0/96, RFC 2765): RFC 5952 section 5 recommends mixed notation "
    "(::ffff:0:1.2.3.4) for well-known embedding prefixes; v2 only decides the IPv4-compatible form (::102:304).")
case("v2-xff", X, rq("10.0.0.1", ua=SC_UA, h={XFF: "x" * 32760 + ", " + SC1}), ALLOW(SC1),
     "32,775-byte header: the garbage left of the client is never read")

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
bad("tp", {"trusted_proxies": {"ranges": ["10.0.0.0/8", "fd00::/48", "fd00::/129"]}}, "trusted_proxies.ranges[2]")
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
bad("rules", {"rules": [R0, {"id": "a", "action": "allow", "ip": ["192.0.2.1"]}]}, "rules[1].id")
bad("rules", {"rules": [R0, R0 | {"id": "b"}, {"id": "b", "action": "pass", "ip": ["10.0.0.1"]}]}, "rules[2].id")
# whole policy rejected even if only the last bit is wrong
bad("whole", {"version": 1, "impersonation": "deny",
              "trusted_proxies": {"ranges": ["10.0.0.0/8"], "header": "forwarded"},
              "partners": [{"preset": "sendcloud", "add_methods": ["PUT"]}],
              "rules": [{"id": "ok", "action": "allow", "ip": ["192.0.2.10"]},
                        {"id": "broken", "action": "deny", "ip": ["192.0.2.300"]}]}, "rules[1].ip[0]")
# v2: policies that would let everyone in
# ranges wider than /8 (IPv4) or /16 (IPv6), or covering every IPv4-mapped address, where they would let traffic in
bad("v2-wide", {"trusted_proxies": {"ranges": ["0.0.0.0/0"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["10.0.0.0/8", "10.0.0.0/7"]}}, "trusted_proxies.ranges[1]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["128.0.0.0/1"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["::/0"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["fd00::/48", "2000::/3"]}}, "trusted_proxies.ranges[1]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["2000::/15"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["::/16"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["::ffff:0:0/96"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["::ffff:0.0.0.0/100"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"ranges": ["::ffff:10.0.0.0/103"]}}, "trusted_proxies.ranges[0]")
bad("v2-wide", {"trusted_proxies": {"presets": ["loopback"], "ranges": ["10.0.0.0/8", "160.0.0.0/4"]}},
    "trusted_proxies.ranges[1]")
bad("v2-wide", {"partners": [{"preset": "sendcloud", "add_ip": ["94.232.247.0/24", "64.0.0.0/2"]}]},
    "partners[0].add_ip[1]")
bad("v2-wide", {"partners": [{"preset": "sendcloud", "add_ip": ["0.0.0.0/0"]}]}, "partners[0].add_ip[0]")
bad("v2-wide", {"partners": [{"preset": "sendcloud", "add_ip": ["2001:db8::/32", "2000::/3"]}]}, "partners[0].add_ip[1]")
bad("v2-wide", {"partners": [{"preset": "sendcloud", "add_ip": ["::ffff:0:0/96"]}]}, "partners[0].add_ip[0]")
bad("v2-wide", {"partners": [{"preset": "sendcloud", "enabled": False, "add_ip": ["0.0.0.0/1"]}]},
    "partners[0].add_ip[0]")
bad("v2-wide", {"partners": [acme(ip=["203.0.113.0/24", "0.0.0.0/1"])]}, "partners[0].ip[1]")
bad("v2-wide", {"partners": [acme(ip=["::/0"])]}, "partners[0].ip[0]")
# ::/80 holds ::ffff:0:0/96, every IPv4 address (::/96, the IPv4-compatible block, holds none: a valid range)
bad("v2-wide", {"partners": [{"preset": "sendcloud"}, acme(ip=["::/80"])]}, "partners[1].ip[0]")
bad("v2-wide", {"partners": [acme(ip=["8000::/1"])]}, "partners[0].ip[0]")
bad("v2-wide", {"rules": [{"id": "a", "action": "allow", "ip": ["0.0.0.0/0"]}]}, "rules[0].ip[0]")
bad("v2-wide", {"rules": [R0, {"id": "b", "action": "allow", "ip": ["192.0.2.10", "8.0.0.0/7"]}]}, "rules[1].ip[1]")
bad("v2-wide", {"rules": [{"id": "a", "action": "allow", "ip": ["::/1"], "methods": ["GET"]}]}, "rules[0].ip[0]")
bad("v2-wide", {"rules": [{"id": "a", "action": "allow", "ip": ["::ffff:0:0/96"]}]}, "rules[0].ip[0]")
bad("v2-wide", {"rules": [{"id": "a", "action": "allow", "ip": ["::ffff:0.0.0.0/100"], "paths": ["/x/"]}]},
    "rules[0].ip[0]")
bad("v2-wide", {"rules": [{"id": "a", "action": "allow", "ip": ["::/16"]}]}, "rules[0].ip[0]")
bad("v2-wide", {"rules": [{"id": "a", "action": "deny", "ip": ["0.0.0.0/0"]},
                          {"id": "b", "action": "allow", "ip": ["0.0.0.0/0"], "user_agents": ["X/*"]}]}, "rules[1].ip[0]")
# an allow rule with no condition (even disabled)
bad("v2-allow", {"rules": [{"id": "a", "action": "allow"}]}, "rules[0]")
bad("v2-allow", {"rules": [R0, {"id": "b", "action": "allow", "enabled": False}]}, "rules[1]")
bad("v2-allow", {"rules": [{"id": "b", "action": "allow", "enabled": True}]}, "rules[0]")
bad("v2-allow", {"version": 1, "rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"]},
                                         {"id": "all", "action": "allow"}]}, "rules[1]")
# the cloudflare proxy preset only with cf-connecting-ip or x-forwarded-for
bad("v2-cf", {"trusted_proxies": {"presets": ["cloudflare"], "header": "x-real-ip"}}, "trusted_proxies")
bad("v2-cf", {"trusted_proxies": {"presets": ["cloudflare"], "header": "true-client-ip"}}, "trusted_proxies")
bad("v2-cf", {"trusted_proxies": {"presets": ["cloudflare"], "header": "forwarded"}}, "trusted_proxies")
bad("v2-cf", {"trusted_proxies": {"ranges": ["10.0.0.0/8"], "presets": ["loopback", "cloudflare"],
                                  "header": "true-client-ip"}}, "trusted_proxies")
bad("v2-cf", {"impersonation": "deny", "trusted_proxies": {"header": "x-real-ip", "presets": ["private", "cloudflare"]}},
    "trusted_proxies")
# cross-list duplicate ids: which occurrence is "second" depends on key order, so no path is required
bad("dup", {"partners": [acme(id="office")], "rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"]}]},
    None)
bad("dup", {"partners": [{"preset": "sendcloud"}], "rules": [{"id": "sendcloud", "action": "deny"}]}, None)
bad("dup", {"partners": [{"preset": "sendcloud"}, {"preset": "sendcloud"}]}, None)

# ==========================================================================
# Warnings (v2): valid policies and the exact JSON paths of their warnings, in order of appearance.
# An allow rule (enabled or not) without an `ip` condition -> rules[i]; an allow rule's path prefix that
# does not end in `/` -> rules[i].paths[j] (after rules[i] for the same rule). Nothing else warns.
# ==========================================================================
WARN = []

# every corpus policy, by hand
WARN_OF_POLICY = {
    "trusted-xff": [], "trusted-forwarded": [], "trusted-real-ip": [], "trusted-true-client-ip": [],
    "cloudflare": [], "loopback-private": [], "deny-impersonation": [],
    "rules": [],                 # allow rules office, explicit-on have ip; deny/pass rules never warn
    "rules-order": [], "rules-catchall": [],   # sc-api: ip and /wp-json/ (ends in /)
    "rules-paths": [],           # deny prefixes /wp-admin, /wp-login.php: deny rules do not warn
    "custom-partner": [], "partner-order": [], "disabled-partner": [], "no-partners": [], "ipv6": [],
    "spec-example": [], "explicit-default": [], "rules-mixed-paths": [], "ipv6-mapped-cidr": [],
    "deny-ip": [], "deny-delete": [], "allow-office-path": [], "deny-admin-path": [], "paths-any-rule": [],
    "paths-disabled": [], "dot-order": [], "deny-imp-rules": [], "deny-imp-partners": [],
    "allow-ua-methods": ["rules[0]"], "mapped-ranges": [], "wide-v6-deny": [], "dot-order-a": [],
    "deny-imp-disabled": [],
}


def warn(pol, warnings):
    WARN.append({"id": f"warn-{len(WARN) + 1:03d}", "policy": pol, "warnings": warnings})


warn({}, [])
for _name, _pol in POLICIES.items():
    warn(_pol, WARN_OF_POLICY[_name])
AL = {"action": "allow"}
for pol, w in [
    ({"rules": [{"id": "a", "action": "allow", "user_agents": ["Monitor/*"]}]}, ["rules[0]"]),
    ({"rules": [{"id": "a", "action": "allow", "methods": ["GET"]}]}, ["rules[0]"]),
    ({"rules": [{"id": "a", "action": "allow", "paths": ["/wp-json/"]}]}, ["rules[0]"]),
    ({"rules": [{"id": "a", "action": "allow", "paths": ["/wp-admin"]}]}, ["rules[0]", "rules[0].paths[0]"]),
    ({"rules": [{"id": "a", "action": "allow", "ip": ["192.0.2.1"], "paths": ["/a", "/b/", "/c"]}]},
     ["rules[0].paths[0]", "rules[0].paths[2]"]),
    ({"rules": [{"id": "a", "action": "allow", "ip": ["192.0.2.1"], "paths": ["/wp-json/office"]}]},
     ["rules[0].paths[0]"]),
    ({"rules": [{"id": "a", "action": "allow", "ip": ["192.0.2.1"], "paths": ["/"]}]}, []),
    ({"rules": [{"id": "a", "action": "allow", "enabled": False, "methods": ["GET"]}]}, ["rules[0]"]),
    ({"rules": [{"id": "a", "action": "allow", "enabled": False, "paths": ["/x"]}]}, ["rules[0]", "rules[0].paths[0]"]),
    ({"rules": [{"id": "a", "action": "allow", "enabled": True, "user_agents": ["X/*"], "paths": ["/x/", "/y"]}]},
     ["rules[0]", "rules[0].paths[1]"]),
    ({"rules": [{"id": "d", "action": "deny", "paths": ["/wp-admin"]},
                {"id": "p", "action": "pass", "user_agents": ["M/*"], "paths": ["/x"]}]}, []),
    ({"rules": [{"id": "d", "action": "deny"},
                {"id": "a", "action": "allow", "methods": ["GET"], "paths": ["/x/", "/y"]},
                {"id": "b", "action": "allow", "ip": ["192.0.2.0/24"], "paths": ["/z"]}]},
     ["rules[1]", "rules[1].paths[1]", "rules[2].paths[0]"]),
    ({"rules": [{"id": "p", "action": "pass", "methods": ["GET"]},
                {"id": "a", "action": "allow", "user_agents": ["A/*"]},
                {"id": "b", "action": "allow", "ip": ["192.0.2.7"], "user_agents": ["B/*"], "methods": ["GET"]},
                {"id": "c", "action": "allow", "methods": ["HEAD"], "enabled": False}]}, ["rules[1]", "rules[3]"]),
    ({"rules": [{"id": "d", "action": "deny", "ip": ["0.0.0.0/0", "::/0"]},
                {"id": "p", "action": "pass", "ip": ["::/0", "0.0.0.0/1"]}]}, []),
    ({"trusted_proxies": {"ranges": ["10.0.0.0/8", "2a00::/16"]}}, []),
    ({"trusted_proxies": {"ranges": ["::ffff:10.0.0.0/104"]}}, []),
    ({"trusted_proxies": {"presets": ["cloudflare"]}}, []),
    ({"trusted_proxies": {"presets": ["cloudflare"], "header": "x-forwarded-for"}}, []),
    ({"trusted_proxies": {"presets": ["loopback", "private"], "header": "x-real-ip"}}, []),
    ({"partners": [{"preset": "sendcloud", "add_ip": ["94.0.0.0/8"]},
                   {"id": "wide", "ip": ["2a00::/16"], "user_agents": ["W/*"], "methods": ["GET"]}]}, []),
    ({"rules": [{"id": "a", "action": "allow", "ip": ["::ffff:10.0.0.0/104"], "paths": ["/x/"]}]}, []),
    ({"partners": [], "rules": [{"id": "a", "action": "allow", "ip": ["10.0.0.0/8"]},
                                {"id": "b", "action": "allow", "paths": ["/x/", "/y/"]}]}, ["rules[1]"]),
]:
    warn(pol, w)

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
        # malformed_input wins over ambiguous_method_override, so the client is known
        assert e["method"] is None and e["client_ip"] is not None, c["id"]
    if e["client_ip"] is None:
        # v2: only malformed input or a deny rule without (a met) ip condition
        assert e["reason"] == "malformed_input" or (e["reason"] == "rule_match" and e["action"] == "deny"), c["id"]
    if e["reason"] in {"partner_match", "method_not_allowed", "ua_mismatch", "impersonation"}:
        # partners see clean requests only; impersonation deny on unclean ones needs a client
        assert e["client_ip"] is not None, c["id"]
    if e["reason"] in {"partner_match", "method_not_allowed", "ua_mismatch"} or e["action"] == "allow":
        assert e["method"] is not None, c["id"]
    if e["method"] is not None:
        assert e["method"] == e["method"].upper(), c["id"]
    if e["reason"] == "impersonation":
        assert e["action"] in {"pass", "deny"}
    r = c["request"]
    assert set(r) <= {"remote_addr", "method", "uri", "headers", "query", "form"}, c["id"]
    if "form" in r:
        assert isinstance(r["form"], dict), c["id"]
        for v in r["form"].values():
            assert isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)), c["id"]


def dump_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n")


README_TEMPLATE = r"""# Conformance corpus for the decision contract (v2)

Every host (native Rust library and CLI, core wasm, Node/JS package, browser, PHP library and plugins) must give
exactly the decisions in `cases.jsonl`, reject every policy in `bad-policies.jsonl` and report exactly the warnings in
`warnings.jsonl`. The expectations were written by hand from `decision-contract.md` (revision 2) and the engine's
written readings of it, independently of the engine; `generate.py` only removes repetition.

Regenerate with `python3 tests/corpus/generate.py` (deterministic; `--stats` prints counts). Edit the script, not the
output files.

## Files

| File | Content |
|---|---|
| `policies/<name>.json` | Valid policies (JSON, per the contract's *Policy* section). |
| `cases.jsonl` | {n_cases} cases the contract clearly decides. One JSON object per line. |
| `bad-policies.jsonl` | {n_bad} invalid policies that must be rejected whole. |
| `warnings.jsonl` | {n_warn} valid policies with the exact list of warnings each must produce. |
| `ambiguous.jsonl` | {n_amb} cases v2 still does not clearly decide. Same format as `cases.jsonl`; `expect` is only the writer's best guess, `note` says what is unclear. **Not** an acceptance test: runners may report them, must not fail on them. The file always exists (it may be empty). |
| `generate.py` | The generator (Python 3.11, stdlib only). |

### `cases.jsonl`

```json
{{"id": "xff-012", "policy": "trusted-xff", "request": {{...}}, "expect": {{"action": "allow", "reason": "partner_match", "rule": "sendcloud", "client_ip": "94.232.247.10", "method": "GET"}}, "note": "why"}}
```

- `id`: unique across all four `.jsonl` files. v1 cases keep their ids (`addr-`, `xff-`, `rule-`, `path-`, ...;
  `path-039` and `path-043` moved to `ambiguous.jsonl` under their ids, the v1 `amb-` questions v2 decides became
  `v2-` cases);
  cases added for v2 start with `v2-` and a group: `v2-addr`, `v2-preset`, `v2-ua`, `v2-xff`, `v2-fwd`, `v2-single`,
  `v2-override`, `v2-fold`, `v2-target`, `v2-path`, `v2-deny`, `v2-deny-method`, `v2-imp`, `v2-allow`, `v2-mapped`,
  `v2-method`, `v2-prop` (pairs: a request, then the same request with an override / `query` / `form` /
  `rest_route` added; the second is never `allow` when the first is not).
- `policy`: a file stem of `policies/`, or `"default"` = no policy given (the built-in default: the Sendcloud preset only).
- `request`: a contract request:
  - `remote_addr`, `method`;
  - optional `uri` (absent means `/`);
  - optional `headers` (names in any case; a value is a string, or an array of strings for a header that appeared
    more than once). A header may also appear under two keys that differ only in case: that is two occurrences, in
    the order of the keys (JSON object order is significant here; hosts must keep it).
  - optional `query` (v2): the query string as the application sees it (PHP `QUERY_STRING` after a rewrite); read
    in addition to the query of `uri`.
  - optional `form` (v2): parsed body parameters (PHP `$_POST`), an object of name -> string or array of strings.
    Names are given raw and are folded like query names (`{{"ps.method": "PUT"}}` is `ps_method`); values are
    percent-decoded like query values.
- `expect`: all five decision keys, compared exactly (`rule`, `client_ip`, `method` may be `null`). `trace` is not
  checked.
- `note`: optional, informative.

Strings may contain any Unicode including `\u0000`; invalid UTF-8 cannot be expressed in JSON, so hosts that take
bytes should add their own invalid-UTF-8 cases (expectation: `pass`, `malformed_input`, never `allow`, unless a
`deny` applies).

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
- v2 errors (`bad-v2-*`): a range wider than `/8` (IPv4) or `/16` (IPv6), or an IPv6 range covering every
  IPv4-mapped address (`::/16`, `::/80`, `::ffff:0:0/96`; a range inside `::ffff:0:0/96` is judged as the IPv4 range
  it is) in a partner's `ip`/`add_ip`, in `trusted_proxies.ranges` or in an `allow` rule's `ip` -> the path of that
  list element; an `allow` rule with none of `ip`, `user_agents`, `methods`, `paths` (even disabled) -> `rules[i]`;
  the `cloudflare` proxy preset with a header other than `cf-connecting-ip` or `x-forwarded-for` ->
  `trusted_proxies` (the message may name `trusted_proxies.header` or `trusted_proxies.presets[i]`; both contain it).
  Every bad policy has exactly one error.

### `warnings.jsonl` (v2)

```json
{{"id": "warn-037", "policy": {{"rules": [{{"id": "a", "action": "allow", "paths": ["/wp-admin"]}}]}}, "warnings": ["rules[0]", "rules[0].paths[0]"]}}
```

- `policy`: a valid policy as a JSON value (it must be accepted).
- `warnings`: the exact list of JSON paths of the warnings it must produce, in order of appearance in the policy:
  an `allow` rule without an `ip` condition (enabled or not) -> `rules[i]`; a path prefix of an `allow` rule that does
  not end in `/` -> `rules[i].paths[j]`; for one rule `rules[i]` comes before its `rules[i].paths[j]`. Deny and pass
  rules never warn. `[]`: no warning. Every policy of `policies/` is listed (first, after `{{}}`), then policies
  written for the warnings.

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

| action | cases |
|---|---|
{atab}

## Readings the corpus relies on

The contract (v2) now decides what v1 left open (its "Details decided in v2"); the v1 list of writer's decisions is
replaced by these, each of which has cases. Where the contract is brief the corpus follows the engine's written
readings (`/tmp/v2/decisions.md` at the time of writing), numbered here as there.

- (1) Every step is evaluated even when an earlier one made the request unclean. `client_ip` is the resolved client
  whenever it could be resolved (null when `remote_addr` does not parse or the forwarding header could not be
  walked); `method` is the effective method whenever the request method and every override value are valid tokens
  and the overrides agree. A bad `remote_addr` with method PATCH gives `client_ip: null, method: "PATCH"` (v1: null).
- (2) The reason of an unclean request no deny matched is `malformed_input` if anything malformed applies (bad
  address, unresolvable client, bad method or override value, two User-Agents, an oversized User-Agent, a bad target,
  an unnormalisable path candidate), else `ambiguous_method_override`. `rule` is null.
- (3) Unclean requests meet only `deny` rules (allow and pass rules are skipped), then impersonation deny, then
  `pass`. So a condition-less `deny` rule (`rules-catchall`) denies malformed input too.
- (4) Allow and pass rules need every candidate to satisfy every condition (clean requests only); deny rules need
  each condition to hold for any candidate. No User-Agent (absent, blank, empty array) satisfies no `user_agents`
  condition. With `POST` + `_method=DELETE` both POST and DELETE are candidates: `deny methods [DELETE]` matches,
  `allow methods [DELETE]` does not. No client: an `ip` condition holds for nothing.
- (5) Partners (clean requests): every method candidate must be in the partner's set (as in v1).
- (6) Impersonation deny on an unclean request: the first enabled partner whose ranges do not contain the (resolved)
  client and whose patterns/claims a User-Agent candidate meets; `rule` is that partner's id.
- (7) Path candidates are computed whenever any enabled rule has `paths` (whatever the order, whether or not earlier
  conditions of that rule failed): the path (before the first `?`) normalised in both orders (decode unreserved
  `%XX`, remove dot segments, collapse `//` / decode, collapse, remove dots); if it contains `%2F`/`%2f`, the same with
  every `%2F` decoded, normalised again; for every `rest_route` value (uri query, `query`, `form`), `/wp-json` + value
  (not inserting a `/`: `rest_route=office/x` is `/wp-jsonoffice/x`), normalised. Broken `%` or `%00` in a candidate:
  unclean. Allow/pass prefixes compare case-sensitively, deny prefixes ASCII case-insensitively, all as byte
  prefixes (`/wp-admin` matches `/wp-adminx`).
- (8) Targets: empty is `/`; `*` exactly is the path `*` with no query; `scheme://authority[path][?query]` gives its
  path (`/` when empty) and query; anything else not starting with `/` (`wp-admin`, `*?x`, `http:/x`) makes the
  request unclean on every policy. `#` is an ordinary byte everywhere (`/x#?_method=PUT` has the query
  `_method=PUT`; `?_method=PATCH#frag` has the value `PATCH#frag`).
- (9) Parameter names are folded as PHP does: percent-decode (`+` is a space), cut at the first NUL, drop leading
  spaces, `.` and space become `_`, the first `[` followed somewhere by `]` ends the name (array parameter: every
  value counts), a first `[` without a later `]` becomes `_` (`_method[` is `_method_`, `ps[method` is `ps_method`,
  `[method` is `_method`). Empty names are ignored; names are case-sensitive. Values are percent-decoded, a broken
  `%` sequence kept as it is (`_method=%zz` is the valid token `%ZZ`). Override headers: each occurrence is a
  candidate, trimmed of SP/HTAB.
- (10) An override value that is empty, not a token or longer than 32 characters: `malformed_input`, which wins over
  `ambiguous_method_override`.
- (11) Forwarding headers from a trusted peer: present but blank, or only empty list elements: unclean; empty list
  elements are skipped and not counted; a single-address header given twice (even equal, even under two key
  spellings) or holding a comma: unclean. One entry syntax everywhere: `a.b.c.d[:port]`, unbracketed IPv6 (no
  port), `[v6][:port]`; port 1-5 digits with value 1-65535; zones and bracketed IPv4 are malformed; entries are
  trimmed of SP/HTAB. Forwarded: elements split on `,` outside quotes, pairs on `;`, names case-insensitive;
  whitespace around `=`, an element without `for=` (when walked), two `for=` in one element, `unknown`, `_obfuscated`:
  malformed; unquoted IPv6 accepted. Right-to-left walk; more than 64 non-empty entries walked without finding the
  client: unclean (a header of any length whose client is found within 64 is fine: no length bound).
- (12) User-Agent: a one-element array is one header, an empty array none; only SP/HTAB trimmed (not U+000B,
  U+00A0, CR); longer than 32 KiB: unclean; two headers (even empty ones): unclean.
- (13) Policy errors and (14) warnings: see `bad-policies.jsonl` and `warnings.jsonl` above.
- Kept from v1: `rule` is null for every `malformed_input`; `remote_addr` with a port (`1.2.3.4:80`) is malformed;
  an IPv4-mapped address in any textual IPv6 form is the IPv4 address; `Forwarded` parameter names are
  case-insensitive.
"""


def write_readme():
    cnt = Counter(c["policy"] for c in CASES)
    acnt = Counter(c["policy"] for c in AMBIG)
    rows = "\n".join(f"| `{n}` | {PURPOSE[n]} | {cnt.get(n, 0)} | {acnt.get(n, 0)} |" for n in POLICIES)
    reasons = Counter(c["expect"]["reason"] for c in CASES)
    rtab = "\n".join(f"| `{r}` | {n} |" for r, n in sorted(reasons.items()))
    actions = Counter(c["expect"]["action"] for c in CASES)
    atab = "\n".join(f"| `{a}` | {n} |" for a, n in sorted(actions.items()))
    text = README_TEMPLATE.format(n_cases=len(CASES), n_bad=len(BAD), n_amb=len(AMBIG), n_warn=len(WARN),
                                  n_default=cnt["default"], n_default_amb=acnt.get("default", 0), rows=rows,
                                  rtab=rtab, atab=atab)
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    for c in CASES + AMBIG:
        check_case(c)
    assert set(WARN_OF_POLICY) == set(POLICIES), set(WARN_OF_POLICY) ^ set(POLICIES)
    ids = [c["id"] for c in CASES] + [c["id"] for c in AMBIG] + [b["id"] for b in BAD] + [w["id"] for w in WARN]
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
    dump_jsonl(os.path.join(HERE, "warnings.jsonl"), WARN)
    write_readme()
    if "--stats" in sys.argv:
        print("cases:", len(CASES), "ambiguous:", len(AMBIG), "bad policies:", len(BAD), "warnings:", len(WARN))
        for reason, n in sorted(Counter(c["expect"]["reason"] for c in CASES).items()):
            print(f"  {reason:28} {n}")
        for action, n in sorted(Counter(c["expect"]["action"] for c in CASES).items()):
            print(f"  action {action:21} {n}")
        for pol, n in sorted(Counter(c["policy"] for c in CASES).items()):
            print(f"  policy {pol:21} {n}")


if __name__ == "__main__":
    main()
