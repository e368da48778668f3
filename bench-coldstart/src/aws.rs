//! AWS mode: force a cold start per run (change an environment variable, wait for the
//! update), invoke with `LogType: Tail`, and read Lambda's own REPORT line.
use crate::cli::{AwsArgs, Outputs};
use crate::error::{Error, Result};
use crate::machine::{self, Machine};
use crate::output;
use crate::report::{self, Report};
use crate::stats;
use crate::table::{Column, Table, Unit};
use rayo_deploy::{ConfigUpdate, FunctionConfiguration, InvokeOutput, LambdaClient};
use std::time::{Duration, Instant};

/// The variable whose new value makes Lambda retire every warm execution environment.
pub const COLD_VAR: &str = "RAYO_BENCH_COLD_START";

/// The four calls the benchmark makes, so the driver can be tested without a network.
pub trait LambdaApi {
    /// The function's configuration (`GetFunctionConfiguration`).
    fn configuration(&self, function: &str) -> Result<FunctionConfiguration>;
    /// Replaces the function's environment (`UpdateFunctionConfiguration`).
    fn set_environment(&self, function: &str, env: Vec<(String, String)>) -> Result<()>;
    /// Waits until `LastUpdateStatus` is `Successful`, at most `max_wait`.
    fn wait_updated(&self, function: &str, max_wait: Duration) -> Result<FunctionConfiguration>;
    /// Invokes with `LogType: Tail`: the answer and the last 4 KB of the log.
    fn invoke_tail(&self, function: &str, payload: &[u8]) -> Result<InvokeOutput>;
}

fn aws_err(op: &str, function: &str, e: rayo_deploy::Error) -> Error {
    Error::Aws(format!("{op} `{function}`: {e}"))
}

impl LambdaApi for LambdaClient {
    fn configuration(&self, function: &str) -> Result<FunctionConfiguration> {
        self.get_function_configuration(function)
            .map_err(|e| aws_err("GetFunctionConfiguration", function, e))
    }

    fn set_environment(&self, function: &str, env: Vec<(String, String)>) -> Result<()> {
        let update = ConfigUpdate {
            environment: Some(env),
            ..ConfigUpdate::default()
        };
        self.update_function_configuration(function, &update)
            .map(|_| ())
            .map_err(|e| aws_err("UpdateFunctionConfiguration", function, e))
    }

    fn wait_updated(&self, function: &str, max_wait: Duration) -> Result<FunctionConfiguration> {
        self.wait_until_updated(function, max_wait)
            .map_err(|e| aws_err("waiting for the update of", function, e))
    }

    fn invoke_tail(&self, function: &str, payload: &[u8]) -> Result<InvokeOutput> {
        self.invoke(function, payload, true)
            .map_err(|e| aws_err("Invoke", function, e))
    }
}

/// The function's variables with [`COLD_VAR`] set to `nonce` (Lambda replaces the whole
/// map, so every other variable must be sent back unchanged).
pub fn with_nonce(env: &[(String, String)], nonce: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        env.iter().filter(|(k, _)| k != COLD_VAR).cloned().collect();
    out.push((COLD_VAR.to_string(), nonce.to_string()));
    out
}

/// Changes the function's configuration so the next invoke lands on a new execution
/// environment, and waits until Lambda reports the update done.
pub fn force_cold(
    api: &dyn LambdaApi,
    function: &str,
    nonce: &str,
    max_wait: Duration,
) -> Result<()> {
    let cfg = api.configuration(function)?;
    api.set_environment(function, with_nonce(&cfg.environment, nonce))?;
    let after = api.wait_updated(function, max_wait)?;
    let applied = after
        .environment
        .iter()
        .any(|(k, v)| k == COLD_VAR && v == nonce);
    if !applied {
        return Err(Error::Aws(format!(
            "`{function}`: the update finished but {COLD_VAR} is not {nonce:?}; a cold start is not guaranteed"
        )));
    }
    Ok(())
}

/// One forced cold start on AWS.
#[derive(Clone, Debug, miniserde::Serialize)]
pub struct AwsSample {
    /// 1-based run number.
    pub run: usize,
    /// The cold invocation's request id.
    pub request_id: String,
    /// `Init Duration` (absent if Lambda reused an environment or restored a snapshot).
    pub init_ms: Option<f64>,
    /// `Restore Duration` (SnapStart only).
    pub restore_ms: Option<f64>,
    /// `Duration` of the cold invocation.
    pub duration_ms: f64,
    /// `Billed Duration`.
    pub billed_ms: f64,
    /// `Memory Size`.
    pub memory_size_mb: u64,
    /// `Max Memory Used`.
    pub max_memory_used_mb: u64,
    /// Invoke request sent until its answer read, on this client (includes the network).
    pub round_trip_ms: f64,
    /// REPORT's `Status` (`timeout`, `error`, ...), when present.
    pub status: Option<String>,
    /// REPORT's `Error Type`, when present.
    pub error_type: Option<String>,
    /// `X-Amz-Function-Error` of the cold invoke.
    pub function_error: Option<String>,
    /// REPORT `Duration` of each warm invoke after the cold one.
    pub warm_duration_ms: Vec<f64>,
    /// Median of `warm_duration_ms`.
    pub warm_p50_ms: Option<f64>,
    /// 99th percentile of `warm_duration_ms`.
    pub warm_p99_ms: Option<f64>,
}

