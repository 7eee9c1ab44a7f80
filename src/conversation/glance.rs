//! What `history list` shows of a conversation, read without decoding the whole file: the
//! header (first line), the last exchange (the end, with the torn-tail rules of `store`),
//! the number of exchanges (a byte scan for newlines) and the total cost (the `"cost"` key
//! near the end of each line). Its cost grows with the number of lines, not with the bytes
//! they hold, beyond one fast scan.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use memchr::{memchr_iter, memmem, memrchr};

use super::format::{self, Exchange, Header, Problem, Record, Tail};
use super::store::{find_newline, read_range, rfind_newline};

/// How far before a line's end its `"cost"` key is looked for (it is followed only by
/// short fields).
const WINDOW: usize = 1024;
const CHUNK: usize = 256 * 1024;

/// A conversation's summary.
#[derive(Debug, PartialEq)]
pub struct Glance {
    pub header: Header,
    pub exchanges: usize,
    pub last: Option<Exchange>,
    /// The sum of the exchanges' costs; `None` when one of them is unknown.
    pub cost: Option<f64>,
}

/// Reads only the first line of a conversation file: its header. `None` when the file has
/// no complete header.
pub fn header(path: &Path) -> io::Result<Result<Option<Header>, Problem>> {
    let mut file = File::open(path)?;
    // one read holds the header line of nearly every file
    let mut start = vec![0; 4096];
    let n = file.read(&mut start)?;
    if let Some(end) = memchr::memchr(b'\n', &start[..n]) {
        return Ok(format::header_of_line(&start[..end])
            .map(|(h, _)| Some(h))
            .map_err(|e| bad_header(e.to_string())));
    }
    let len = file.metadata()?.len();
    header_of(&mut file, len)
}

fn header_of<F: Read + Seek>(
    file: &mut F,
    len: u64,
) -> io::Result<Result<Option<Header>, Problem>> {
    let end = find_newline(file, len)?;
    let line = read_range(file, 0, end)?;
    if end == len && format::tail_of(&line, None).is_ok_and(|t| !matches!(t, Tail::Whole(_))) {
        return Ok(Ok(None));
    }
    Ok(format::header_of_line(&line)
        .map(|(h, _)| Some(h))
        .map_err(|e| bad_header(e.to_string())))
}

fn bad_header(e: String) -> Problem {
    Problem {
        line: Some(1),
        message: format!("bad header: {e}"),
    }
}

/// Reads a conversation file's summary if its header is `wanted`; `None` when not even a
/// header was written, or the header is not wanted (the rest is then not read).
pub fn glance(
    path: &Path,
    size: u64,
    wanted: impl Fn(&Header) -> bool,
) -> io::Result<Result<Option<Glance>, Problem>> {
    let mut file = File::open(path)?;
    if size < CHUNK as u64 {
        // a small file (`size` as listed) is read whole, in one read, and looked at in
        // memory; if it grew meanwhile, the rest is read too
        let mut bytes = Vec::with_capacity(size as usize + 1);
        file.read_to_end(&mut bytes)?;
        let len = bytes.len() as u64;
        return glance_in(&mut io::Cursor::new(bytes), len, wanted);
    }
    let len = file.metadata()?.len();
    glance_in(&mut file, len, wanted)
}

fn glance_in<F: Read + Seek>(
    mut file: &mut F,
    len: u64,
    wanted: impl Fn(&Header) -> bool,
) -> io::Result<Result<Option<Glance>, Problem>> {
    let header = match header_of(file, len)? {
        Ok(Some(h)) if wanted(&h) => h,
        Ok(_) => return Ok(Ok(None)),
        Err(p) => return Ok(Err(p)),
    };
    let version = format::VERSION;
    file.seek(SeekFrom::Start(0))?;
    let (newlines, mut cost) = scan(&mut file, len)?;
    let last_nl = rfind_newline(&mut file, len)?.unwrap_or(0);
    let tail = read_range(&mut file, last_nl + 1, len)?;
    let mut exchanges = newlines.saturating_sub(1);
    let last = match format::tail_of(&tail, Some(version)) {
        Ok(Tail::Whole(Record::Exchange(e))) => {
            exchanges += 1;
            cost = cost.zip(e.cost).map(|(a, b)| a + b);
            Some(e)
        }
        Ok(_) if exchanges == 0 => None,
        Ok(_) => {
            let prev = rfind_newline(&mut file, last_nl)?.unwrap_or(0);
            let line = read_range(&mut file, prev + 1, last_nl)?;
            match format::exchange_of_line(version, &line) {
                Ok(e) => Some(e),
                Err(e) => return Ok(Err(last_problem(e.to_string()))),
            }
        }
        Err(e) => return Ok(Err(last_problem(format::not_torn(e)))),
    };
    Ok(Ok(Some(Glance {
        header,
        exchanges,
        last,
        cost,
    })))
}

