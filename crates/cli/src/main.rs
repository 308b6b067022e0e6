//! The `sendcloud-gate` command line: a thin host over the library, like every other host.
//!
//! Exit status: 0 when every request was evaluated (whatever the decisions), 2 for a usage error, an unreadable
//! or invalid policy, or an input line that is not a request (the message names the line and the field).

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::process::ExitCode;

use sendcloud_gate::{Decision, Policy, Request};

mod logformat;
mod replay;

pub(crate) const USAGE: &str = "\
sendcloud-gate: decides whether a request to a self-hosted shop is verified Sendcloud traffic

USAGE:
  sendcloud-gate check   [--policy FILE] [--json] --remote-addr IP [--method M] [--uri U] [--ua UA]
                         [--header 'Name: value']... [--query Q] [--form 'name=value']...
  sendcloud-gate check   [--policy FILE] [--json] --requests FILE|-     (one request JSON per line)
  sendcloud-gate explain ...same arguments as check; prints the decision with its trace
  sendcloud-gate policy check FILE            validate a policy (warnings on standard error)
  sendcloud-gate policy show [FILE]           the effective policy, presets expanded, with provenance
  sendcloud-gate policy compile FILE -o OUT   the compiled policy as bytes (for PHP and wasm hosts)
  sendcloud-gate export --format modsecurity|apache|nginx|cloudflare [--policy FILE] [-o OUT]
                                              the server rule that lets the policy's partner traffic through
  sendcloud-gate replay  [--policy FILE] [--json] [--only all|sendcloud-refused|not-allowed|impersonation]
                         [--log-format REGEX] LOG...   (access logs: plain, .gz or - for standard input)
                                              every line decided; a summary of partner traffic, what the server
                                              refused, and the lines not understood (docs/hosting-support.md)

Without --policy the policy is the default one: the Sendcloud preset, nothing else.
--policy also takes a compiled policy file. --method defaults to GET, --uri to /. --query is the query string
as the application sees it (after a rewrite), --form a body parameter the application parsed (e.g. _method).
Exit status: 0 when every request was evaluated, 2 for a usage error, an invalid policy or an input line
that is not a request.
";

/// A failure that ends the run with exit status 2.
struct Fail(String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Fail {
        Fail(e.to_string())
    }
}

fn main() -> ExitCode {
    // `args_os`: a request field given on the command line may be any bytes (testing what the engine does with
    // invalid UTF-8 is a reason to use the command line at all), and `args` would panic on them.
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(message)) => {
            eprintln!("sendcloud-gate: {message}");
            ExitCode::from(2)
        }
    }
}

/// An argument's bytes: on Unix exactly as given; elsewhere arguments are Unicode already.
fn arg_bytes(arg: &OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        arg.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        arg.to_string_lossy().into_owned().into_bytes()
    }
}

/// A command, flag or file name: text that must be Unicode to mean anything here.
fn arg_text(arg: &OsStr) -> Result<&str, Fail> {
    arg.to_str()
        .ok_or_else(|| Fail(format!("argument {arg:?} is not valid UTF-8")))
}

