//! Reading a large file on every core: the text is cut at line starts into one chunk per core,
//! each chunk is read on its own thread, and the results come back in file order.

/// Below this size a file is read on one thread (threads cost more than they save).
pub(crate) const PARALLEL_THRESHOLD: usize = 4 << 20;

/// A piece of the text made of whole lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chunk<'a> {
    pub text: &'a str,
    /// 1-based line number of the chunk's first line.
    pub first_line: usize,
    /// The chunk ends where the file ends.
    pub is_end: bool,
}

/// How many chunks to cut `text` into: one per core for large texts, otherwise 1.
pub(crate) fn chunk_count(text: &str) -> usize {
    if text.len() < PARALLEL_THRESHOLD {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Cuts `text` into up to `parts` chunks, each starting at the beginning of a line for which
/// `starts_record` holds (given the rest of the text from there).
pub(crate) fn split(
    text: &str,
    parts: usize,
    starts_record: impl Fn(&[u8]) -> bool,
) -> Vec<Chunk<'_>> {
    let bytes = text.as_bytes();
    let mut starts = vec![(0, 1)];
    let (mut pos, mut line) = (0, 1);
    for k in 1..parts {
        let mut cut = (text.len() * k / parts).max(pos);
        // The next line start after `cut` that begins a record.
        let found = loop {
            let Some(nl) = bytes[cut..].iter().position(|&b| b == b'\n') else {
                break None;
            };
            cut += nl + 1;
            if cut < bytes.len() && starts_record(&bytes[cut..]) {
                break Some(cut);
            }
        };
        let Some(cut) = found else {
            break;
        };
        line += bytes[pos..cut].iter().filter(|&&b| b == b'\n').count();
        pos = cut;
        starts.push((pos, line));
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &(start, first_line))| {
            let end = starts.get(i + 1).map_or(text.len(), |s| s.0);
            Chunk {
                text: &text[start..end],
                first_line,
                is_end: end == text.len(),
            }
        })
        .collect()
}

/// Runs `read` on every chunk, on a thread each, and returns the results in chunk order.
pub(crate) fn map_chunks<T: Send>(
    chunks: &[Chunk<'_>],
    read: impl Fn(Chunk<'_>) -> T + Sync,
) -> Vec<T> {
    if chunks.len() == 1 {
        return vec![read(chunks[0])];
    }
    std::thread::scope(|scope| {
        let read = &read;
        let handles: Vec<_> = chunks
            .iter()
            .map(|&chunk| scope.spawn(move || read(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_whole_records_with_their_line_numbers() {
        let text = "{a\n b\n{c\n\n{d\n  e\n{f\n";
        for parts in 1..10 {
            let chunks = split(text, parts, |rest| rest[0] == b'{');
            assert_eq!(chunks.concat_text(), text, "{parts}");
            assert_eq!(chunks[0].first_line, 1);
            assert!(chunks.last().unwrap().is_end);
            for c in &chunks {
                assert!(c.text.starts_with('{'), "{parts}: {c:?}");
                let offset = c.text.as_ptr() as usize - text.as_ptr() as usize;
                assert_eq!(c.first_line, 1 + text[..offset].matches('\n').count());
                assert_eq!(c.is_end, offset + c.text.len() == text.len());
            }
        }
    }

    trait Concat {
        fn concat_text(&self) -> String;
    }

    impl Concat for Vec<Chunk<'_>> {
        fn concat_text(&self) -> String {
            self.iter().map(|c| c.text).collect()
        }
    }

    #[test]
    fn results_come_back_in_chunk_order() {
        let text = "1\n2\n3\n4\n5\n6\n";
        let chunks = split(text, 3, |_| true);
        assert_eq!(chunks.len(), 3);
        let firsts = map_chunks(&chunks, |c| c.first_line);
        assert_eq!(
            firsts,
            chunks.iter().map(|c| c.first_line).collect::<Vec<_>>()
        );
    }
}
