//! `wasm2php IN.wasm -o OUT.php --class NAME [--namespace NS] [--max-call-depth N] [--max-memory-pages N] [--fuel] [--lazy-min-bytes N] [--no-opcache-ssa] [--opcache-ssa-from EXPORT,...]`

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: wasm2php IN.wasm -o OUT.php --class NAME [--namespace NS] [--max-call-depth N] [--max-memory-pages N] [--fuel]\n\
         \x20                [--lazy-min-bytes N]   functions of N bytes of PHP or more go to NAME/f<i>.php beside OUT.php,\n\
         \x20                                       loaded on their first call\n\
         \x20                [--no-opcache-ssa]     each function in a try block, which opcache's SSA passes skip: for\n\
         \x20                                       code that runs rarely, compiled faster with a cold opcache\n\
         \x20                [--opcache-ssa-from EXPORT,...]\n\
         \x20                                       only what these exports run keeps the SSA passes (the hot\n\
         \x20                                       path); every other function is as with --no-opcache-ssa"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut input, mut output, mut class) = (None, None, None);
    let mut opts = wasm2php::Options::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-o" | "--output" => output = args.next(),
            "--class" => class = args.next(),
            "--namespace" => opts.namespace = args.next(),
            "--max-call-depth" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => opts.max_call_depth = v,
                None => return usage(),
            },
            "--max-memory-pages" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => opts.max_memory_pages = v,
                None => return usage(),
            },
            "--fuel" => opts.fuel = true,
            "--lazy-min-bytes" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => opts.lazy_min_bytes = Some(v),
                None => return usage(),
            },
            "--no-opcache-ssa" => opts.opcache_ssa = false,
            "--lazy-stubs" => opts.lazy_stubs = true,
            "--opcache-ssa-from" => match args.next() {
                Some(list) => opts.opcache_ssa_from = list.split(',').map(String::from).collect(),
                None => return usage(),
            },
            "-h" | "--help" => return usage(),
            _ if input.is_none() && !a.starts_with('-') => input = Some(a),
            _ => return usage(),
        }
    }
    let (Some(input), Some(output), Some(class)) = (input, output, class) else {
        return usage();
    };
    opts.class_name = class;
    let bytes = match std::fs::read(&input) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("wasm2php: cannot read {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match wasm2php::translate_files(&bytes, &opts) {
        Ok(files) => {
            if let Err(e) = files.write(std::path::Path::new(&output)) {
                eprintln!("wasm2php: cannot write {output}: {e}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wasm2php: {input}: {e}");
            ExitCode::FAILURE
        }
    }
}
