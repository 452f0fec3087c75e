//! One running adapter: the user's program with piped stdin/stdout, one request in flight at a
//! time. Its stderr is kept (the last lines) for the messages that explain why it died.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::wire::{parse_answer, Answer, AnswerType, Hello, ANSWER_SHAPE};
use super::AdapterError;

/// How to start an adapter.
#[derive(Clone, Debug)]
pub struct AdapterCommand {
    /// Program and arguments.
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Working directory (the spec file's folder).
    pub cwd: PathBuf,
    /// How long `hello` may take to be answered.
    pub hello_timeout: Duration,
}

impl AdapterCommand {
    /// The command line as the user wrote it, for messages.
    pub fn shown(&self) -> String {
        self.argv.join(" ")
    }
}

/// Stderr lines kept per adapter.
const STDERR_TAIL: usize = 20;

/// A started adapter.
pub struct AdapterProcess {
    /// Its number in the run (what `hello` told it).
    pub number: u64,
    /// The request sent and not answered yet.
    pub in_flight: Option<u64>,
    shown: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Lines read from stdout so far (for "line N" in messages).
    lines_read: u64,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl AdapterProcess {
    /// Starts the adapter and exchanges `hello`.
    pub async fn start(
        command: &AdapterCommand,
        mut hello: Hello,
        number: u64,
    ) -> Result<AdapterProcess, AdapterError> {
        let program = command.argv.first().cloned().unwrap_or_default();
        let mut child = Command::new(&program)
            .args(&command.argv[1..])
            .envs(&command.env)
            .current_dir(&command.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Whatever path drops it (a panic, a cancelled run) also ends the program.
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| AdapterError::Spawn {
                command: command.shown(),
                source,
            })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(err) = child.stderr.take() {
            let tail = stderr.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut t = tail.lock().expect("stderr tail");
                    if t.len() == STDERR_TAIL {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        }
        let mut p = AdapterProcess {
            number,
            in_flight: None,
            shown: format!("adapter #{number} ({})", command.shown()),
            child,
            stdin,
            stdout,
            lines_read: 0,
            stderr,
        };
        hello.adapter = number;
        hello.id = 0;
        let line = serde_json::to_string(&hello).expect("hello serialises");
        let answered = tokio::time::timeout(command.hello_timeout, async {
            p.send(&line, 0).await?;
            p.answer(0).await
        })
        .await;
        match answered {
            Ok(Ok(a)) if a.kind == AnswerType::Ok => Ok(p),
            Ok(Ok(a)) => Err(AdapterError::HelloRefused {
                adapter: p.shown.clone(),
                error: a.error.map(|e| e.to_string()).unwrap_or_default(),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(AdapterError::HelloTimeout {
                adapter: p.shown.clone(),
                ms: command.hello_timeout.as_millis() as u64,
                stderr: p.stderr_tail(),
            }),
        }
    }

    /// `adapter #3 (python3 adapter.py)`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Writes one request line (`id` becomes the op in flight).
    pub async fn send(&mut self, line: &str, id: u64) -> Result<(), AdapterError> {
        self.in_flight = Some(id);
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let written = async {
            self.stdin.write_all(&bytes).await?;
            self.stdin.flush().await
        }
        .await;
        match written {
            Ok(()) => Ok(()),
            Err(_) => Err(self.exited().await),
        }
    }

    /// Reads the answer to request `id`; any other line is a protocol error naming the line.
    pub async fn answer(&mut self, id: u64) -> Result<Answer, AdapterError> {
        let line = match self.stdout.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => return Err(self.exited().await),
        };
        self.lines_read += 1;
        let answer = parse_answer(line.trim()).map_err(|problem| AdapterError::Garbage {
            adapter: self.shown.clone(),
            line_no: self.lines_read,
            line: clip(&line),
            problem,
            expected: ANSWER_SHAPE,
        })?;
        if answer.id != id {
            return Err(AdapterError::UnknownId {
                adapter: self.shown.clone(),
                line_no: self.lines_read,
                line: clip(&line),
                got: answer.id,
                expected: id,
            });
        }
        self.in_flight = None;
        Ok(answer)
    }

    /// The error for an adapter whose stdout closed: its exit status and last stderr lines.
    async fn exited(&mut self) -> AdapterError {
        let status = match tokio::time::timeout(Duration::from_millis(500), self.child.wait()).await
        {
            Ok(Ok(s)) => s.to_string(),
            Ok(Err(e)) => format!("status unknown: {e}"),
            Err(_) => "closed its stdout but is still running".to_string(),
        };
        // Give the stderr reader a moment to take the last words.
        tokio::time::sleep(Duration::from_millis(20)).await;
        AdapterError::Exited {
            adapter: self.shown.clone(),
            status,
            stderr: self.stderr_tail(),
        }
    }

    /// The last lines it wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        let t = self.stderr.lock().expect("stderr tail");
        t.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Ends it now (SIGKILL); the runtime reaps it.
    pub fn kill(mut self) {
        let _ = self.child.start_kill();
    }
}

/// A line as shown in a message: at most 200 characters.
fn clip(line: &str) -> String {
    if line.chars().count() <= 200 {
        line.to_string()
    } else {
        format!("{}…", line.chars().take(200).collect::<String>())
    }
}