fn invoke_report(
    api: &dyn LambdaApi,
    function: &str,
    event: &[u8],
) -> Result<(InvokeOutput, Report, f64)> {
    let t0 = Instant::now();
    let out = api.invoke_tail(function, event)?;
    let rtt = t0.elapsed().as_secs_f64() * 1e3;
    if !(200..300).contains(&out.status) {
        return Err(Error::Aws(format!(
            "Invoke `{function}` answered HTTP {}",
            out.status
        )));
    }
    let tail = out.log_result.as_deref().ok_or_else(|| {
        Error::Aws(format!(
            "Invoke `{function}` returned no log tail (x-amz-log-result) although LogType Tail was asked; payload {:?}",
            String::from_utf8_lossy(&out.payload)
        ))
    })?;
    let rep = report::find_report(tail)?;
    Ok((out, rep, rtt))
}

/// Forces one cold start of `function` and reads its REPORT line.
pub fn measure_once(
    api: &dyn LambdaApi,
    function: &str,
    args: &AwsArgs,
    run: usize,
    nonce: &str,
) -> Result<AwsSample> {
    force_cold(api, function, nonce, args.update_wait)?;
    let (out, rep, round_trip_ms) = invoke_report(api, function, &args.event)?;
    let mut warm = Vec::with_capacity(args.invokes);
    for _ in 0..args.invokes {
        warm.push(invoke_report(api, function, &args.event)?.1.duration_ms);
    }
    Ok(AwsSample {
        run,
        request_id: rep.request_id,
        init_ms: rep.init_duration_ms,
        restore_ms: rep.restore_duration_ms,
        duration_ms: rep.duration_ms,
        billed_ms: rep.billed_duration_ms,
        memory_size_mb: rep.memory_size_mb,
        max_memory_used_mb: rep.max_memory_used_mb,
        round_trip_ms,
        status: rep.status,
        error_type: rep.error_type,
        function_error: out.function_error,
        warm_p50_ms: stats::percentile(&warm, 50.0),
        warm_p99_ms: stats::percentile(&warm, 99.0),
        warm_duration_ms: warm,
    })
}

#[derive(Clone, Debug, miniserde::Serialize)]
/// Every sample of one function, with the facts read from its configuration.
pub struct AwsSeries {
    /// The function's name.
    pub function: String,
    /// Its runtime, e.g. `provided.al2023`.
    pub runtime: Option<String>,
    /// Its architectures.
    pub architectures: Vec<String>,
    /// Its memory size.
    pub memory_size_mb: Option<u32>,
    /// Its code size (the zip).
    pub code_size_bytes: Option<u64>,
    /// One per forced cold start.
    pub samples: Vec<AwsSample>,
}

/// An AWS-mode run: every function's samples and where they were taken.
pub struct AwsResults {
    /// The region.
    pub region: String,
    /// The client machine.
    pub machine: Machine,
    /// UTC date of the run.
    pub date: String,
    /// One per function, in the order given.
    pub series: Vec<AwsSeries>,
}

