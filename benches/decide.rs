//! Decision and compile speed (criterion). Targets, on the project's 2-core machine:
//! - one decision with the default policy: <= 100 ns median;
//! - a policy with 10,000 CIDRs and 20 site rules: <= 150 ns median per decision, compiling it <= 5 ms;
//! - hostile input (64 KiB headers, 10,000 forwarded entries) stays linear: see `hostile/*`.
//!
//! `make bench` runs this; the README records the figures.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

use sendcloud_gate::{Policy, Request};

mod common;
use common::large_policy_json;

fn decisions(c: &mut Criterion) {
    let default = Policy::default_policy();
    let large = Policy::from_json(large_policy_json().as_bytes()).unwrap();
    let (sendcloud, browser) = (common::sendcloud(), common::browser());
    let mut g = c.benchmark_group("decide");
    for (policy_name, policy) in [("default", &default), ("10k-cidrs-20-rules", &large)] {
        for (req_name, req) in [("sendcloud", &sendcloud), ("browser", &browser)] {
            g.bench_with_input(BenchmarkId::new(policy_name, req_name), req, |b, req| {
                b.iter(|| black_box(policy.decide(black_box(req))))
            });
        }
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    let json = large_policy_json();
    let mut g = c.benchmark_group("compile");
    g.sample_size(30);
    g.bench_function("default", |b| {
        b.iter(|| black_box(Policy::from_json(b"{}").unwrap()))
    });
    g.bench_function("10k-cidrs-20-rules", |b| {
        b.iter(|| black_box(Policy::from_json(black_box(json.as_bytes())).unwrap()))
    });
    let bytes = Policy::from_json(json.as_bytes()).unwrap().to_bytes();
    g.bench_function("load-bytes/10k-cidrs-20-rules", |b| {
        b.iter(|| black_box(Policy::from_bytes(black_box(&bytes)).unwrap()))
    });
    g.finish();
}

fn hostile(c: &mut Criterion) {
    let trusting = Policy::from_json(br#"{"trusted_proxies":{"presets":["private"]}}"#).unwrap();
    let policy = Policy::default_policy();
    let ua_64k = vec![b'a'; 64 * 1024];
    let xff_10k = vec!["10.0.0.2"; 10_000].join(", ");
    let ua_30k_sendclouds = b"sendclou".repeat(30 * 1024 / 8);
    let mut g = c.benchmark_group("hostile");
    g.bench_function("ua-64KiB", |b| {
        let req = Request::new(b"94.232.247.10", b"GET", b"/").header(b"User-Agent", &ua_64k);
        b.iter(|| black_box(policy.decide(&req)))
    });
    g.bench_function("xff-10000-entries", |b| {
        let req =
            Request::new(b"10.0.0.1", b"GET", b"/").header(b"X-Forwarded-For", xff_10k.as_bytes());
        b.iter(|| black_box(trusting.decide(&req)))
    });
    g.bench_function("ua-30KiB-near-claims", |b| {
        let req =
            Request::new(b"198.51.100.1", b"GET", b"/").header(b"User-Agent", &ua_30k_sendclouds);
        b.iter(|| black_box(policy.decide(&req)))
    });
    g.finish();
}

criterion_group!(benches, decisions, compile, hostile);
criterion_main!(benches);