fn run(args: &[OsString]) -> Result<(), Fail> {
    match args.first().map(|a| arg_text(a)).transpose()? {
        None | Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("-V" | "--version") => {
            println!("sendcloud-gate {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some("check") => evaluate(&args[1..], false),
        Some("explain") => evaluate(&args[1..], true),
        Some("policy") => policy_command(&args[1..]),
        Some("export") => cmd_export(&args[1..]),
        Some("replay") => replay::run(&args[1..]),
        Some(other) => Err(Fail(format!("unknown command {other:?}\n\n{USAGE}"))),
    }
}

fn read_file(path: &str) -> Result<Vec<u8>, Fail> {
    if path == "-" {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Fail(format!("cannot read standard input: {e}")))?;
        return Ok(buf);
    }
    fs::read(path).map_err(|e| Fail(format!("cannot read {path}: {e}")))
}

/// Loads a policy file: JSON, or the compiled bytes `policy compile` writes (recognised by their header).
fn load_policy(path: Option<&str>) -> Result<Policy, Fail> {
    let Some(path) = path else {
        return Ok(Policy::default_policy());
    };
    let bytes = read_file(path)?;
    if Policy::looks_compiled(&bytes) {
        return Policy::from_bytes(&bytes).map_err(|e| Fail(format!("{path}: {e}")));
    }
    Policy::from_json(&bytes).map_err(|e| Fail(format!("{path}:{}:{}: {e}", e.line, e.column)))
}

fn policy_command(args: &[OsString]) -> Result<(), Fail> {
    let args = args
        .iter()
        .map(|a| arg_text(a))
        .collect::<Result<Vec<&str>, Fail>>()?;
    match (args.first().copied(), &args[1.min(args.len())..]) {
        (Some("check"), [file]) => {
            let policy = load_policy(Some(file))?;
            print_warnings(file, &policy);
            let (enabled, rules) = policy.enabled_counts();
            println!("{file}: valid ({enabled} enabled partner(s), {rules} enabled rule(s))");
            Ok(())
        }
        (Some("show"), []) => {
            print!("{}", Policy::default_policy().show_json());
            Ok(())
        }
        (Some("show"), [file]) => {
            print!("{}", load_policy(Some(file))?.show_json());
            Ok(())
        }
        (Some("compile"), [file, flag, out]) if *flag == "-o" => {
            let policy = load_policy(Some(file))?;
            print_warnings(file, &policy);
            let bytes = policy.to_bytes();
            fs::write(out, &bytes).map_err(|e| Fail(format!("cannot write {out}: {e}")))?;
            println!("{out}: {} bytes", bytes.len());
            Ok(())
        }
        _ => Err(Fail(format!(
            "usage: policy check FILE | policy show [FILE] | policy compile FILE -o OUT\n\n{USAGE}"
        ))),
    }
}

/// `export --format F [--policy P] [-o OUT]`: the server rule for the policy's partners (docs/hosting-support.md).
fn cmd_export(args: &[OsString]) -> Result<(), Fail> {
    use sendcloud_gate::export::Format;
    let (mut format, mut policy, mut out) = (None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let flag = arg_text(flag)?;
        let mut value = || {
            it.next()
                .map(|v| arg_text(v))
                .transpose()?
                .ok_or_else(|| Fail(format!("{flag} needs a value")))
        };
        match flag {
            "--format" => {
                let name = value()?;
                format = Some(Format::from_name(name).ok_or_else(|| {
                    Fail(format!(
                        "--format {name:?}: not an export format (one of: modsecurity, apache, nginx, cloudflare)"
                    ))
                })?);
            }
            "--policy" => policy = Some(value()?),
            "-o" | "--output" => out = Some(value()?),
            other => return Err(Fail(format!("unknown argument {other:?}\n\n{USAGE}"))),
        }
    }
    let format = format
        .ok_or_else(|| Fail("export needs --format modsecurity|apache|nginx|cloudflare".into()))?;
    let policy = load_policy(policy)?;
    let text = policy.export(format);
    match out {
        Some(path) => fs::write(path, text).map_err(|e| Fail(format!("cannot write {path}: {e}"))),
        None => {
            io::stdout().write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

/// A policy's warnings on standard error, one per line with its JSON path; they never change the exit status.
fn print_warnings(file: &str, policy: &Policy) {
    for w in policy.warnings() {
        eprintln!("{file}: warning: {w}");
    }
}

#[derive(Default)]
struct CheckArgs {
    policy: Option<String>,
    json: bool,
    requests: Option<String>,
    // Request fields are bytes, as they arrive over HTTP.
    remote_addr: Option<Vec<u8>>,
    method: Option<Vec<u8>>,
    uri: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    query: Option<Vec<u8>>,
    form: Vec<(Vec<u8>, Vec<u8>)>,
}

fn parse_check_args(args: &[OsString]) -> Result<CheckArgs, Fail> {
    let mut out = CheckArgs::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(|v| v.as_os_str())
                .ok_or_else(|| Fail(format!("{name} needs a value")))
        };
        match arg_text(flag)? {
            "--policy" => out.policy = Some(arg_text(value("--policy")?)?.into()),
            "--json" => out.json = true,
            "--requests" => out.requests = Some(arg_text(value("--requests")?)?.into()),
            "--remote-addr" => out.remote_addr = Some(arg_bytes(value("--remote-addr")?)),
            "--method" => out.method = Some(arg_bytes(value("--method")?)),
            "--uri" => out.uri = Some(arg_bytes(value("--uri")?)),
            "--ua" => out
                .headers
                .push((b"User-Agent".to_vec(), arg_bytes(value("--ua")?))),
            "--header" => {
                let h = value("--header")?;
                out.headers.push(split_header(&arg_bytes(h)).ok_or_else(|| {
                    Fail(format!("--header {h:?} is not of the form 'Name: value'"))
                })?);
            }
            "--query" => out.query = Some(arg_bytes(value("--query")?)),
            "--form" => {
                let p = arg_bytes(value("--form")?);
                let eq = p.iter().position(|&b| b == b'=').unwrap_or(p.len());
                let value = p.get(eq + 1..).unwrap_or_default().to_vec();
                out.form.push((p[..eq].to_vec(), value));
            }
            other => return Err(Fail(format!("unknown argument {other:?}\n\n{USAGE}"))),
        }
    }
    match (&out.requests, &out.remote_addr) {
        (Some(_), Some(_)) => Err(Fail("give either --requests or --remote-addr, not both".into())),
        (None, None) => Err(Fail(format!("--remote-addr IP (or --requests FILE) is required\n\n{USAGE}"))),
        (Some(_), None)
            if out.method.is_some()
                || out.uri.is_some()
                || !out.headers.is_empty()
                || out.query.is_some()
                || !out.form.is_empty() =>
        {
            Err(Fail("--method, --uri, --ua, --header, --query and --form describe one request; with --requests each line does".into()))
        }
        _ => Ok(out),
    }
}

/// `Name: value` into the name without surrounding white space and the value without leading white space.
fn split_header(h: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let colon = h.iter().position(|&b| b == b':')?;
    let name = h[..colon].trim_ascii();
    let value = &h[colon + 1..];
    let start = value
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(value.len());
    (!name.is_empty()).then(|| (name.to_vec(), value[start..].to_vec()))
}

fn evaluate(args: &[OsString], explain: bool) -> Result<(), Fail> {
    let a = parse_check_args(args)?;
    let policy = load_policy(a.policy.as_deref())?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if let Some(addr) = &a.remote_addr {
        let mut req = Request::new(
            addr,
            a.method.as_deref().unwrap_or(b"GET"),
            a.uri.as_deref().unwrap_or(b"/"),
        );
        for (n, v) in &a.headers {
            req = req.header(n, v);
        }
        if let Some(q) = &a.query {
            req = req.query(q);
        }
        for (n, v) in &a.form {
            req = req.form_param(n, v);
        }
        print_one(&mut out, &policy, &req, a.json, explain)?;
        return Ok(out.flush()?);
    }
    let path = a.requests.as_deref().unwrap_or("-");
    let reader: Box<dyn BufRead> = if path == "-" {
        Box::new(io::BufReader::new(io::stdin()))
    } else {
        Box::new(io::BufReader::new(
            fs::File::open(path).map_err(|e| Fail(format!("cannot read {path}: {e}")))?,
        ))
    };
    let name = if path == "-" { "<stdin>" } else { path };
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| Fail(format!("cannot read {name}: {e}")))?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        Request::with_json(line, |req| {
            print_one(&mut out, &policy, req, a.json, explain)
        })
        .map_err(|why| Fail(format!("{name}:{}: {why}", i + 1)))??;
    }
    Ok(out.flush()?)
}

