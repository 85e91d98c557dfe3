//! Crash safety: a child process appends numbered changes and prints `ack N` once each is
//! durable; the test kills it with SIGKILL at random moments, restarts it, and checks that every
//! acknowledged change survived and the database opens. `WEFT_CRASH_CYCLES` sets the number of
//! cycles (default 200), `WEFT_CRASH_SEED` the random seed (printed on failure).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

/// xorshift64*: enough randomness for kill timing, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn acknowledged_changes_survive_sigkill() {
    let cycles: u64 = std::env::var("WEFT_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("WEFT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init"]);
    let started = Instant::now();
    // Highest acknowledged entry so far (None: nothing acknowledged yet).
    let mut acked: Option<u64> = None;
    let (mut kills_before_start, mut kills_after_acks) = (0, 0);
    for cycle in 0..cycles {
        let mut child = weft()
            .args(["ack-loop", "--doc", "crash", "--data"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill either after a random short delay (maybe while it opens the database or
        // mid-commit), or right after a random number of acknowledgements.
        let by_time = rng.below(2) == 0;
        let delay = Duration::from_micros(rng.below(15_000));
        let want_acks = rng.below(6);
        let mut seen_start = None;
        let mut got = 0;
        let deadline = Instant::now()
            + if by_time {
                delay
            } else {
                Duration::from_secs(10)
            };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if by_time && left.is_zero() {
                break;
            }
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(n) = line.strip_prefix("start ") {
                        let n: u64 = n.parse().unwrap();
                        // Every acknowledged entry is there after the restart.
                        let need = acked.map_or(0, |a| a + 1);
                        assert!(
                            n >= need,
                            "cycle {cycle} (seed {seed}): restarted with {n} entries, but entry {} was acknowledged",
                            need - 1
                        );
                        seen_start = Some(n);
                    } else if let Some(n) = line.strip_prefix("ack ") {
                        acked = Some(n.parse().unwrap());
                        got += 1;
                        if !by_time && got >= want_acks {
                            break;
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    assert!(by_time, "cycle {cycle} (seed {seed}): the child stalled");
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!(
                        "cycle {cycle} (seed {seed}): the child exited: the database did not open?"
                    )
                }
            }
            if !by_time && want_acks == 0 && seen_start.is_some() {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Acks printed before the kill but read after it still count.
        drop(rx);
        let _ = reader.join();
        if seen_start.is_none() {
            kills_before_start += 1;
        } else if got > 0 {
            kills_after_acks += 1;
        }
    }
    // The database opens and holds exactly 0;1;...;k; with k at least the last acknowledged.
    let shown = ok(dir.path(), &["doc", "show", "crash"]);
    let log = shown
        .strip_prefix("== log ==\n")
        .unwrap_or_else(|| panic!("unexpected document: {shown:?}"))
        .trim_end();
    let entries: Vec<u64> = log
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(
        entries.iter().enumerate().all(|(i, &n)| n == i as u64),
        "entries out of order: {log}"
    );
    if let Some(a) = acked {
        assert!(
            entries.len() as u64 > a,
            "acknowledged entry {a} lost (seed {seed})"
        );
    }
    eprintln!(
        "{cycles} cycles in {:.1} s (seed {seed}): {} entries, last acknowledged {acked:?}, {kills_before_start} kills before the database was loaded, {kills_after_acks} after acknowledgements",
        started.elapsed().as_secs_f64(),
        entries.len()
    );
    assert!(acked.is_some(), "no change was ever acknowledged");
}