/// Runs `args.runs` forced cold starts per function, interleaved across functions.
pub fn run_all(
    api: &dyn LambdaApi,
    region: &str,
    args: &AwsArgs,
    progress: &mut dyn FnMut(&str),
) -> Result<AwsResults> {
    let mut series = Vec::new();
    for f in &args.functions {
        let cfg = api.configuration(f)?;
        series.push(AwsSeries {
            function: f.clone(),
            runtime: cfg.runtime,
            architectures: cfg.architectures,
            memory_size_mb: cfg.memory_size,
            code_size_bytes: cfg.code_size,
            samples: Vec::with_capacity(args.runs),
        });
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    for run in 1..=args.runs {
        for s in series.iter_mut() {
            let nonce = format!("{stamp}-{run}");
            let sample = measure_once(api, &s.function, args, run, &nonce)?;
            if sample.init_ms.is_none() && sample.restore_ms.is_none() {
                eprintln!(
                    "warning: `{}` run {run}: the REPORT line has no Init Duration; Lambda reused a warm environment",
                    s.function
                );
            }
            s.samples.push(sample);
            progress(&format!("{} run {run}", s.function));
        }
    }
    Ok(AwsResults {
        region: region.to_string(),
        machine: Machine::probe(),
        date: machine::utc_date(),
        series,
    })
}

impl AwsResults {
    /// The Markdown table: one row per function.
    pub fn table(&self) -> Table {
        let col = |key: &str, label: &str, unit, f: fn(&AwsSample) -> Option<f64>| Column {
            key: key.into(),
            label: label.into(),
            unit,
            values: self
                .series
                .iter()
                .map(|s| s.samples.iter().map(f).collect())
                .collect(),
        };
        Table {
            names: self.series.iter().map(|s| s.function.clone()).collect(),
            sizes: self.series.iter().map(|s| s.code_size_bytes).collect(),
            columns: vec![
                col("init_ms", "Init Duration", Unit::Ms, |s| s.init_ms),
                col("restore_ms", "Restore Duration", Unit::Ms, |s| s.restore_ms),
                col("duration_ms", "first Duration", Unit::Ms, |s| {
                    Some(s.duration_ms)
                }),
                col("billed_ms", "first Billed", Unit::Ms, |s| Some(s.billed_ms)),
                col("max_memory_used_mb", "Max Memory Used", Unit::MB, |s| {
                    Some(s.max_memory_used_mb as f64)
                }),
                col("round_trip_ms", "cold round trip", Unit::Ms, |s| {
                    Some(s.round_trip_ms)
                }),
                col("warm_p50_ms", "warm Duration p50", Unit::Ms, |s| {
                    s.warm_p50_ms
                }),
                col("warm_p99_ms", "warm Duration p99", Unit::Ms, |s| {
                    s.warm_p99_ms
                }),
            ],
        }
    }

    /// The `--json` document: options, every sample, summaries.
    pub fn json_document(&self, command: &[String], table: &Table) -> String {
        #[derive(miniserde::Serialize)]
        struct Doc<'a> {
            tool: &'static str,
            version: &'static str,
            mode: &'static str,
            date: &'a str,
            region: &'a str,
            command: &'a [String],
            client_machine: &'a Machine,
            functions: &'a [AwsSeries],
            summary: Vec<output::SummaryRow>,
        }
        miniserde::json::to_string(&Doc {
            tool: "bench-coldstart",
            version: env!("CARGO_PKG_VERSION"),
            mode: "aws",
            date: &self.date,
            region: &self.region,
            command,
            client_machine: &self.machine,
            functions: &self.series,
            summary: output::summary_rows(table),
        })
    }
}

