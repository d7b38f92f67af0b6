//! The passphrase prompt at a real terminal (a tmux pseudo-terminal): three tries, then exit
//! code 3; a right passphrase on a later try opens the profile.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use cli_common::*;

/// A tmux server of its own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `script` (run by sh) in a detached 120x30 terminal, or `None` without tmux.
    fn start(name: &str, script: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("tmux not available; skipped");
            return None;
        }
        let socket = format!("corridor-tty-{}-{name}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "30",
            ])
            .args(["sh", "-c", script])
            .status()
            .unwrap();
        assert!(status.success());
        Some(Tmux { socket })
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-S", "-100"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text` `times` times, and returns the screen.
    fn wait_for(&self, text: &str, times: usize) -> String {
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= times {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?} x{times}; screen:\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_line(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "Enter"])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn script(user: &User) -> String {
    format!(
        "'{}' --home '{}' contacts; echo EXIT=$?; sleep 600",
        corridor_bin().display(),
        user.home().display()
    )
}

#[test]
fn three_wrong_passphrases_at_the_prompt_then_exit_code_3() {
    let user = User::new("TtyUser", "tty right passphrase");
    user.init_offline("http://127.0.0.1:9");
    let Some(tty) = Tmux::start("wrong", &script(&user)) else {
        return;
    };
    for (i, guess) in ["guess one", "guess two", "guess three"].iter().enumerate() {
        tty.wait_for("Passphrase:", i + 1);
        tty.type_line(guess);
    }
    let screen = tty.wait_for("EXIT=", 1);
    assert!(screen.contains("try again (2 left)"), "{screen}");
    assert!(screen.contains("try again (1 left)"), "{screen}");
    assert!(
        screen.contains("3 wrong passphrases; nothing was changed"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=3"), "{screen}");
    assert_eq!(screen.matches("Passphrase:").count(), 3, "{screen}");
    assert!(
        !screen.contains("guess"),
        "nothing typed is echoed: {screen}"
    );
}

#[test]
fn a_right_passphrase_on_the_second_try_opens_the_profile() {
    let user = User::new("TtyUser", "tty right passphrase");
    user.init_offline("http://127.0.0.1:9");
    let Some(tty) = Tmux::start("right", &script(&user)) else {
        return;
    };
    tty.wait_for("Passphrase:", 1);
    tty.type_line("not it");
    tty.wait_for("Passphrase:", 2);
    tty.type_line("tty right passphrase");
    let screen = tty.wait_for("EXIT=", 1);
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("No contacts yet"), "{screen}");
}