fn last_problem(message: String) -> Problem {
    Problem {
        line: None,
        message: format!("the last line is {message}"),
    }
}

/// Counts the newlines of a file and sums the `"cost"` of every complete line after the
/// first, reading it once in large chunks.
fn scan<F: Read>(file: &mut F, len: u64) -> io::Result<(usize, Option<f64>)> {
    let mut buf = vec![0; CHUNK.min(len as usize + 1)];
    let mut carry: Vec<u8> = Vec::new();
    let (mut newlines, mut cost) = (0usize, Some(0.0));
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((newlines, cost));
        }
        let chunk = &buf[..n];
        for at in memchr_iter(b'\n', chunk) {
            newlines += 1;
            if newlines == 1 {
                continue;
            }
            let owned;
            let window = if at >= WINDOW {
                &chunk[at - WINDOW..at]
            } else {
                owned = [
                    &carry[carry.len().saturating_sub(WINDOW - at)..],
                    &chunk[..at],
                ]
                .concat();
                &owned[..]
            };
            let line_end = memrchr(b'\n', window).map_or(window, |i| &window[i + 1..]);
            if !line_end.iter().all(u8::is_ascii_whitespace) {
                cost = cost.zip(cost_in(line_end)).map(|(a, b)| a + b);
            }
        }
        let keep = chunk.len().min(WINDOW);
        if keep == WINDOW {
            carry.clear();
        } else {
            let drop = (carry.len() + keep).saturating_sub(WINDOW);
            carry.drain(..drop);
        }
        carry.extend_from_slice(&chunk[chunk.len() - keep..]);
    }
}

/// The value of the `"cost":` key in the end of an exchange line. A quote inside a JSON
/// string is always escaped, so the key cannot be found inside one.
fn cost_in(line_end: &[u8]) -> Option<f64> {
    const KEY: &[u8] = b"\"cost\":";
    let at = memmem::rfind(line_end, KEY)? + KEY.len();
    let rest = &line_end[at..];
    let value = &rest[..rest.iter().position(|&b| b == b',' || b == b'}')?];
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::format::tests::{conversation, exchange};

    fn glance_of(text: &str) -> Glance {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, text).unwrap();
        glance(&path, text.len() as u64, |_| true)
            .unwrap()
            .unwrap()
            .unwrap()
    }

    #[test]
    fn summary_matches_a_full_load() {
        let mut conv = conversation(3);
        conv.exchanges[1].answer = "x\"cost\":5,".repeat(40_000);
        let text = format::file_text(&conv);
        for cut in [0, 1, 7] {
            let text = &text[..text.len() - cut];
            let full = format::parse(text.as_bytes()).unwrap().unwrap();
            let g = glance_of(text);
            assert_eq!(g.exchanges, full.exchanges.len(), "cut {cut}");
            assert_eq!(g.last.as_ref(), full.exchanges.last(), "cut {cut}");
            let want: Option<f64> = full.exchanges.iter().map(|e| e.cost).sum();
            assert!((g.cost.unwrap() - want.unwrap()).abs() < 1e-12, "cut {cut}");
        }
        assert_eq!(glance_of(&format::file_text(&conversation(0))).exchanges, 0);
    }

    #[test]
    fn an_unknown_cost_makes_the_total_unknown() {
        let mut conv = conversation(2);
        conv.exchanges[0].cost = None;
        assert_eq!(glance_of(&format::file_text(&conv)).cost, None);
        let long = exchange("p", &"y".repeat(3 * CHUNK));
        let mut conv = conversation(1);
        conv.exchanges.push(long);
        let g = glance_of(&format::file_text(&conv));
        assert_eq!((g.exchanges, g.cost.map(|c| c > 0.0)), (2, Some(true)));
    }
}
