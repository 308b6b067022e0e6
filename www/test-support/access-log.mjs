// A generated access log for the replay speed test and the browser benchmark.

/** A deterministic access log of n lines with known counts. */
export function generateLog(n) {
  const SC = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';
  const kinds = [
    (i) => `94.232.247.${i % 250} - - [23/Nov/2025:10:00:00 +0100] "GET /wp-json/wc/v3/orders?page=${i} HTTP/1.1" 200 5120 "-" "${SC}"`, // allow
    (i) => `185.66.200.${i % 250} - - [23/Nov/2025:10:00:00 +0100] "PATCH /wp-json/wc/v3/orders/${i} HTTP/1.1" 200 80 "-" "Sendcloud/1.0.0"`, // allow
    (i) => `203.0.${i % 250}.7 - - [23/Nov/2025:10:00:00 +0100] "POST /wp-json/wc/v3/orders HTTP/1.1" 403 0 "-" "${SC}"`, // impersonation
    (i) => `198.51.100.${i % 250} - - [23/Nov/2025:10:00:00 +0100] "GET /product/${i}?utm_source=x HTTP/2.0" 200 20480 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"`, // no_match
    (i) => `10.1.2.3 - - [23/Nov/2025:10:00:00 +0100] "GET /shop/ HTTP/1.1" 200 900 "-" "Mozilla/5.0" "198.51.100.${i % 250}, 10.1.2.3"`, // no_match
    (i) => `185.66.200.9 - - [23/Nov/2025:10:00:00 +0100] "PUT /rest/V1/orders/${i} HTTP/1.1" 405 0 "-" "SendCloud/1.0 (magento2; https://www.sendcloud.sc)"`, // method_not_allowed
    (i) => `2001:db8::${(i % 65535).toString(16)} - - [23/Nov/2025:10:00:00 +0100] "GET / HTTP/1.1" 200 1 "-" "curl/8.5.0"`, // no_match
    (i) => `94.232.247.1 - - [23/Nov/2025:10:00:00 +0100] "GET /wp-login.php HTTP/1.1" 200 1 "-" "Mozilla/5.0"`, // ua_mismatch
    (i) => `garbage line ${i}`, // unparsed
    (i) => `198.51.100.9 - - [23/Nov/2025:10:00:00 +0100] "GET /feed HTTP/1.1" 200 1 "-" "Feedly/1.0"`, // no_match
  ];
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(kinds[i % kinds.length](i));
  const per = n / kinds.length;
  return {
    text: lines.join('\n') + '\n',
    expect: { allow: 2 * per, deny: 0, pass: 7 * per, unparsed: per, sendcloud: 3 * per },
  };
}
