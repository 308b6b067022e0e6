#!/bin/sh
# Cost per wasm instruction of translated code, with and without opcache (JIT off).
exec cargo run --release -p wasm2php --example bench