fn print_one(
    out: &mut impl Write,
    policy: &Policy,
    req: &Request<'_>,
    json: bool,
    explain: bool,
) -> Result<(), Fail> {
    if explain {
        let e = policy.explain(req);
        if json {
            writeln!(out, "{}", e.to_json())?;
        } else {
            writeln!(out, "{}", human(&e.decision))?;
            for (i, step) in e.trace.iter().enumerate() {
                writeln!(out, "  {:>2}. {step}", i + 1)?;
            }
            if let Some(p) = e.provenance {
                writeln!(
                    out,
                    "  preset {:?}: {} ({}; reviewed {})\n  source: {}\n  note: {}",
                    p.preset,
                    p.title,
                    if p.verified {
                        "verified"
                    } else {
                        "NOT verified"
                    },
                    p.reviewed,
                    p.source,
                    p.note
                )?;
            }
        }
    } else {
        let d = policy.decide(req);
        if json {
            writeln!(out, "{}", d.to_json())?;
        } else {
            writeln!(out, "{}", human(&d))?;
        }
    }
    Ok(())
}

fn human(d: &Decision<'_>) -> String {
    let or_dash = |s: Option<String>| s.unwrap_or_else(|| "-".into());
    format!(
        "{:<5}  {:<25}  rule={}  client_ip={}  method={}",
        d.action.as_str(),
        d.reason.as_str(),
        or_dash(d.rule.map(String::from)),
        or_dash(d.client_ip.map(|ip| ip.to_string())),
        or_dash(d.method.map(|m| m.to_string())),
    )
}
