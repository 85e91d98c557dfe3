//! Progress of long operations on stderr, for people watching a terminal.
//!
//! Reading and writing files show a percentage and the bytes processed (`reading doc.weft:
//! 42% (3.1 MiB of 7.4 MiB)`), redrawn in place at most every 100 ms. Work that is one call
//! into the library and cannot report parts (loading the data directory, merging a document)
//! shows its elapsed time while it runs (`merging 7.4 MiB ... 2.3 s`), then one line with the
//! time it took. When stderr is not a terminal (a pipe, a file, CI) nothing is drawn: the
//! commands print only their results.

use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// Size of the pieces files are read and written in.
const CHUNK: usize = 64 * 1024;

/// Draws progress lines on a terminal, or nothing.
pub(crate) struct Progress {
    /// Where lines go; `None` when quiet.
    out: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
    start: Instant,
    /// Least time between two redraws of a line.
    every: Duration,
    last: Option<Instant>,
}

impl Progress {
    /// Progress on stderr when it is a terminal; quiet otherwise.
    pub(crate) fn stderr() -> Progress {
        let tty = std::io::stderr().is_terminal();
        Progress::new(
            tty.then(|| Box::new(std::io::stderr()) as Box<dyn Write + Send>),
            REDRAW,
        )
    }

    /// Progress drawn on `out` (quiet with `None`), redrawn at most every `every`.
    pub(crate) fn new(out: Option<Box<dyn Write + Send>>, every: Duration) -> Progress {
        Progress {
            out: out.map(|o| Arc::new(Mutex::new(o))),
            start: Instant::now(),
            every,
            last: None,
        }
    }

    fn draw(&self, text: &str, end: bool) {
        if let Some(out) = &self.out {
            if let Ok(mut o) = out.lock() {
                // `\r` and "erase line": the next draw replaces this one.
                let _ = write!(o, "\r\x1b[2K{text}{}", if end { "\n" } else { "" });
                let _ = o.flush();
            }
        }
    }

    /// `done` of `total` bytes (`None`: size unknown) of `what`. Redrawn at most every
    /// `every`, and always once complete (then the line is ended).
    pub(crate) fn bytes(&mut self, what: &str, done: u64, total: Option<u64>) {
        let complete = total.is_some_and(|t| done >= t);
        let now = Instant::now();
        if !complete
            && self
                .last
                .is_some_and(|t| now.duration_since(t) < self.every)
        {
            return;
        }
        self.last = Some(now);
        self.draw(&bytes_line(what, done, total), complete);
    }

    /// A stage is over: one line with the time since the start.
    pub(crate) fn stage(&mut self, what: &str) {
        self.last = None;
        let ms = self.start.elapsed().as_secs_f64() * 1000.0;
        self.draw(&format!("[{ms:>8.1} ms] {what}"), true);
    }

    /// Show `what` with its elapsed time, redrawn until the returned guard is dropped (for
    /// work that cannot report parts).
    pub(crate) fn busy(&self, what: &str) -> Busy {
        let stop = Arc::new(AtomicBool::new(false));
        let Some(out) = self.out.clone() else {
            return Busy {
                stop,
                thread: None,
                out: None,
            };
        };
        let what = what.to_string();
        let every = self.every.max(Duration::from_millis(10));
        let flag = stop.clone();
        let line = out.clone();
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let quiet = Progress {
                out: Some(line),
                start,
                every,
                last: None,
            };
            while !flag.load(Ordering::SeqCst) {
                quiet.draw(&busy_line(&what, start.elapsed()), false);
                std::thread::sleep(every);
            }
        });
        Busy {
            stop,
            thread: Some(thread),
            out: Some(out),
        }
    }

    /// Read all of `r` (`total` bytes, if known), showing progress as `what`.
    pub(crate) fn read_all(
        &mut self,
        what: &str,
        mut r: impl Read,
        total: Option<u64>,
    ) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(total.map_or(0, |t| t.min(1 << 30) as usize));
        let mut buf = vec![0u8; CHUNK];
        self.bytes(what, 0, total);
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            out.extend_from_slice(&buf[..n]);
            self.bytes(what, out.len() as u64, total);
        }
        let len = out.len() as u64;
        if total.is_none_or(|t| t > len) {
            // Complete: the final count, when the size was unknown or the input shorter.
            self.bytes(what, len, Some(len));
        }
        Ok(out)
    }

    /// Write all of `bytes` to `w`, showing progress as `what`.
    pub(crate) fn write_all(
        &mut self,
        what: &str,
        mut w: impl Write,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let total = bytes.len() as u64;
        let mut done = 0u64;
        self.bytes(what, 0, Some(total));
        for chunk in bytes.chunks(CHUNK) {
            w.write_all(chunk)?;
            done += chunk.len() as u64;
            self.bytes(what, done, Some(total));
        }
        if bytes.is_empty() {
            self.bytes(what, 0, Some(0));
        }
        w.flush()
    }
}

