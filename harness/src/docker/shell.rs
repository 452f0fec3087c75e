//! A long-lived shell inside a container, fed scripts on stdin.
//!
//! One `docker exec` costs 70–100 ms here (create, start, inspect), too slow for a partition to
//! be in force within 100 ms of its scheduled time on every node. A shell opened once per node at
//! cluster start answers a script in a few milliseconds: the nemesis writes the script followed by
//! an `echo` of a unique marker and the script's exit status, and reads output up to the marker.

use std::pin::Pin;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::client::{DockerClient, DockerError};

type Output = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

/// A shell running in a container, for as long as the value lives (it exits when stdin closes).
pub struct Shell {
    container: String,
    input: Pin<Box<dyn AsyncWrite + Send>>,
    output: Output,
    pending: String,
    seq: u64,
}

/// The text fed to the shell for `script`: run it with stderr folded into stdout, then print the
/// marker and the exit status on a line of their own.
pub fn framed(script: &str, marker: &str) -> String {
    format!("{{\n{script}\n}} 2>&1; echo \"\"; echo \"{marker} $?\"\n")
}

/// Splits `buffer` at the marker line: the script's output and its exit status, once complete.
pub fn unframe(buffer: &str, marker: &str) -> Option<(String, i64)> {
    let at = buffer.find(&format!("{marker} "))?;
    let rest = &buffer[at + marker.len() + 1..];
    let end = rest.find('\n')?;
    let code = rest[..end].trim().parse().ok()?;
    let output = buffer[..at].trim_end_matches('\n').to_string();
    Some((output, code))
}

impl DockerClient {
    /// Opens `sh` in `container` with stdin attached.
    pub async fn open_shell(&self, container: &str) -> Result<Shell, DockerError> {
        let what = format!("opening a shell in {container}");
        let created = self
            .docker
            .create_exec(
                container,
                CreateExecOptions {
                    cmd: Some(vec!["sh".to_string()]),
                    attach_stdin: Some(true),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .map_err(DockerError::api(what.clone()))?;
        match self
            .docker
            .start_exec(&created.id, None)
            .await
            .map_err(DockerError::api(what.clone()))?
        {
            StartExecResults::Attached { output, input } => Ok(Shell {
                container: container.to_string(),
                input,
                output,
                pending: String::new(),
                seq: 0,
            }),
            StartExecResults::Detached => Err(DockerError::Other(format!(
                "{what}: the engine started it detached"
            ))),
        }
    }
}

impl Shell {
    /// Runs `script`; a non-zero status is an error carrying the output.
    pub async fn run(&mut self, script: &str, timeout: Duration) -> Result<String, DockerError> {
        self.seq += 1;
        let marker = format!("__faultline_done_{}__", self.seq);
        let broken = |e: String| DockerError::Other(format!("shell in {}: {e}", self.container));
        self.input
            .write_all(framed(script, &marker).as_bytes())
            .await
            .map_err(|e| broken(e.to_string()))?;
        self.input
            .flush()
            .await
            .map_err(|e| broken(e.to_string()))?;
        let read = async {
            loop {
                if let Some((output, code)) = unframe(&self.pending, &marker) {
                    self.pending.clear();
                    return Ok((output, code));
                }
                match self.output.next().await {
                    Some(Ok(chunk)) => self
                        .pending
                        .push_str(&String::from_utf8_lossy(&chunk.into_bytes())),
                    Some(Err(e)) => return Err(e.to_string()),
                    None => return Err("the shell exited".to_string()),
                }
            }
        };
        let (output, code) = tokio::time::timeout(timeout, read)
            .await
            .map_err(|_| broken(format!("no answer within {} ms", timeout.as_millis())))?
            .map_err(broken)?;
        if code != 0 {
            return Err(broken(format!(
                "script exited with {code}: {}",
                output.trim()
            )));
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_wait_for_the_whole_marker_line() {
        let text = framed("iptables -F X", "__m_1__");
        assert!(text.starts_with("{\niptables -F X\n} 2>&1;"));
        assert_eq!(
            unframe("some output\n__m_1__ 0\n", "__m_1__"),
            Some(("some output".into(), 0))
        );
        assert_eq!(
            unframe("\n__m_1__ 2\n", "__m_1__"),
            Some((String::new(), 2))
        );
        // Not complete yet: no newline after the status.
        assert_eq!(unframe("out\n__m_1__ 0", "__m_1__"), None);
        // Another marker does not match.
        assert_eq!(unframe("__m_12__ 0\n", "__m_1__"), None);
    }
}
