//! Starting a bootstrap the way Lambda does: a clean, Lambda-shaped environment.
use crate::Config;
use std::process::{Child, Command};

/// Lambda's `PATH` and `LD_LIBRARY_PATH` for OS-only runtimes.
const PATH: &str = "/usr/local/bin:/usr/bin/:/bin:/opt/bin";
const LD_LIBRARY_PATH: &str =
    "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib";

pub(crate) fn lambda_env(config: &Config, runtime_api: &str) -> Vec<(String, String)> {
    let fixed: [(&str, String); 19] = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", config.function_name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_VERSION",
            config.function_version.clone(),
        ),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            config.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", config.log_group.clone()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", config.log_stream.clone()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
        ("AWS_REGION", config.region.clone()),
        ("AWS_DEFAULT_REGION", config.region.clone()),
        (
            "AWS_EXECUTION_ENV",
            "AWS_Lambda_provided.al2023".to_string(),
        ),
        ("LAMBDA_TASK_ROOT", "/var/task".to_string()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_string()),
        ("_HANDLER", "bootstrap".to_string()),
        ("TZ", ":UTC".to_string()),
        ("LANG", "en_US.UTF-8".to_string()),
        ("PATH", PATH.to_string()),
        ("LD_LIBRARY_PATH", LD_LIBRARY_PATH.to_string()),
        ("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".to_string()),
        ("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000".to_string()),
    ];
    let mut env: Vec<(String, String)> =
        fixed.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    // Config::env wins over the defaults, and a later entry over an earlier one.
    for (k, v) in &config.env {
        env.retain(|(name, _)| name != k);
        env.push((k.clone(), v.clone()));
    }
    env
}

pub(crate) fn spawn(mut cmd: Command, env: &[(String, String)]) -> std::io::Result<Child> {
    cmd.env_clear();
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_env_overrides_defaults() {
        let config = Config {
            env: vec![
                ("_HANDLER".into(), "main.handler".into()),
                ("EXTRA".into(), "1".into()),
            ],
            ..Config::default()
        };
        let env = lambda_env(&config, "127.0.0.1:9001");
        let get = |k: &str| {
            let hits: Vec<&String> = env.iter().filter(|(n, _)| n == k).map(|(_, v)| v).collect();
            assert!(hits.len() <= 1, "{k} set twice");
            hits.first().map(|s| s.as_str())
        };
        assert_eq!(get("_HANDLER"), Some("main.handler"));
        assert_eq!(get("EXTRA"), Some("1"));
        assert_eq!(get("AWS_LAMBDA_RUNTIME_API"), Some("127.0.0.1:9001"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("128"));
        assert_eq!(get("TZ"), Some(":UTC"));
    }
}