/// Stops a [`Progress::busy`] line when dropped, and erases it.
pub(crate) struct Busy {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    out: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(Ok(mut o)) = self.out.as_ref().map(|o| o.lock()) {
            let _ = write!(o, "\r\x1b[2K");
            let _ = o.flush();
        }
    }
}

/// `1.5 KiB`, `3.1 MiB`...
pub(crate) fn size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The line for `done` of `total` bytes.
fn bytes_line(what: &str, done: u64, total: Option<u64>) -> String {
    match total {
        Some(0) => format!("{what}: 100% (0 B)"),
        Some(t) => {
            let pct = (u128::from(done.min(t)) * 100 / u128::from(t)) as u64;
            format!("{what}: {pct}% ({} of {})", size(done), size(t))
        }
        None => format!("{what}: {}", size(done)),
    }
}

fn busy_line(what: &str, elapsed: Duration) -> String {
    format!("{what} ... {:.1} s", elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test can read back.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
        /// The lines as a terminal shows them in turn (each `\r` starts a redraw).
        fn draws(&self) -> Vec<String> {
            self.text()
                .split('\r')
                .map(|s| s.trim_start_matches("\x1b[2K").trim_end().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        }
    }

    #[test]
    fn lines_show_percent_and_sizes() {
        assert_eq!(
            bytes_line("reading x", 0, Some(2048)),
            "reading x: 0% (0 B of 2.0 KiB)"
        );
        assert_eq!(
            bytes_line("reading x", 1024, Some(4096)),
            "reading x: 25% (1.0 KiB of 4.0 KiB)"
        );
        assert_eq!(
            bytes_line("w", 3 << 20, Some(3 << 20)),
            "w: 100% (3.0 MiB of 3.0 MiB)"
        );
        assert_eq!(bytes_line("stdin", 5 << 30, None), "stdin: 5.0 GiB");
        assert_eq!(bytes_line("empty", 0, Some(0)), "empty: 100% (0 B)");
        // More than announced (a file that grew) stays at 100%.
        assert_eq!(bytes_line("g", 10, Some(5)), "g: 100% (10 B of 5 B)");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(
            busy_line("merging", Duration::from_millis(2340)),
            "merging ... 2.3 s"
        );
    }

    #[test]
    fn reading_draws_every_chunk_then_ends_the_line_at_100_percent() {
        let sink = Sink::default();
        let mut p = Progress::new(Some(Box::new(sink.clone())), Duration::ZERO);
        let data = vec![7u8; CHUNK * 2 + 10];
        let got = p
            .read_all("reading f", &data[..], Some(data.len() as u64))
            .unwrap();
        assert_eq!(got, data);
        let draws = sink.draws();
        assert_eq!(
            draws.first().map(String::as_str),
            Some("reading f: 0% (0 B of 128.0 KiB)")
        );
        assert!(
            draws.iter().any(|d| d.starts_with("reading f: 49%")),
            "{draws:?}"
        );
        assert_eq!(
            draws.last().map(String::as_str),
            Some("reading f: 100% (128.0 KiB of 128.0 KiB)")
        );
        assert!(sink.text().ends_with('\n'), "the complete line is ended");
        assert_eq!(draws.iter().filter(|d| d.contains("100%")).count(), 1);
    }

    #[test]
    fn redraws_are_throttled_but_completion_always_shows() {
        let sink = Sink::default();
        let mut p = Progress::new(Some(Box::new(sink.clone())), Duration::from_secs(3600));
        let data = vec![1u8; CHUNK * 4];
        p.write_all("writing o", std::io::sink(), &data).unwrap();
        assert_eq!(
            sink.draws(),
            [
                "writing o: 0% (0 B of 256.0 KiB)",
                "writing o: 100% (256.0 KiB of 256.0 KiB)"
            ]
        );
    }

    #[test]
    fn quiet_progress_draws_nothing_and_still_moves_the_bytes() {
        let mut p = Progress::new(None, Duration::ZERO);
        let data = vec![3u8; CHUNK + 1];
        assert_eq!(p.read_all("r", &data[..], None).unwrap(), data);
        let mut out = Vec::new();
        p.write_all("w", &mut out, &data).unwrap();
        assert_eq!(out, data);
        p.stage("done");
        drop(p.busy("merging"));
    }

    #[test]
    fn a_busy_line_ticks_until_dropped() {
        let sink = Sink::default();
        let p = Progress::new(Some(Box::new(sink.clone())), Duration::from_millis(10));
        let busy = p.busy("merging 1.0 MiB");
        while sink.draws().is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(busy);
        let n = sink.draws().len();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(sink.draws().len(), n, "no draws after the guard is dropped");
        assert!(sink.draws()[0].starts_with("merging 1.0 MiB ... "));
        assert!(sink.text().ends_with("\r\x1b[2K"), "the line is erased");
    }
}