/// `bench-coldstart aws ...`: credentials and region as the AWS CLI finds them.
pub fn main(args: &AwsArgs, out: &Outputs, command: &[String]) -> Result<()> {
    let profile = args.profile.as_deref();
    let creds = rayo_deploy::load_credentials(profile).map_err(|e| Error::Aws(e.to_string()))?;
    let region = rayo_deploy::resolve_region(args.region.as_deref(), profile)
        .map_err(|e| Error::Aws(e.to_string()))?;
    let client = LambdaClient::new(&region, creds, args.endpoint_url.as_deref())
        .map_err(|e| Error::Aws(e.to_string()))?;
    let bar = crate::progress_bar(args.runs * args.functions.len());
    let results = run_all(&client, &region, args, &mut |label| {
        bar.set_message(label.to_string());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let results = results?;
    let table = results.table();
    println!(
        "AWS Lambda cold start ({region}), {} forced cold starts per function (interleaved), {} warm invocations each.",
        args.runs, args.invokes
    );
    println!(
        "Figures from Lambda's REPORT lines; round trip measured on this client. Date: {} (UTC).",
        results.date
    );
    println!("Command: `{}`\n", crate::cli::shell_join(command));
    print!("{}", table.markdown());
    let init: Vec<Vec<f64>> = results
        .series
        .iter()
        .map(|s| s.samples.iter().filter_map(|x| x.init_ms).collect())
        .collect();
    output::write_outputs(
        out,
        &format!("AWS Lambda Init Duration, {region}, {}", results.date),
        &table,
        &init,
        || results.json_document(command, &table),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A scripted Lambda: keeps the environment, answers invokes with given log tails.
    struct Fake {
        env: RefCell<Vec<(String, String)>>,
        tails: RefCell<Vec<Option<String>>>,
        updates: RefCell<usize>,
        drop_update: bool,
    }

    fn fake(tails: Vec<Option<String>>) -> Fake {
        Fake {
            env: RefCell::new(vec![("KEEP".into(), "me".into())]),
            tails: RefCell::new(tails),
            updates: RefCell::new(0),
            drop_update: false,
        }
    }

    impl LambdaApi for Fake {
        fn configuration(&self, function: &str) -> Result<FunctionConfiguration> {
            Ok(FunctionConfiguration {
                function_name: function.into(),
                environment: self.env.borrow().clone(),
                code_size: Some(420_000),
                ..FunctionConfiguration::default()
            })
        }
        fn set_environment(&self, _: &str, env: Vec<(String, String)>) -> Result<()> {
            *self.updates.borrow_mut() += 1;
            if !self.drop_update {
                *self.env.borrow_mut() = env;
            }
            Ok(())
        }
        fn wait_updated(&self, f: &str, _: Duration) -> Result<FunctionConfiguration> {
            self.configuration(f)
        }
        fn invoke_tail(&self, _: &str, payload: &[u8]) -> Result<InvokeOutput> {
            let mut t = self.tails.borrow_mut();
            if t.is_empty() {
                return Err(Error::Aws("script exhausted".into()));
            }
            Ok(InvokeOutput {
                status: 200,
                payload: payload.to_vec(),
                function_error: None,
                log_result: t.remove(0),
                executed_version: Some("$LATEST".into()),
                request_id: None,
            })
        }
    }

    fn report(init: Option<f64>, dur: f64) -> Option<String> {
        let init = init.map_or(String::new(), |i| format!("Init Duration: {i} ms\t"));
        Some(format!(
            "START RequestId: r Version: $LATEST\nEND RequestId: r\nREPORT RequestId: r\tDuration: {dur} ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 11 MB\t{init}\n"
        ))
    }

    fn args(runs: usize, invokes: usize) -> AwsArgs {
        AwsArgs {
            functions: vec!["f".into()],
            runs,
            invokes,
            event: b"{}".to_vec(),
            update_wait: Duration::from_secs(1),
            ..AwsArgs::default()
        }
    }

    #[test]
    fn nonce_replaces_only_the_cold_variable() {
        let env = vec![
            ("A".to_string(), "1".to_string()),
            (COLD_VAR.to_string(), "old".to_string()),
        ];
        let out = with_nonce(&env, "new");
        assert_eq!(
            out,
            vec![
                ("A".to_string(), "1".to_string()),
                (COLD_VAR.to_string(), "new".to_string())
            ]
        );
    }

    #[test]
    fn each_run_forces_a_cold_start_and_parses_the_report() {
        let api = fake(vec![
            report(Some(9.5), 1.25),
            report(None, 0.5),
            report(None, 0.75),
            report(Some(10.5), 1.0),
            report(None, 0.25),
            report(None, 0.25),
        ]);
        let res = run_all(&api, "eu-west-1", &args(2, 2), &mut |_| {}).unwrap();
        assert_eq!(*api.updates.borrow(), 2, "one configuration update per run");
        let env = api.env.borrow();
        assert!(
            env.contains(&("KEEP".into(), "me".into())),
            "other variables survive: {env:?}"
        );
        assert_eq!(env.iter().filter(|(k, _)| k == COLD_VAR).count(), 1);
        let s = &res.series[0].samples;
        assert_eq!(s.len(), 2);
        assert_eq!(
            (
                s[0].init_ms,
                s[0].duration_ms,
                s[0].warm_duration_ms.clone()
            ),
            (Some(9.5), 1.25, vec![0.5, 0.75])
        );
        assert_eq!(s[1].init_ms, Some(10.5));
        assert_eq!(s[1].max_memory_used_mb, 11);
        let t = res.table();
        assert_eq!(t.columns[0].summary(0).unwrap().median, 10.0);
        assert_eq!(t.sizes, vec![Some(420_000)]);
        let md = t.markdown();
        assert!(md.contains("| f | 410 KiB | 10.0 |"), "{md}");
        let json = res.json_document(&["bench-coldstart".into()], &t);
        assert!(
            json.contains("\"mode\":\"aws\"") && json.contains("\"init_ms\":9.5"),
            "{json}"
        );
    }

    #[test]
    fn failures_are_explained() {
        let api = fake(vec![None]);
        let msg = measure_once(&api, "f", &args(1, 0), 1, "n")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no log tail"), "{msg}");
        let api = fake(vec![Some("START RequestId: r\n".into())]);
        let msg = measure_once(&api, "f", &args(1, 0), 1, "n")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no REPORT line"), "{msg}");
        let mut api = fake(vec![report(Some(1.0), 1.0)]);
        api.drop_update = true;
        let msg = measure_once(&api, "f", &args(1, 0), 1, "n")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("cold start is not guaranteed"), "{msg}");
    }
}
