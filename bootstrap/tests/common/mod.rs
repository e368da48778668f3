//! What the end-to-end tests share: a function process under a fresh emulator, killed when
//! the test ends, whatever way it ends.
#![allow(dead_code)] // each test crate uses its own part of this

use std::process::{Child, Command};
use std::time::Duration;

use rayo_emulator::{Config, Emulator};

/// The bound on every wait in these tests.
pub(crate) const T: Duration = Duration::from_secs(10);

pub(crate) struct Running {
    pub emu: Emulator,
    pub child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Starts an emulator for `config`, with `env` added to the function's environment
    /// (spawn clears the rest), and runs `cmd` under it.
    pub(crate) fn start(mut config: Config, env: &[(&str, &str)], cmd: Command) -> Running {
        for (k, v) in env {
            config.env.push((k.to_string(), v.to_string()));
        }
        let emu = Emulator::start(config).expect("emulator starts");
        let child = emu.spawn(cmd).expect("spawn the function");
        Running { emu, child }
    }
}
