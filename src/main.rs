//! The `sendcloud-gate` command line: a thin host over the library, like every other host.
//!
//! Exit status: 0 when every request was evaluated (whatever the decisions), 2 for a usage error, an unreadable
//! or invalid policy, or an input line that is not a request (the message names the line and the field).

use std::fs;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::process::ExitCode;

use sendcloud_gate::{json, Decision, Policy, Request};

const USAGE: &str = "\
sendcloud-gate: decides whether a request to a self-hosted shop is verified Sendcloud traffic

USAGE:
  sendcloud-gate check   [--policy FILE] [--json] --remote-addr IP [--method M] [--uri U] [--ua UA]
                         [--header 'Name: value']...
  sendcloud-gate check   [--policy FILE] [--json] --requests FILE|-     (one request JSON per line)
  sendcloud-gate explain ...same arguments as check; prints the decision with its trace
  sendcloud-gate policy check FILE            validate a policy
  sendcloud-gate policy show [FILE]           the effective policy, presets expanded, with provenance
  sendcloud-gate policy compile FILE -o OUT   the compiled policy as bytes (for PHP and wasm hosts)

Without --policy the policy is the default one: the Sendcloud preset, nothing else.
--policy also takes a compiled policy file. --method defaults to GET, --uri to /.
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(message)) => {
            eprintln!("sendcloud-gate: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), Fail> {
    match args.first().map(String::as_str) {
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
    if bytes.starts_with(sendcloud_gate::bytes::MAGIC) {
        return Policy::from_bytes(&bytes).map_err(|e| Fail(format!("{path}: {e}")));
    }
    Policy::from_json(&bytes).map_err(|e| Fail(format!("{path}:{}:{}: {e}", e.line, e.column)))
}

fn policy_command(args: &[String]) -> Result<(), Fail> {
    match (args.first().map(String::as_str), &args[1.min(args.len())..]) {
        (Some("check"), [file]) => {
            let policy = load_policy(Some(file))?;
            let enabled = policy.partners.iter().filter(|p| p.enabled).count();
            let rules = policy.rules.iter().filter(|r| r.enabled).count();
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
        (Some("compile"), [file, flag, out]) if flag == "-o" => {
            let bytes = load_policy(Some(file))?.to_bytes();
            fs::write(out, &bytes).map_err(|e| Fail(format!("cannot write {out}: {e}")))?;
            println!("{out}: {} bytes", bytes.len());
            Ok(())
        }
        _ => Err(Fail(format!(
            "usage: policy check FILE | policy show [FILE] | policy compile FILE -o OUT\n\n{USAGE}"
        ))),
    }
}

#[derive(Default)]
struct CheckArgs {
    policy: Option<String>,
    json: bool,
    requests: Option<String>,
    remote_addr: Option<String>,
    method: Option<String>,
    uri: Option<String>,
    headers: Vec<(String, String)>,
}

fn parse_check_args(args: &[String]) -> Result<CheckArgs, Fail> {
    let mut out = CheckArgs::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| Fail(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "--policy" => out.policy = Some(value("--policy")?),
            "--json" => out.json = true,
            "--requests" => out.requests = Some(value("--requests")?),
            "--remote-addr" => out.remote_addr = Some(value("--remote-addr")?),
            "--method" => out.method = Some(value("--method")?),
            "--uri" => out.uri = Some(value("--uri")?),
            "--ua" => out.headers.push(("User-Agent".into(), value("--ua")?)),
            "--header" => {
                let h = value("--header")?;
                let (name, v) = h
                    .split_once(':')
                    .filter(|(n, _)| !n.trim().is_empty())
                    .ok_or_else(|| {
                        Fail(format!("--header {h:?} is not of the form 'Name: value'"))
                    })?;
                out.headers
                    .push((name.trim().into(), v.trim_start_matches([' ', '\t']).into()));
            }
            other => return Err(Fail(format!("unknown argument {other:?}\n\n{USAGE}"))),
        }
    }
    match (&out.requests, &out.remote_addr) {
        (Some(_), Some(_)) => Err(Fail("give either --requests or --remote-addr, not both".into())),
        (None, None) => Err(Fail(format!("--remote-addr IP (or --requests FILE) is required\n\n{USAGE}"))),
        (Some(_), None) if out.method.is_some() || out.uri.is_some() || !out.headers.is_empty() => {
            Err(Fail("--method, --uri, --ua and --header describe one request; with --requests each line does".into()))
        }
        _ => Ok(out),
    }
}

fn evaluate(args: &[String], explain: bool) -> Result<(), Fail> {
    let a = parse_check_args(args)?;
    let policy = load_policy(a.policy.as_deref())?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if let Some(addr) = &a.remote_addr {
        let mut req = Request::new(
            addr.as_bytes(),
            a.method.as_deref().unwrap_or("GET").as_bytes(),
            a.uri.as_deref().unwrap_or("/").as_bytes(),
        );
        for (n, v) in &a.headers {
            req = req.header(n.as_bytes(), v.as_bytes());
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
        let node =
            json::parse(line).map_err(|e| Fail(format!("{name}:{}: not a request: {e}", i + 1)))?;
        let req = Request::from_json(&node)
            .map_err(|e| Fail(format!("{name}:{}: not a request: {e}", i + 1)))?;
        print_one(&mut out, &policy, &req, a.json, explain)?;
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
